"""The OpenAPI document covers every read endpoint with a summary, and errors have one shape."""

from __future__ import annotations

import pytest

READ_PATHS = [
    "/api/v1/organizations", "/api/v1/organizations/tree", "/api/v1/organizations/{org_id}",
    "/api/v1/datasets", "/api/v1/datasets/{dataset_id}", "/api/v1/datasets/{dataset_id}/versions",
    "/api/v1/datasets/{dataset_id}/versions/{number}", "/api/v1/datasets/{dataset_id}/download.csv",
    "/api/v1/datasets/{dataset_id}/download.parquet", "/api/v1/datasets/{dataset_id}/download.excel.csv",
    "/api/v1/datasets/{dataset_id}/versions/{number}/download.csv",
    "/api/v1/datasets/{dataset_id}/versions/{number}/download.parquet",
    "/api/v1/datasets/{dataset_id}/versions/{number}/download.excel.csv",
    "/api/v1/datasets/{dataset_id}/rows", "/api/v1/datasets/{dataset_id}/versions/{number}/rows",
    "/api/v1/changes", "/api/v1/feeds/datasets.atom",
]


def test_every_read_endpoint_is_documented_with_a_summary(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in READ_PATHS:
        op = doc["paths"][path]["get"]
        assert op.get("summary"), path
        assert "default" in op["responses"], path
    error = doc["components"]["schemas"]["Error"]
    assert error["properties"]["code"]["type"] == "string"
    assert error["properties"]["status"]["type"] == "integer"


def test_the_server_url_joined_with_each_path_names_the_endpoint_once(client):
    from urllib.parse import urljoin

    doc = client.get("/api/v1/openapi.json").json
    (server,) = doc["servers"]
    base = urljoin("http://testserver/api/v1/openapi.json", server["url"])  # relative to the document
    for path in doc["paths"]:
        url = base.rstrip("/") + path
        assert url.startswith("http://testserver/api/") and "/api/v1/api/" not in url, url
    assert client.get(base.rstrip("/") + "/api/v1/organizations").status_code == 200


def test_docs_page_is_served(client):
    assert client.get("/api/docs").status_code == 200


@pytest.mark.parametrize("url", [
    "/api/v1/nope", "/api/v1/datasets/nope", "/api/v1/datasets/budget/versions/x",
    "/api/v1/datasets/budget/versions/999/rows", "/api/v1/organizations/nope",
    "/api/v1/datasets?page_size=-1", "/api/v1/datasets/budget/rows?limit=-5",
    "/api/v1/datasets/budget/rows?sort=-nosuch", "/api/v1/datasets/budget/rows?id__in=1,a",
    "/api/v1/feeds/datasets.atom?limit=0", "/api/v1/changes?since=abc",
])
def test_errors_have_one_shape_and_are_never_500(client, url):
    r = client.get(url)
    assert 400 <= r.status_code < 500, (url, r.status_code)
    assert set(r.json) == {"code", "status", "message", "errors"}
    assert r.json["status"] == r.status_code


def test_writing_to_a_read_only_endpoint_is_405_in_the_error_shape(client):
    r = client.delete("/api/v1/feeds/datasets.atom")
    assert r.status_code == 405 and r.json["code"] == "method-not-allowed"
