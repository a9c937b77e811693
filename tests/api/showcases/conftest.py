"""An app over the basic catalogue (city > finance: budget, subsidies) with users, for the showcase tests."""

from __future__ import annotations

import pytest

from opendata.config import load_config
from opendata.services.runtime import Runtime
from tests.accounts_fixtures import bearer, make_token, seed_accounts
from tests.conftest import running_app


@pytest.fixture
def seeded(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    return runtime


@pytest.fixture
def app(seeded):
    config = load_config({}, **{**seeded.config.values, "RATE_LIMIT_ENABLED": False,
                                "SHOWCASE_SCREENSHOT_MAX_BYTES": 20_000})
    with running_app(config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(seeded):
    """Authorization headers: the finance publisher, a finance reviewer (no publish role), the administrator."""
    return {"finclerk": bearer(make_token(seeded, "finclerk", scopes=["publish"])),
            "reviewer": bearer(make_token(seeded, "reviewer", scopes=["review"])),
            "admin": bearer(make_token(seeded, "admin", scopes=["admin"]))}


@pytest.fixture(scope="module")
def shared(tmp_path_factory, migrate_home):
    """One app for the tests that store nothing (refused submissions): (app, client, tokens)."""
    home = migrate_home(tmp_path_factory.mktemp("showcases-shared") / "home")
    rt = Runtime(load_config({}, HOME=str(home)))
    seed_accounts(rt, home.parent / "project")
    admin = bearer(make_token(rt, "admin", scopes=["admin"]))
    config = load_config({}, **{**rt.config.values, "RATE_LIMIT_ENABLED": False, "SHOWCASE_SCREENSHOT_MAX_BYTES": 20_000})
    rt.close()
    with running_app(config) as app:
        yield app, app.test_client(), {"admin": admin}
