"""Whatever a client sends, the CKAN API answers in CKAN's envelope with a 2xx/4xx, never a 500,
and the standards endpoints answer their format or the one error shape."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opendata.api.ckan.actions import ACTIONS

PARAMS = ["id", "name", "q", "fq", "rows", "start", "sort", "facet.field", "facet.limit", "facet.mincount",
          "limit", "offset", "all_fields", "include_datasets", "organizations", "resource_id", "filters",
          "fields", "include_total"]
IDS = ["budget", "bus-lines", "subsidies", "penalties", "retired", "budget-csv", "budget-parquet",
       "subsidies-csv", "finance", "-", "", "budget-", "-csv"]
scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=False),
                    st.sampled_from(IDS), st.text(max_size=20),
                    st.sampled_from(['["tags"]', '{"district": "西湖区"}', "amount desc", "x:y", "*:*",
                                     '{"nope": 1}', "[", "id,name", "-1", "1e9"]))
values = st.one_of(scalars, st.lists(scalars, max_size=3), st.dictionaries(st.text(max_size=5), scalars, max_size=3))
bodies = st.dictionaries(st.sampled_from(PARAMS), values, max_size=5)
FUZZ = settings(max_examples=40, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def _check(r) -> dict:
    assert r.status_code < 500, r.get_data(as_text=True)
    body = r.get_json()
    assert set(body) == {"help", "success", "result"} if body["success"] else {"help", "success", "error"}
    if not body["success"]:  # 400 also for a token sent in the query string, an Authorization Error
        assert isinstance(body["error"]["__type"], str) and r.status_code in (400, 404, 409)
    return body


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_any_post_body_gets_a_ckan_answer(app, action):
    client = app.test_client()

    @FUZZ
    @given(body=bodies)
    def run(body):
        _check(client.post(f"/api/3/action/{action}", data=json.dumps(body),
                           headers={"Content-Type": "application/json"}))

    run()


@pytest.mark.parametrize("action", ["package_search", "datastore_search", "package_show", "organization_list"])
def test_any_query_string_gets_a_ckan_answer(app, action):
    client = app.test_client()

    @FUZZ
    @given(pairs=st.lists(st.tuples(st.sampled_from(PARAMS), st.text(max_size=15)), max_size=5))
    def run(pairs):
        _check(client.get(f"/api/3/action/{action}", query_string=pairs))

    run()


@pytest.mark.parametrize("body", [b"[1, 2]", b"null", b"\xff\xfe", b'"text"', b"{" * 50])
def test_bodies_that_are_not_json_objects_are_bad_requests(client, body):
    r = client.post("/api/3/action/package_list", data=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["error"]["__type"] == "Bad Request"


@pytest.mark.parametrize("page", ["0", "-1", "²", "１", "1.5", "99999999", ""])
def test_odd_catalogue_pages_are_client_errors(client, page):
    r = client.get("/catalog.ttl", query_string={"page": page})
    assert r.status_code in (400, 404)
    assert set(r.get_json()) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize("action,key", [("package_list", "offset"), ("package_list", "limit"),
                                        ("organization_list", "offset"), ("datastore_search", "offset"),
                                        ("package_search", "facet.mincount"), ("group_list", "offset")])
@pytest.mark.parametrize("value", [2**63, 10**30])
def test_integers_beyond_64_bits_are_validation_errors(client, action, key, value):
    body = _check(client.get(f"/api/3/action/{action}", query_string={key: str(value), "resource_id": "budget-csv"}))
    assert body["success"] is False and body["error"]["__type"] == "Validation Error"
    assert key in body["error"]
