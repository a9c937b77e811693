"""Fixtures of the portal tests: the standards test catalogue (budget, bus-lines, pending, subsidies,
penalties; retired withdrawn), published through the real services, and the app over it."""

from __future__ import annotations

import pytest

from tests.api.standards.catalogue import Catalogue, build_catalogue
from tests.conftest import running_app

LISTED = ["budget", "bus-lines", "pending", "penalties", "subsidies"]


@pytest.fixture(scope="package")
def catalogue(tmp_path_factory) -> Catalogue:
    return build_catalogue(tmp_path_factory.mktemp("web") / "project")


@pytest.fixture(scope="package")
def app(catalogue: Catalogue):
    with running_app(catalogue.runtime.config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()
