"""Fixtures: one small published catalogue per test module (built through the real services)."""

from __future__ import annotations

import pytest

from opendata.app import create_app
from opendata.services.rows import close_engines
from tests.api.standards.catalogue import Catalogue, build_catalogue, live_server


@pytest.fixture(scope="module")
def catalogue(tmp_path_factory) -> Catalogue:
    return build_catalogue(tmp_path_factory.mktemp("standards") / "project")


@pytest.fixture(scope="module")
def app(catalogue: Catalogue):
    app = create_app(catalogue.runtime.config)
    app.config["TESTING"] = True
    yield app
    usage = app.extensions.get("opendata.usage")
    if usage is not None:
        usage.close()
    close_engines()
    app.extensions["opendata"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture(scope="module")
def server(catalogue: Catalogue):
    """Base URL of a live `opendata serve` over the catalogue (stopped after the module)."""
    with live_server(catalogue) as base:
        yield base
