"""The portal's showcases: the list, one showcase, the home page's section and the dataset page's, and the
submission form without JavaScript (every problem beside its field, nothing stored from a bad one)."""

from __future__ import annotations

import io
import re

import pytest

from opendata.config import load_config
from opendata.core.urls import SITE
from opendata.services.access import system_viewer
from opendata.services.showcases.moderation import moderate_showcase, moderation_queue
from opendata.services.showcases.submission import submit_showcase
from tests.accounts_fixtures import seed_accounts
from tests.conftest import running_app
from tests.showcase_images import screenshot_png
from tests.web.pagecheck import read_page

ADMIN = system_viewer("moderator")
FORM = {"title": "预算看板 <script>alert(1)</script>", "description": "按部门查看预算。\n第二段。",
        "url": "https://apps.example.org/budget", "kind": "app", "author": "王五", "author_email": "wang@example.org",
        "datasets": ["budget"]}


@pytest.fixture
def seeded(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    return runtime


@pytest.fixture
def client(seeded):
    with running_app(load_config({}, **{**seeded.config.values, "RATE_LIMIT_ENABLED": False})) as app:
        yield app.test_client()


def _publish(rt, form=FORM, screenshot=True) -> str:
    done = submit_showcase(runtime=rt, viewer=ADMIN, links=SITE, form=dict(form),
                           screenshot=io.BytesIO(screenshot_png()) if screenshot else None)
    moderate_showcase(runtime=rt, viewer=ADMIN, links=SITE, name=done["name"], decision="publish")
    return done["name"]


def test_the_home_page_shows_the_showcase_section_only_once_one_is_published(seeded, client):
    assert 'id="showcases"' not in client.get("/").get_data(as_text=True)
    name = _publish(seeded)
    page = client.get("/").get_data(as_text=True)
    assert 'id="showcases"' in page and f'href="/showcases/{name}"' in page
    assert f'src="/api/v1/showcases/{name}/screenshot"' in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_a_published_showcase_has_its_page_and_is_on_the_list_and_its_datasets_page(seeded, client):
    name = _publish(seeded)
    shown = client.get(f"/showcases/{name}")
    page = read_page(shown.get_data(as_text=True))
    assert shown.status_code == 200 and [level for level, _t in page.headings].count(1) == 1
    assert "https://apps.example.org/budget" in page.links and "/datasets/budget" in page.links
    assert "按部门查看预算。" in page.text and "第二段。" in page.text
    assert "wang@example.org" not in shown.get_data(as_text=True)  # the author's address is for moderators
    image = client.get(f"/api/v1/showcases/{name}/screenshot")
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert f"/showcases/{name}" in read_page(client.get("/showcases").get_data(as_text=True)).links
    dataset_page = client.get("/datasets/budget").get_data(as_text=True)
    assert f'href="/showcases/{name}"' in dataset_page and "/showcases/new?dataset=budget" in dataset_page
    assert f"/showcases/{name}" not in client.get("/datasets/subsidies").get_data(as_text=True)


def test_a_showcase_waiting_for_moderation_has_no_page(seeded, client):
    done = submit_showcase(runtime=seeded, viewer=ADMIN, links=SITE, form=dict(FORM))
    assert client.get(f"/showcases/{done['name']}", headers={"Accept": "text/html"}).status_code == 404
    assert done["name"] not in client.get("/showcases").get_data(as_text=True)


def _form_token(client, path="/showcases/new") -> str:
    return re.search(r'name="token" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def test_the_form_names_each_bad_field_and_stores_nothing(seeded, client):
    form = {**FORM, "datasets": "budget", "url": "javascript:alert(1)", "title": "",
            "screenshot": (io.BytesIO(b"%PDF-1.7 not an image"), "shot.png"), "token": _form_token(client)}
    answer = client.post("/showcases/new", data=form, content_type="multipart/form-data")
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    for field in ("title", "url", "screenshot"):
        assert f'id="{field}-error"' in html and f'aria-describedby="{field}-error"' in html
    assert 'value="王五"' in html  # what was typed is kept
    assert moderation_queue(runtime=seeded, viewer=ADMIN, links=SITE) == []


def test_the_form_takes_a_showcase_with_its_screenshot_for_moderation(seeded, client):
    prefilled = client.get("/showcases/new?dataset=budget").get_data(as_text=True)
    assert 'id="datasets" name="datasets" value="budget"' in prefilled
    form = {**FORM, "datasets": "budget", "screenshot": (io.BytesIO(screenshot_png()), "shot.png"),
            "token": _form_token(client)}
    answer = client.post("/showcases/new", data=form, content_type="multipart/form-data")
    assert answer.status_code == 200 and "/showcases/yu-suan-kan-ban-script-alert-1-script" in answer.get_data(
        as_text=True)
    queued = moderation_queue(runtime=seeded, viewer=ADMIN, links=SITE)
    assert [(q["name"], q["screenshot"]["media_type"]) for q in queued] == [
        ("yu-suan-kan-ban-script-alert-1-script", "image/png")]


def test_a_form_without_its_token_is_refused(seeded, client):
    answer = client.post("/showcases/new", data={**FORM, "datasets": "budget"}, content_type="multipart/form-data")
    assert answer.status_code == 400 and moderation_queue(runtime=seeded, viewer=ADMIN, links=SITE) == []
