"""Every answer under /api/3 (and /api/action, where ckanapi calls) is in CKAN's envelope, also the
errors that happen before an action runs: credentials (401/400), routing (404/405), rate limits (429).

ckanapi decides by ``error.__type``: credentials problems must raise its NotAuthorized.
"""

from __future__ import annotations

import ckanapi
import pytest
import requests

from tests.api.ckan.flask_testapp import FlaskTestApp
from tests.live_server import LiveServer

BAD = "od_0000000000_not-a-real-token-0000000000000000000000"


def _assert_envelope(r, status: int, type_name: str) -> dict:
    body = r.json()
    assert r.status_code == status, body
    assert set(body) == {"help", "success", "error"} and body["success"] is False
    assert "/api/3/action/help_show" in body["help"]
    assert body["error"]["__type"] == type_name and body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize("apikey", [f"Bearer {BAD}", BAD, "Basic dXNlcjpwdw=="])
def test_refused_credentials_raise_not_authorized(server, app, apikey):
    # a bare token is CKAN's style (ckanapi sends apikey as the Authorization header); an unknown one is refused
    for ckan in (ckanapi.RemoteCKAN(server, apikey=apikey), ckanapi.TestAppCKAN(FlaskTestApp(app.test_client()),
                                                                                 apikey=apikey)):
        with pytest.raises(ckanapi.NotAuthorized) as info:
            ckan.action.package_show(id="budget")
        assert info.value.args[0]["__type"] == "Authorization Error"


def test_refused_token_keeps_its_status_and_challenge(server):
    r = requests.post(f"{server}/api/3/action/package_show", json={"id": "budget"},
                      headers={"Authorization": f"Bearer {BAD}"}, timeout=10)
    error = _assert_envelope(r, 401, "Authorization Error")
    assert error["message"].startswith("Access denied: ") and BAD not in r.text
    assert r.headers["WWW-Authenticate"].startswith("Bearer realm=")


@pytest.mark.parametrize("path", ["/api/3/action/package_list", "/api/action/package_list"])
def test_token_in_the_query_string_is_refused_in_the_envelope(server, path):
    r = requests.get(f"{server}{path}", params={"api_key": BAD}, timeout=10)
    error = _assert_envelope(r, 400, "Authorization Error")
    assert "Authorization header" in error["message"]
    ckan = ckanapi.RemoteCKAN(server, get_only=True)
    with pytest.raises(ckanapi.NotAuthorized):
        ckan.action.package_list(token=BAD)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
def test_other_methods_are_bad_requests_with_405(server, method):
    r = requests.request(method, f"{server}/api/3/action/package_show", json={"id": "budget"}, timeout=10)
    error = _assert_envelope(r, 405, "Bad Request")
    assert error["message"].startswith("Bad request - ") and "POST" in r.headers["Allow"]


@pytest.mark.parametrize("path", ["/api/3/nothing-here", "/api/3/action/", "/api/action/a/b"])
def test_unknown_paths_are_not_found_errors(server, path):
    _assert_envelope(requests.get(f"{server}{path}", timeout=10), 404, "Not Found Error")


def test_other_apis_keep_their_own_error_shape(server):
    r = requests.get(f"{server}/api/v1/datasets", headers={"Authorization": f"Bearer {BAD}"}, timeout=10)
    assert r.status_code == 401 and set(r.json()) == {"code", "status", "message", "errors"}
    assert set(requests.get(f"{server}/api/30", timeout=10).json()) == {"code", "status", "message", "errors"}


def test_rate_limit_answers_429_in_the_envelope_with_retry_after(catalogue):
    env = {**catalogue.env, "OPENDATA_RATE_LIMIT_ENABLED": "true", "OPENDATA_RATE_LIMIT_ANONYMOUS_READ": "2 per minute"}
    with LiveServer(catalogue.runtime.config.home, **env) as srv:
        ckan = ckanapi.RemoteCKAN(srv.base)
        with pytest.raises(ckanapi.CKANAPIError) as info:
            for _ in range(3):  # the server's start-up probe may have used one already
                ckan.action.package_list()
        assert type(info.value) is ckanapi.CKANAPIError and "Too Many Requests" in str(info.value)
        r = requests.get(f"{srv.base}/api/3/action/package_list", timeout=10)
        error = _assert_envelope(r, 429, "Too Many Requests")
        assert "Rate limit exceeded" in error["message"] and 0 < int(r.headers["Retry-After"]) <= 60


@pytest.mark.parametrize("call,field", [
    (lambda c: c.action.package_show(), "id"),
    (lambda c: c.action.package_search(rows="many"), "rows"),
    (lambda c: c.action.datastore_search(resource_id="budget-csv", filters={"nope": 1}), "filters"),
    (lambda c: c.action.datastore_search(resource_id="budget-csv", sort="amount sideways"), "sort"),
    (lambda c: c.action.datastore_search(resource_id="budget-csv", limit="x"), "limit"),
])
def test_validation_errors_hold_type_and_field_lists_only(ckan, call, field):
    # CKAN 2.10: {"__type": "Validation Error", "<field>": [...]}, no "message"
    with pytest.raises(ckanapi.ValidationError) as info:
        call(ckan)
    assert set(info.value.error_dict) == {"__type", field}
    assert all(isinstance(m, str) for m in info.value.error_dict[field])
