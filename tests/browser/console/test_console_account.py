"""Signing in, the account pages and API tokens in a real browser: cookies, CSRF, a new session id,
and axe-core (WCAG 2.2 A/AA) at 1280 and 390 px on each page."""

from __future__ import annotations

import re

import pytest

from tests.browser.console.conftest import PASSWORD, docs_shot, sign_in
from tests.browser.helpers import WIDTHS, assert_no_axe_violations, assert_no_horizontal_scroll

SESSION = "__Host-opendata-session"
ACCOUNT_PAGES = ("/console/", "/console/account", "/console/account/password", "/console/account/tokens")


def _session_cookie(page):
    return next((c for c in page.context.cookies() if c["name"] == SESSION), None)


@pytest.mark.parametrize("width", WIDTHS)
def test_sign_in_page_is_accessible_and_names_each_missing_field(console_server, new_page, screenshots, width):
    page = new_page(width)
    page.goto(f"{console_server.base}/console/sign-in")
    assert_no_axe_violations(page)
    assert_no_horizontal_scroll(page)
    docs_shot(page, "console-sign-in", screenshots)
    page.get_by_role("button", name="登录").click()
    summary = page.get_by_role("alert")
    assert "请输入用户名" in summary.inner_text() and "请输入密码" in summary.inner_text()
    assert page.locator("#username").get_attribute("aria-invalid") == "true"
    assert_no_axe_violations(page)  # with its errors shown too


@pytest.mark.parametrize("width", WIDTHS)
def test_account_pages_are_accessible(console_server, signed_in, screenshots, width):
    page = signed_in("clerk", width)
    for path in ACCOUNT_PAGES:
        page.goto(console_server.base + path)
        assert page.locator("h1").count() == 1, path
        assert_no_axe_violations(page)
        assert_no_horizontal_scroll(page)
    docs_shot(page, "console-tokens", screenshots)


def test_the_session_cookie_is_secure_httponly_lax_and_new_at_sign_in(console_server, new_page, browser):
    page = new_page()
    page.goto(f"{console_server.base}/console/sign-in")
    before = _session_cookie(page)
    assert before and before["secure"] and before["httpOnly"] and before["sameSite"] == "Lax"
    sign_in(page, console_server.base, "clerk")
    after = _session_cookie(page)
    assert after["value"] != before["value"]
    # a browser still holding the cookie from before sign-in is not signed in
    stale = browser.new_context()
    try:
        stale.add_cookies([{**before, "expires": -1}])
        old = stale.new_page()
        old.goto(f"{console_server.base}/console/account")
        assert "/console/sign-in" in old.url
        assert old.locator("#password").is_visible()
    finally:
        stale.close()


def test_a_form_sent_without_its_csrf_token_is_refused(console_server, signed_in):
    page = signed_in("clerk")
    answer = page.request.post(f"{console_server.base}/console/account/tokens",
                               form={"name": "no-token", "scopes": "read", "lifetime_days": "5"})
    assert answer.status == 400 and "表单未被接受" in answer.text()
    page.goto(f"{console_server.base}/console/account/tokens")
    assert "no-token" not in page.content()
    api = page.request.post(f"{console_server.base}/api/v1/tokens", data={"name": "via-api", "scopes": ["read"]})
    assert api.status == 400 and api.json()["code"] == "csrf-token-invalid"


def test_a_token_is_shown_once_works_and_can_be_revoked(console_server, signed_in, screenshots):
    page = signed_in("clerk")
    page.goto(f"{console_server.base}/console/account/tokens")
    page.get_by_label("名称").fill("nightly upload")
    page.get_by_label("publish").check()
    page.get_by_role("button", name="创建令牌").click()
    plain = page.locator("#new-token").inner_text().strip()
    assert re.fullmatch(r"od_[0-9a-f]{10}_[A-Za-z0-9_-]{43}", plain)
    assert_no_axe_violations(page)
    status, _body = console_server.get("/api/v1/tokens", token=plain)
    assert status == 200
    page.goto(f"{console_server.base}/console/account/tokens")
    assert plain not in page.content()  # shown once only
    page.get_by_role("button", name="吊销“nightly upload”").click()
    page.wait_for_load_state()
    status, _body = console_server.get("/api/v1/tokens", token=plain)
    assert status == 401


def test_a_password_change_signs_out_the_other_browsers(console_server, signed_in, new_page):
    other = signed_in("approver1")
    page = signed_in("approver1")
    page.goto(f"{console_server.base}/console/account/password")
    page.get_by_label("当前密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill("a brand new passphrase")
    page.get_by_label("再次输入新密码").fill("a brand new passphrase")
    page.get_by_role("button", name="修改密码").click()
    assert page.get_by_role("heading", name="密码已修改").is_visible()
    other.goto(f"{console_server.base}/console/account")
    assert "/console/sign-in" in other.url
    page.goto(f"{console_server.base}/console/account")
    assert page.url.endswith("/console/account")
    restore = page.goto(f"{console_server.base}/console/account/password")
    assert restore.ok
    page.get_by_label("当前密码").fill("a brand new passphrase")
    page.get_by_label("新密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入新密码").fill(PASSWORD)
    page.get_by_role("button", name="修改密码").click()


def test_signing_out_ends_the_session(console_server, signed_in):
    page = signed_in("clerk")
    cookie = _session_cookie(page)
    page.get_by_role("button", name="退出登录").click()
    assert page.get_by_role("heading", name="已退出登录").is_visible()
    assert _session_cookie(page) is None
    page.context.add_cookies([{**cookie, "expires": -1}])
    page.goto(f"{console_server.base}/console/account")
    assert "/console/sign-in" in page.url
