"""Rate limits by class: reads cost less than writes, page views are not API calls, static files are free."""

from __future__ import annotations

import pytest

from opendata.app import close_app, create_app
from opendata.config import ConfigError, load_config
from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token, seed_accounts


@pytest.fixture
def make(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    apps = []

    def build(**settings):
        app = create_app(load_config({}, HOME=str(runtime.config.home), **settings))
        app.config["TESTING"] = True
        apps.append(app)
        return app.test_client()

    yield build
    for app in apps:
        close_app(app)


def _limited(response) -> bool:
    if response.status_code == 429:
        assert set(response.json) == ERROR_KEYS and 0 < int(response.headers["Retry-After"]) <= 60
        return True
    return False


def test_reads_and_writes_are_counted_apart(make):
    client = make(RATE_LIMIT_ANONYMOUS_READ="3 per minute", RATE_LIMIT_ANONYMOUS_WRITE="2 per minute")
    writes = [client.post("/api/v1/tokens", json={"name": "x"}) for _ in range(3)]  # no token: 401, counted
    assert [w.status_code for w in writes[:2]] == [401, 401] and _limited(writes[2])
    reads = [client.get("/api/v1/datasets") for _ in range(4)]  # writes did not use the reads' allowance
    assert [r.status_code for r in reads[:3]] == [200, 200, 200] and _limited(reads[3])
    assert int(reads[0].headers["X-RateLimit-Limit"]) == 3


def test_ckan_actions_are_reads_whatever_their_method(make):
    client = make(RATE_LIMIT_ANONYMOUS_READ="4 per minute", RATE_LIMIT_ANONYMOUS_WRITE="1 per minute")
    answers = [client.post("/api/3/action/package_list", json={}) for _ in range(3)]
    answers.append(client.get("/api/3/action/package_list"))
    assert [a.status_code for a in answers] == [200] * 4  # ckanapi POSTs every action
    assert client.get("/api/3/action/package_list").status_code == 429


def test_tokens_have_their_own_read_and_write_allowances(make, runtime):
    client = make(RATE_LIMIT_TOKEN_READ="3 per minute", RATE_LIMIT_TOKEN_WRITE="1 per minute",
                  RATE_LIMIT_ANONYMOUS_READ="1 per minute")
    token = bearer(make_token(runtime, "admin", scopes=["admin"]))
    assert client.post("/api/v1/tokens", json={"name": "one"}, headers=token).status_code == 201
    assert _limited(client.post("/api/v1/tokens", json={"name": "two"}, headers=token))
    assert [client.get("/api/v1/tokens", headers=token).status_code for _ in range(3)] == [200, 200, 200]
    assert _limited(client.get("/api/v1/tokens", headers=token))
    assert client.get("/api/v1/datasets").status_code == 200  # the address's own allowance is untouched


def test_page_views_are_not_api_calls_and_static_files_are_free(make):
    client = make(RATE_LIMIT_ANONYMOUS_READ="1 per minute", RATE_LIMIT_PAGES="4 per minute")
    assert client.get("/api/v1/datasets").status_code == 200
    assert client.get("/api/v1/datasets").status_code == 429  # the API allowance is spent...
    pages = [client.get(p) for p in ("/catalog", "/catalog?q=预算", "/api/docs", "/catalog")]
    assert [p.status_code for p in pages] == [200] * 4  # ...the pages have their own
    assert client.get("/catalog").status_code == 429
    css = [a for a in client.get("/api/docs").get_data(as_text=True).split('"') if a.endswith(".css")]
    assets = ["/assets/portal.css", *css]
    for _ in range(10):
        for asset in assets:
            r = client.get(asset)
            assert r.status_code in (200, 304, 404) and "X-RateLimit-Limit" not in r.headers, asset


def test_a_class_of_fifty_browsing_from_one_address_is_not_stopped(make):
    client = make()  # the default limits
    statuses = []
    for student in range(50):
        for path in ("/catalog", f"/catalog?page={student % 3 + 1}", "/datasets/budget", "/organizations/finance"):
            statuses.append(client.get(path, environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code)
        statuses.append(client.get("/assets/portal.css", environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code)
    assert set(statuses) == {200} and len(statuses) == 250


def test_the_old_single_limit_settings_are_refused_with_their_replacements():
    with pytest.raises(ConfigError, match="OPENDATA_RATE_LIMIT_ANONYMOUS_READ and OPENDATA_RATE_LIMIT_ANONYMOUS_WRITE"):
        load_config({"OPENDATA_RATE_LIMIT_ANONYMOUS": "60 per minute"})
