"""datapackage.json per dataset: absolute download URLs, only for served data, readable by frictionless."""

from __future__ import annotations

import csv
import io

import pytest
import requests
from frictionless import Package

from tests.api.standards.catalogue import BASE_URL, rows_csv


def test_descriptor_points_to_absolute_download_urls_of_latest_served_version(client):
    r = client.get("/datasets/bus-lines/datapackage.json")
    assert r.status_code == 200
    body = r.get_json()
    assert body["name"] == "bus-lines" and body["version"] == "2"
    urls = {res["name"]: res["path"] for res in body["resources"]}
    assert urls == {"data": f"{BASE_URL}/api/v1/datasets/bus-lines/download.csv",
                    "data-parquet": f"{BASE_URL}/api/v1/datasets/bus-lines/download.parquet"}
    for res in body["resources"]:
        assert res["bytes"] > 0 and res["hash"].startswith("sha256:") and len(res["hash"]) == 71
        assert [f["name"] for f in res["schema"]["fields"]] == ["id", "name", "district", "amount"]
    assert body["licenses"][0]["path"].startswith("https://creativecommons.org/")


def test_same_descriptor_is_served_under_api_v1(client):
    a = client.get("/datasets/budget/datapackage.json").get_json()
    b = client.get("/api/v1/datasets/budget/datapackage.json").get_json()
    assert a == b


@pytest.mark.parametrize("identifier", ["subsidies", "penalties", "pending", "retired", "missing"])
def test_no_descriptor_without_data_the_caller_may_receive(client, identifier):
    r = client.get(f"/datasets/{identifier}/datapackage.json")
    assert r.status_code == 404
    assert set(r.get_json()) == {"code", "status", "message", "errors"}


def test_frictionless_validates_and_reads_the_data_through_a_live_server(server):
    r = requests.get(f"{server}/datasets/budget/datapackage.json", timeout=10)
    assert r.status_code == 200
    assert all(res["path"].startswith(server) for res in r.json()["resources"])
    package = Package(f"{server}/datasets/budget/datapackage.json")
    report = package.validate()
    assert report.valid, report.flatten(["type", "note"])
    rows = package.get_resource("data").read_rows()
    expected = list(csv.DictReader(io.StringIO(rows_csv(1, 12))))
    assert [(r["id"], r["name"], r["district"]) for r in rows] == \
        [(int(e["id"]), e["name"], e["district"]) for e in expected]
    assert [float(r["amount"]) for r in rows] == [float(e["amount"]) for e in expected]


def test_api_v1_operation_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/datasets/{dataset_id}/datapackage.json"]["get"]
    schema = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema["required"] == ["name", "resources"] and op["responses"]["200"]["description"]
