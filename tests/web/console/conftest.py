"""The console over the accounts catalogue (``console_app``) or the review catalogue (``app``): clients on https
(Secure cookies), signed-in helpers."""

from __future__ import annotations

import re

import pytest

from opendata.services.accounts import user_set_password
from opendata.store.db import transaction
from tests.accounts_fixtures import OPERATOR, PASSWORD, seed_accounts
from tests.conftest import running_app
from tests.review_fixtures import REVIEW_USERS, seed_review_catalog

CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


@pytest.fixture
def console_app(runtime, tmp_path):
    """The app over the basic catalogue and its users; finclerk, reviewer and admin get PASSWORD too."""
    seed_accounts(runtime, tmp_path / "project")
    with transaction(runtime.sessions) as session:
        for name in ("finclerk", "reviewer", "admin", "cityclerk"):
            user_set_password(session=session, actor=OPERATOR, username=name, password=PASSWORD)
    with running_app(runtime.config) as app:
        app.config["PREFERRED_URL_SCHEME"] = "https"  # test clients talk https, as browsers must for Secure cookies
        yield app


@pytest.fixture
def browser_client(console_app):
    """A test client that talks https, as browsers must for the Secure session cookie."""
    return console_app.test_client()


def csrf_of(html: str) -> str:
    """The CSRF token of the first form on a page."""
    match = CSRF_FIELD.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1) or match.group(2)


def sign_in_as(client, username: str, password: str = PASSWORD):
    """Sign in through the form; returns the answer to the POST."""
    token = csrf_of(client.get("/console/sign-in").get_data(as_text=True))
    return client.post("/console/sign-in", data={"csrf_token": token, "username": username, "password": password})


@pytest.fixture
def app(runtime, tmp_path):
    """City > finance and env; finance's payees (a PII column) and budget; REVIEW_USERS with PASSWORD."""
    seed_review_catalog(runtime, tmp_path)
    with transaction(runtime.sessions) as session:
        for name in REVIEW_USERS:
            user_set_password(session=session, actor=OPERATOR, username=name, password=PASSWORD)
    with running_app(runtime.config) as app:
        app.config["PREFERRED_URL_SCHEME"] = "https"
        yield app


def client_of(app, username: str):
    """A test client signed in as ``username`` (password PASSWORD)."""
    client = app.test_client()
    answer = sign_in_as(client, username)
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    return client


def post_form(client, path: str, data: dict, page: str | None = None):
    """POST ``data`` to ``path`` with the CSRF token of the form on ``page`` (default: ``path``)."""
    html = client.get(page or path).get_data(as_text=True)
    return client.post(path, data={"csrf_token": csrf_of(html), **data})
