"""A caller with an access grant sees a conditional package's resources and rows; others do not."""

from __future__ import annotations

from datetime import timedelta

import ckanapi
import pytest

from opendata.services.access import system_viewer
from opendata.services.accounts import user_create
from opendata.services.grants import grant_create
from opendata.services.tokens import token_create
from opendata.store.db import transaction
from opendata.store.models import utcnow
from tests.api.ckan.flask_testapp import FlaskTestApp


@pytest.fixture(scope="module")
def granted_token(catalogue) -> str:
    admin = system_viewer("test")
    with transaction(catalogue.runtime.sessions) as session:
        user_create(session=session, actor=admin, username="researcher")
        grant_create(session=session, actor=admin, dataset="subsidies", username="researcher",
                     purpose="research on subsidy payments", expires_at=utcnow() + timedelta(days=1))
        return token_create(session=session, actor=admin, username="researcher", name="ckan").plain


@pytest.mark.parametrize("style", ["ckan", "bearer"])
def test_granted_caller_gets_resources_and_rows_of_a_conditional_package(app, granted_token, style):
    # ckanapi sends its apikey as the bare Authorization header, as CKAN takes it; Bearer works too
    apikey = granted_token if style == "ckan" else f"Bearer {granted_token}"
    ckan = ckanapi.TestAppCKAN(FlaskTestApp(app.test_client()), apikey=apikey)
    pkg = ckan.action.package_show(id="subsidies")
    assert [r["id"] for r in pkg["resources"]] == ["subsidies-csv", "subsidies-parquet"]
    rows = ckan.action.datastore_search(resource_id="subsidies-csv", limit=2)
    assert rows["total"] == 6 and len(rows["records"]) == 2
    closed = ckan.action.package_show(id="penalties")
    assert closed["resources"] == []  # closed data is never served, whoever asks


def test_anonymous_caller_still_gets_nothing(app, granted_token):
    ckan = ckanapi.TestAppCKAN(FlaskTestApp(app.test_client()))
    assert ckan.action.package_show(id="subsidies")["resources"] == []
    with pytest.raises(ckanapi.NotFound):
        ckan.action.datastore_search(resource_id="subsidies-csv")


def test_wrong_token_is_refused(app):
    r = app.test_client().post("/api/3/action/package_show", json={"id": "budget"},
                               headers={"Authorization": "Bearer od_0000000000_not-a-real-token"})
    assert r.status_code == 401


def test_ckan_token_forms_are_taken_on_the_ckan_api_only(app, granted_token):
    client = app.test_client()
    for headers in ({"Authorization": granted_token}, {"X-CKAN-API-Key": granted_token}):
        shown = client.post("/api/3/action/package_show", json={"id": "subsidies"}, headers=headers).json
        assert shown["success"] and len(shown["result"]["resources"]) == 2, headers
    # /api/v1 keeps to RFC 6750: a bare token is refused, CKAN's header is not read
    assert client.get("/api/v1/datasets/subsidies/rows", headers={"Authorization": granted_token}).status_code == 401
    assert client.get("/api/v1/datasets/subsidies/rows", headers={"X-CKAN-API-Key": granted_token}).status_code == 404
    assert client.get("/api/v1/datasets/subsidies/rows",
                      headers={"Authorization": f"Bearer {granted_token}"}).status_code == 200
