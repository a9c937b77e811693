"""Fixtures of the portal tests: the standards test catalogue (budget, bus-lines, pending, subsidies,
penalties; retired withdrawn), published through the real services, and the app over it."""

from __future__ import annotations

import pytest

from opendata.app import close_app, create_app
from tests.api.standards.catalogue import Catalogue, build_catalogue

LISTED = ["budget", "bus-lines", "pending", "penalties", "subsidies"]


@pytest.fixture(scope="package")
def catalogue(tmp_path_factory) -> Catalogue:
    return build_catalogue(tmp_path_factory.mktemp("web") / "project")


@pytest.fixture(scope="package")
def app(catalogue: Catalogue):
    app = create_app(catalogue.runtime.config)
    app.config["TESTING"] = True
    yield app
    close_app(app)


@pytest.fixture
def client(app):
    return app.test_client()
