"""Security headers on every kind of response, and rate limits with 429 and Retry-After."""

from __future__ import annotations

import base64
import hashlib
import io
import re

import pytest
from flask import send_file

from opendata.app import create_app
from opendata.config import load_config
from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token, seed_accounts

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def _app(home, **settings):
    app = create_app(load_config({}, HOME=str(home), **settings))
    app.config["TESTING"] = True

    @app.get("/test-download")
    def _download():
        return send_file(io.BytesIO(b"id,name\n1,a\n"), mimetype="text/csv", as_attachment=True,
                         download_name="data.csv")

    return app


@pytest.fixture
def client(runtime):
    app = _app(runtime.config.home)
    yield app.test_client()
    app.extensions["opendata"].close()


def _assert_secure(response):
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
    assert "Authorization" in response.headers.get("Vary", "")
    assert re.fullmatch(r"[A-Za-z0-9._-]{1,64}", response.headers["X-Request-ID"])


def test_headers_on_json_errors_and_downloads(client):
    ok = client.get("/api/v1/status")
    assert ok.status_code == 200 and ok.is_json
    _assert_secure(ok)
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404 and set(missing.json) == ERROR_KEYS
    _assert_secure(missing)
    unauthorized = client.get("/api/v1/tokens")
    assert unauthorized.status_code == 401
    _assert_secure(unauthorized)
    download = client.get("/test-download")
    assert download.headers["Content-Disposition"].startswith("attachment")
    _assert_secure(download)
    download.close()


def test_swagger_ui_inline_script_is_allowed_by_hash_only(client):
    page = client.get("/api/docs")
    assert page.status_code == 200
    scripts = re.findall(rb"<script>(.*?)</script>", page.data, re.S)
    assert len(scripts) == 1
    digest = base64.b64encode(hashlib.sha256(scripts[0]).digest()).decode()
    csp = page.headers["Content-Security-Policy"]
    assert f"script-src 'self' 'sha256-{digest}'" in csp and "frame-ancestors 'none'" in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";")[0]
    assert "https:" not in csp and "http:" not in csp  # no CDN


def test_authenticated_answers_are_private(client, runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    response = client.get("/api/v1/tokens", headers=bearer(make_token(runtime, "alice")))
    assert response.status_code == 200 and response.headers["Cache-Control"] == "private"


def test_malformed_request_id_is_replaced(client):
    response = client.get("/api/v1/status", headers={"X-Request-ID": "<script>" + "x" * 100})
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_anonymous_callers_are_limited_per_address(runtime):
    app = _app(runtime.config.home, RATE_LIMIT_ANONYMOUS_READ="3 per minute")
    client = app.test_client()
    for _ in range(3):
        ok = client.get("/api/v1/status")
        assert ok.status_code == 200 and "Retry-After" not in ok.headers
        assert int(ok.headers["X-RateLimit-Limit"]) == 3
    limited = client.get("/api/v1/status")
    assert limited.status_code == 429 and set(limited.json) == ERROR_KEYS
    assert limited.json["code"] == "too-many-requests"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    _assert_secure(limited)
    other = client.get("/api/v1/status", environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 200  # another address has its own allowance
    app.extensions["opendata"].close()


def test_page_views_are_counted_apart_from_api_calls_so_a_class_behind_one_address_can_browse(runtime):
    app = _app(runtime.config.home, RATE_LIMIT_ANONYMOUS_READ="3 per minute", RATE_LIMIT_PAGES="60 per minute")
    client = app.test_client()
    searches = [f"/catalog?q=word{i}" for i in range(60)]  # 50 pupils searching, a search or so each
    assert [client.get(path).status_code for path in searches] == [200] * 60
    assert [client.get("/api/v1/status").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/catalog?q=one-more", headers={"Accept": "text/html"})
    assert refused.status_code == 429 and refused.mimetype == "text/html"  # pages have a limit too: their own
    assert int(refused.headers["Retry-After"]) > 0
    app.extensions["opendata"].close()


def test_tokens_have_their_own_allowance_and_bad_tokens_count_against_the_address(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    app = _app(runtime.config.home, RATE_LIMIT_ANONYMOUS_READ="2 per minute", RATE_LIMIT_TOKEN_READ="4 per minute")
    client = app.test_client()
    plain = make_token(runtime, "alice")
    for _ in range(2):
        assert client.get("/api/v1/status", headers=bearer("od_0123456789_" + "x" * 43)).status_code == 401
    assert client.get("/api/v1/status").status_code == 429
    statuses = [client.get("/api/v1/status", headers=bearer(plain)).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    app.extensions["opendata"].close()


def test_rate_limits_can_be_turned_off_for_benchmarks(runtime):
    app = _app(runtime.config.home, RATE_LIMIT_ANONYMOUS_READ="1 per minute", RATE_LIMIT_ENABLED=False)
    client = app.test_client()
    assert all(client.get("/api/v1/status").status_code == 200 for _ in range(5))
    app.extensions["opendata"].close()


def test_trusted_proxy_address_is_used_for_limits(runtime):
    app = _app(runtime.config.home, RATE_LIMIT_ANONYMOUS_READ="1 per minute", TRUSTED_PROXIES=1)
    client = app.test_client()
    assert client.get("/api/v1/status", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 200
    assert client.get("/api/v1/status", headers={"X-Forwarded-For": "203.0.113.1"}).status_code == 429
    assert client.get("/api/v1/status", headers={"X-Forwarded-For": "203.0.113.2"}).status_code == 200
    app.extensions["opendata"].close()


def test_headers_on_real_downloads_and_their_errors(fresh_site):
    client = fresh_site.client
    download = client.get("/api/v1/datasets/budget/download.csv")
    assert download.status_code == 200 and download.headers["Content-Disposition"].startswith("attachment")
    _assert_secure(download)
    download.close()
    refused = client.get("/api/v1/datasets/subsidies/download.csv")  # conditional: not for anonymous callers
    assert refused.status_code == 404 and set(refused.json) == ERROR_KEYS
    _assert_secure(refused)


def test_api_answers_set_no_session_cookie_and_a_server_side_session_still_round_trips(runtime):
    """The session lives on the server: API callers without the cookie get none, a page's session comes
    back by its id, and an unknown or forged id opens an empty one."""
    from flask import session

    from opendata.web.console.session_cookie import SECURE_NAME

    app = _app(runtime.config.home)
    app.config["PREFERRED_URL_SCHEME"] = "https"  # the cookie is Secure

    @app.get("/test-session/<value>")
    def _remember(value):
        before = session.get("value")
        session["value"] = value
        return {"before": before}

    try:
        c = app.test_client()
        assert "Set-Cookie" not in c.get("/api/v1/status").headers
        first = c.get("/test-session/a")
        assert first.json == {"before": None} and f"{SECURE_NAME}=" in first.headers["Set-Cookie"]
        assert "value" not in first.headers["Set-Cookie"]  # only the id travels
        assert c.get("/test-session/b").json == {"before": "a"}
        c.set_cookie(SECURE_NAME, "forged-session-id", domain="localhost")
        assert c.get("/test-session/c").json == {"before": None}
    finally:
        app.extensions["opendata"].close()
