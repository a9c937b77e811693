"""DCAT-US 1.1 data.json and schema.org Dataset JSON-LD."""

from __future__ import annotations

import pytest

from tests.api.standards.catalogue import BASE_URL, LEGAL_BASIS

REQUIRED = {"@type", "title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
            "accessLevel", "license"}


@pytest.fixture(scope="module")
def data_json(app) -> dict:
    r = app.test_client().get("/data.json")
    assert r.status_code == 200 and r.mimetype == "application/json"
    return r.get_json()


def by_id(doc: dict) -> dict[str, dict]:
    return {d["identifier"]: d for d in doc["dataset"]}


def test_catalog_has_the_dcat_us_header(data_json):
    assert data_json["conformsTo"] == "https://project-open-data.cio.gov/v1.1/schema"
    assert data_json["describedBy"] == "https://project-open-data.cio.gov/v1.1/schema/catalog.json"
    assert data_json["@type"] == "dcat:Catalog"


def test_every_dataset_has_the_required_fields(data_json):
    datasets = by_id(data_json)
    assert set(datasets) == {"budget", "bus-lines", "pending", "subsidies", "penalties"}
    for d in datasets.values():
        assert set(d) >= REQUIRED, d["identifier"]
        assert d["@type"] == "dcat:Dataset" and d["keyword"]
        assert d["contactPoint"]["hasEmail"].startswith("mailto:")


def test_access_levels_periodicity_and_rights(data_json):
    d = by_id(data_json)
    assert d["budget"]["accessLevel"] == "public" and d["budget"]["accrualPeriodicity"] == "R/P1Y"
    assert d["bus-lines"]["accrualPeriodicity"] == "R/P1M"
    assert d["pending"]["accrualPeriodicity"] == "irregular"
    assert d["subsidies"]["accessLevel"] == "restricted public" and d["subsidies"]["rights"] == LEGAL_BASIS
    assert d["penalties"]["accessLevel"] == "non-public"
    assert d["budget"]["temporal"] == "2024-01-01/2024-12-31"
    assert d["budget"]["publisher"]["subOrganizationOf"]["name"] == "示例市人民政府"


def test_distributions_only_for_served_data(data_json):
    d = by_id(data_json)
    assert [x["downloadURL"] for x in d["budget"]["distribution"]] == [
        f"{BASE_URL}/api/v1/datasets/budget/download.csv", f"{BASE_URL}/api/v1/datasets/budget/download.parquet"]
    assert {x["mediaType"] for x in d["budget"]["distribution"]} == {"text/csv", "application/vnd.apache.parquet"}
    for identifier in ("pending", "subsidies", "penalties"):
        assert "distribution" not in d[identifier]


def test_schema_org_dataset_with_downloads_only_when_served(client):
    r = client.get("/datasets/budget.jsonld")
    assert r.status_code == 200 and r.mimetype == "application/ld+json"
    body = r.get_json()
    assert body["@context"] == "https://schema.org/" and body["@type"] == "Dataset"
    assert body["name"] == "示例市财政预算" and body["license"].startswith("https://creativecommons.org/")
    assert [x["@type"] for x in body["distribution"]] == ["DataDownload", "DataDownload"]
    assert body["distribution"][0]["contentUrl"] == f"{BASE_URL}/api/v1/datasets/budget/download.csv"
    closed = client.get("/datasets/penalties.jsonld").get_json()
    assert "distribution" not in closed and LEGAL_BASIS in closed["conditionsOfAccess"]
    assert closed["isAccessibleForFree"] is False
    assert client.get("/datasets/retired.jsonld").status_code == 404
