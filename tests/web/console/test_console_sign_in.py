"""Console sign-in over HTTP: cookies, a new session id, CSRF on every form and on API writes, sign-out."""

from __future__ import annotations

from sqlalchemy import select

from opendata.store.accounts import AuditLog
from opendata.web.console.session_cookie import SECURE_NAME
from tests.accounts_fixtures import PASSWORD
from tests.web.console.conftest import csrf_of, sign_in_as


def _cookie(client):
    cookie = client.get_cookie(SECURE_NAME, domain="localhost")
    return cookie.value if cookie is not None else None


def test_console_pages_send_a_visitor_to_sign_in_and_back(browser_client):
    r = browser_client.get("/console/account/tokens")
    assert r.status_code == 303 and r.location.endswith("/console/sign-in?next=%2Fconsole%2Faccount%2Ftokens")
    r = sign_in_as(browser_client, "finclerk")
    assert r.status_code == 303  # signing in from the plain form goes to the console's home
    r = browser_client.get("/console/sign-in?next=/console/account/tokens")
    assert r.status_code == 303 and r.location.endswith("/console/account/tokens")


def test_the_session_cookie_is_secure_httponly_lax_and_host_only(browser_client):
    r = browser_client.get("/console/sign-in")
    header = r.headers["Set-Cookie"]
    assert header.startswith(f"{SECURE_NAME}=")
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax", "Path=/"):
        assert attribute in header
    assert "Domain" not in header and "Max-Age" not in header and "Expires" not in header


def test_signing_in_gives_a_new_session_id_and_the_old_one_is_not_accepted(browser_client, console_app):
    browser_client.get("/console/sign-in")
    before = _cookie(browser_client)
    r = sign_in_as(browser_client, "finclerk")
    after = _cookie(browser_client)
    assert r.status_code == 303 and after and after != before
    assert browser_client.get("/console/account").status_code == 200
    stale = console_app.test_client()
    stale.set_cookie(SECURE_NAME, before, domain="localhost")
    r = stale.get("/console/account")
    assert r.status_code == 303 and "/console/sign-in" in r.location


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(browser_client, console_app):
    browser_client.get("/console/sign-in")
    r = browser_client.post("/console/sign-in", data={"username": "finclerk", "password": PASSWORD})
    assert r.status_code == 400 and _cookie(browser_client)
    assert browser_client.get("/console/account").status_code == 303  # still not signed in
    sign_in_as(browser_client, "finclerk")
    page = browser_client.get("/console/account/tokens").get_data(as_text=True)
    r = browser_client.post("/console/account/tokens", data={"name": "x", "lifetime_days": "5", "scopes": "read"})
    assert r.status_code == 400
    r = browser_client.post("/console/account/tokens", data={"name": "x", "lifetime_days": "5", "scopes": "read",
                                                             "csrf_token": "forged"})
    assert r.status_code == 400
    assert "您没有有效的令牌" in browser_client.get("/console/account/tokens").get_data(as_text=True)
    r = browser_client.post("/console/account/tokens", data={"name": "nightly", "lifetime_days": "5",
                                                             "scopes": "read", "csrf_token": csrf_of(page)})
    assert r.status_code == 200 and "od_" in r.get_data(as_text=True)


def test_wrong_password_answers_inline_and_is_audited(browser_client, console_app):
    r = sign_in_as(browser_client, "finclerk", "not the password")
    body = r.get_data(as_text=True)
    assert r.status_code == 401 and "error-summary" in body
    runtime = console_app.extensions["opendata"]
    with runtime.sessions() as s:
        entry = s.scalars(select(AuditLog).where(AuditLog.target_id == "finclerk").order_by(AuditLog.seq.desc())).first()
    assert entry.action == "sign-in-failed" and entry.address == "127.0.0.1"


def test_an_empty_sign_in_form_names_each_missing_field(browser_client):
    token = csrf_of(browser_client.get("/console/sign-in").get_data(as_text=True))
    r = browser_client.post("/console/sign-in", data={"csrf_token": token, "username": "", "password": ""})
    body = r.get_data(as_text=True)
    assert r.status_code == 422
    assert 'href="#username"' in body and 'href="#password"' in body and 'aria-invalid="true"' in body


def test_signing_out_ends_the_session(browser_client):
    sign_in_as(browser_client, "finclerk")
    cookie = _cookie(browser_client)
    page = browser_client.get("/console/account").get_data(as_text=True)
    r = browser_client.post("/console/sign-out", data={"csrf_token": csrf_of(page)})
    assert r.status_code == 200 and _cookie(browser_client) is None
    browser_client.set_cookie(SECURE_NAME, cookie, domain="localhost")
    assert browser_client.get("/console/account").status_code == 303


def test_the_api_takes_the_session_for_reads_and_wants_the_csrf_header_for_writes(browser_client):
    sign_in_as(browser_client, "finclerk")
    assert browser_client.get("/api/v1/tokens").status_code == 200  # the session is the caller
    r = browser_client.post("/api/v1/tokens", json={"name": "from-a-page", "scopes": ["read"]})
    assert r.status_code == 400 and r.get_json()["code"] == "csrf-token-invalid"
    page = browser_client.get("/console/account/tokens").get_data(as_text=True)
    r = browser_client.post("/api/v1/tokens", json={"name": "from-a-page", "scopes": ["read"]},
                            headers={"X-CSRFToken": csrf_of(page)})
    assert r.status_code == 201, r.get_json()


def test_api_clients_without_the_cookie_get_no_session_and_no_cookie(console_app):
    client = console_app.test_client()
    r = client.get("/api/v1/datasets")
    assert "Set-Cookie" not in r.headers and "Cookie" not in r.headers.get("Vary", "")


def test_a_password_change_keeps_this_browser_and_ends_the_others(browser_client, console_app):
    other = console_app.test_client()
    sign_in_as(other, "finclerk")
    sign_in_as(browser_client, "finclerk")
    page = browser_client.get("/console/account/password").get_data(as_text=True)
    r = browser_client.post("/console/account/password", data={
        "csrf_token": csrf_of(page), "current": PASSWORD, "new": "another long password",
        "repeated": "another long password"})
    assert r.status_code == 200
    assert browser_client.get("/console/account").status_code == 200
    assert other.get("/console/account").status_code == 303
