"""An app over two years of requests (city > finance) with staff tokens, for the /api/v1/reports tests."""

from __future__ import annotations

import pytest

from opendata.config import load_config
from tests.accounts_fixtures import bearer, make_token
from tests.conftest import running_app
from tests.report_fixtures import two_years, two_years_database  # noqa: F401


@pytest.fixture
def app(two_years):  # noqa: F811
    config = load_config({}, **{**two_years.config.values, "RATE_LIMIT_ENABLED": False})
    with running_app(config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(two_years):  # noqa: F811
    """Authorization headers: finance and city publishers, a read-only token, the administrator."""
    return {"finclerk": bearer(make_token(two_years, "finclerk", scopes=["publish"])),
            "finreader": bearer(make_token(two_years, "finclerk", scopes=["read"])),
            "cityclerk": bearer(make_token(two_years, "cityclerk", scopes=["publish"])),
            "admin": bearer(make_token(two_years, "admin", scopes=["admin"]))}
