"""Errors as HTML pages for browsers and as the one JSON shape for API clients, chosen by path and Accept."""

from __future__ import annotations

import pytest

from tests.web.pagecheck import read_page

BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_an_unknown_page_is_an_html_404_for_a_browser_and_json_for_other_clients(client):
    page = client.get("/no/such/page", headers=BROWSER)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert read_page(page.get_data(as_text=True)).heading_texts(1)[0].startswith("页面不存在")
    for headers in ({}, {"Accept": "*/*"}, {"Accept": "application/json"}):
        r = client.get("/no/such/page", headers=headers)
        assert r.status_code == 404 and r.json["code"] == "not-found", headers


@pytest.mark.parametrize("path", ["/api/v1/datasets/nosuch", "/api/v1/nosuch", "/datasets/nosuch.jsonld",
                                  "/bulk/nosuch.zip"])
def test_api_and_file_paths_answer_json_even_to_browsers(client, path):
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 404 and r.mimetype == "application/json" and set(r.json) == {
        "code", "status", "message", "errors"}


def test_portal_pages_answer_html_errors_to_every_client(client):
    r = client.get("/datasets/nosuch", headers={"Accept": "application/json"})
    assert r.status_code == 404 and r.mimetype == "text/html"


@pytest.fixture(scope="module")
def failing_app(catalogue):
    """A new app with routes that fail or refuse, to see the 500 and 429 pages outside TESTING mode."""
    from werkzeug.exceptions import TooManyRequests

    from tests.conftest import running_app

    def refuse():
        raise TooManyRequests()

    with running_app(catalogue.runtime.config) as app:
        app.config["TESTING"] = False  # TESTING re-raises errors instead of answering them
        app.add_url_rule("/boom-for-test", "boom", lambda: 1 / 0)
        app.add_url_rule("/limited-for-test", "limited", refuse)
        yield app


def test_an_internal_error_is_a_500_page_that_shows_nothing_of_the_failure(failing_app):
    client = failing_app.test_client()
    page = client.get("/boom-for-test", headers=BROWSER)
    assert page.status_code == 500 and page.mimetype == "text/html"
    text = page.get_data(as_text=True)
    assert "出错了" in text and "ZeroDivisionError" not in text and "Traceback" not in text
    assert client.get("/boom-for-test").json["code"] == "internal-error"


def test_a_refused_browser_gets_the_429_page_and_an_api_client_the_json(failing_app):
    client = failing_app.test_client()
    page = client.get("/limited-for-test", headers=BROWSER)
    assert page.status_code == 429 and page.mimetype == "text/html"
    assert "请求过于频繁" in page.get_data(as_text=True)
    english = client.get("/limited-for-test?lang=en", headers=BROWSER).get_data(as_text=True)
    assert "Too many requests" in english and 'lang="en"' in english
    api = client.get("/limited-for-test", headers={"Accept": "application/json"})
    assert api.status_code == 429 and api.json["code"] == "too-many-requests"
