"""Fixtures: one small published catalogue per test folder (built through the real services).

Tests that change the catalogue (test_bulk_archives.py) build their own with ``fresh_*`` fixtures.
"""

from __future__ import annotations

import pytest

from opendata.app import close_app, create_app
from tests.api.standards.catalogue import Catalogue, build_catalogue
from tests.live_server import LiveServer


@pytest.fixture(scope="package")
def catalogue(tmp_path_factory) -> Catalogue:
    return build_catalogue(tmp_path_factory.mktemp("standards") / "project")


def make_app(catalogue: Catalogue):
    app = create_app(catalogue.runtime.config)
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="package")
def app(catalogue: Catalogue):
    app = make_app(catalogue)
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="package")
def server(catalogue: Catalogue):
    """Base URL of a live `opendata serve` over the catalogue (stopped after the module)."""
    with LiveServer(catalogue.runtime.config.home, **catalogue.env) as srv:
        yield srv.base
