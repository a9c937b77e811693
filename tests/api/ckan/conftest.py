"""The CKAN tests use the standards tests' catalogue, app and live server fixtures."""

from tests.api.standards.conftest import app, catalogue, client, server  # noqa: F401
