"""The CKAN tests use the standards tests' catalogue, app and live server fixtures.

``ckan`` is a ckanapi client twice over: ``RemoteCKAN`` against a live ``opendata serve`` and
``TestAppCKAN`` over the Flask test client (a thin adapter gives it the webtest calling style).
"""

import ckanapi
import pytest

from tests.api.ckan.flask_testapp import FlaskTestApp
from tests.api.standards.conftest import app, catalogue, client, server  # noqa: F401


@pytest.fixture(scope="module")
def remote(server):  # noqa: F811 - the imported fixture, used by name
    ckan = ckanapi.RemoteCKAN(server, user_agent="opendata-tests")
    yield ckan
    ckan.close()


@pytest.fixture(params=["remote", "testapp"])
def ckan(request, app):  # noqa: F811
    if request.param == "remote":
        return request.getfixturevalue("remote")
    return ckanapi.TestAppCKAN(FlaskTestApp(app.test_client()))
