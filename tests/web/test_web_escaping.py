"""Catalogue text is data, never markup: titles, descriptions, keywords, names and queries are escaped,
and the embedded JSON-LD cannot end its script element."""

from __future__ import annotations

import pytest

from opendata.app import close_app, create_app
from opendata.store.migrate import upgrade_to_head
from tests.builders import ORGANIZATIONS, generate_rows, make_catalog, publish_rows
from tests.web.pagecheck import read_page

ATTACK = "<script>alert(1)</script>"
DATASET = {"id": "xss", "title": f"预算{ATTACK}", "title_en": "Budget </script><script>alert(2)</script>",
           "description": f"说明 <img src=x onerror=alert(3)> & {ATTACK}", "keywords": [f"<b>{ATTACK}</b>"]}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("escaping")
    app = create_app(HOME=str(tmp / "home"), BASE_URL="http://testserver", RATE_LIMIT_ENABLED=False)
    app.config["TESTING"] = True
    rt = app.extensions["opendata"]
    rt.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(rt.config.database_url)
    orgs = [dict(o) for o in ORGANIZATIONS]
    orgs[1]["name"] = f"财政局{ATTACK}"
    make_catalog(rt, tmp, datasets=[DATASET], organizations=orgs)
    publish_rows(rt, "xss", generate_rows(5))
    yield app.test_client()
    close_app(app)


@pytest.mark.parametrize("path", ["/datasets/xss", "/organizations/finance", "/catalog",
                                  f"/catalog?q={ATTACK}", f"/catalog?keyword=<b>{ATTACK}</b>"])
def test_markup_in_catalogue_text_is_escaped(client, path):
    r = client.get(path)
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert "<script>alert" not in html and "<img" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = read_page(html)
    assert [kind for kind, _text in page.scripts] in ([], ["application/ld+json"])


def test_embedded_jsonld_keeps_the_text_and_cannot_close_its_script(client):
    html = client.get("/datasets/xss").get_data(as_text=True)
    page = read_page(html)
    (embedded,) = page.jsonld()
    assert embedded == client.get("/datasets/xss.jsonld").json
    assert embedded["name"] == DATASET["title"] and embedded["alternateName"] == DATASET["title_en"]
    assert html.count("</script>") == 1
