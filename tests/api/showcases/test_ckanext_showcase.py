"""The ckanext-showcase actions driven by the ckanapi client library, as CKAN tooling reads showcases.

Each test runs twice: ``RemoteCKAN`` against a live ``opendata serve`` and ``TestAppCKAN`` over the
Flask test client. Two showcases are published, one waits for moderation and one was rejected:
only the published ones exist for CKAN.
"""

from __future__ import annotations

import io

import ckanapi
import pytest

from opendata.app import close_app, create_app
from opendata.config import load_config
from opendata.core.urls import Links
from opendata.services.access import system_viewer
from opendata.services.runtime import Runtime
from opendata.services.showcases.moderation import moderate_showcase
from opendata.services.showcases.submission import submit_showcase
from tests.accounts_fixtures import seed_accounts
from tests.api.ckan.flask_testapp import FlaskTestApp
from tests.live_server import LiveServer
from tests.showcase_images import screenshot_png

ADMIN = system_viewer("moderator")
SHOWCASES = [  # (name, datasets, decision)
    ("budget-explorer", ["budget"], "publish"),
    ("subsidy-map", ["subsidies", "budget"], "publish"),
    ("waiting", ["budget"], None),
    ("turned-down", ["budget"], "reject"),
]


@pytest.fixture(scope="module")
def home(tmp_path_factory, migrate_home):
    home = migrate_home(tmp_path_factory.mktemp("showcase-ckan") / "home")
    rt = Runtime(load_config({}, HOME=str(home)))
    seed_accounts(rt, home.parent / "project")
    links = Links("http://data.example.gov.cn")
    for name, datasets, decision in SHOWCASES:
        submit_showcase(runtime=rt, viewer=ADMIN, links=links, screenshot=io.BytesIO(screenshot_png()), form={
            "name": name, "title": f"{name} 的标题", "description": "说明。", "url": f"https://apps.example.org/{name}",
            "author": "李四", "author_email": "li@example.org", "datasets": datasets})
        if decision:
            moderate_showcase(runtime=rt, viewer=ADMIN, links=links, name=name, decision=decision, note="理由")
    rt.close()
    return home


@pytest.fixture(scope="module")
def remote(home):
    with LiveServer(home) as srv:
        ckan = ckanapi.RemoteCKAN(srv.base, user_agent="opendata-tests")
        yield ckan
        ckan.close()


@pytest.fixture(scope="module")
def testapp(home):
    app = create_app(load_config({}, HOME=str(home), RATE_LIMIT_ENABLED=False))
    app.config["TESTING"] = True
    yield ckanapi.TestAppCKAN(FlaskTestApp(app.test_client()))
    close_app(app)


@pytest.fixture(params=["remote", "testapp"])
def ckan(request):
    return request.getfixturevalue(request.param)


def test_showcase_list_gives_the_published_showcases_as_packages_of_type_showcase(ckan):
    found = ckan.action.ckanext_showcase_list()
    assert sorted(s["name"] for s in found) == ["budget-explorer", "subsidy-map"]
    shown = {s["name"]: s for s in found}["subsidy-map"]
    assert shown["type"] == "showcase" and shown["id"] == "subsidy-map" and shown["state"] == "active"
    assert shown["url"] == "https://apps.example.org/subsidy-map" and shown["notes"] == "说明。"
    assert shown["author"] == "李四" and shown["author_email"] == ""  # the address is for the moderators only
    assert shown["image_url"].endswith("/api/v1/showcases/subsidy-map/screenshot")
    assert len(ckan.action.ckanext_showcase_list(limit=1)) == 1


def test_showcase_show_and_its_packages_in_the_submitters_order(ckan):
    shown = ckan.action.ckanext_showcase_show(id="subsidy-map")
    assert shown["title"] == "subsidy-map 的标题" and shown["metadata_created"].count("+") == 0
    packages = ckan.action.ckanext_showcase_package_list(showcase_id="subsidy-map")
    assert [p["name"] for p in packages] == ["subsidies", "budget"]
    assert packages[1]["organization"]["name"] == "finance" and packages[0]["resources"] == []


def test_package_showcase_list_gives_a_datasets_published_showcases(ckan):
    assert [s["name"] for s in ckan.action.ckanext_package_showcase_list(package_id="subsidies")] == ["subsidy-map"]
    assert sorted(s["name"] for s in ckan.action.ckanext_package_showcase_list(package_id="budget")) == [
        "budget-explorer", "subsidy-map"]


@pytest.mark.parametrize("name", ["waiting", "turned-down", "no-such-showcase"])
def test_a_showcase_that_is_not_published_is_not_found(ckan, name):
    with pytest.raises(ckanapi.NotFound):
        ckan.action.ckanext_showcase_show(id=name)
    with pytest.raises(ckanapi.NotFound):
        ckan.action.ckanext_showcase_package_list(showcase_id=name)


def test_missing_or_unknown_arguments_are_ckan_errors(ckan):
    with pytest.raises(ckanapi.ValidationError) as missing:
        ckan.action.ckanext_showcase_show()
    assert missing.value.error_dict["id"] == ["Missing value"]
    with pytest.raises(ckanapi.ValidationError):
        ckan.action.ckanext_package_showcase_list()
    with pytest.raises(ckanapi.NotFound):
        ckan.action.ckanext_package_showcase_list(package_id="no-such-dataset")
