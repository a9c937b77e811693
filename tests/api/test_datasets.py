"""Dataset detail, versions and organizations, and what each caller may see of them."""

from __future__ import annotations

import hashlib

import pytest


def test_detail_has_metadata_with_chinese_names_schema_and_usage(client):
    d = client.get("/api/v1/datasets/budget").json
    assert d["title"] == "示例市财政预算" and d["publisher"] == {"id": "finance", "name": "示例市财政局"}
    assert d["theme"] == {"key": "fiscal", "name": "财政预决算", "name_en": "Budgets and final accounts"}
    assert d["disclosure"]["name"] == "无条件开放" and d["disclosure"]["law_name"] == "主动公开"
    assert d["frequency"]["name"] == "每年"
    assert d["license"]["url"].startswith("https://creativecommons.org/")
    fields = {f["name"]: f for f in d["schema"]["fields"]}
    assert fields["amount"]["description"] == "金额（元）" and fields["district"]["title"] == "区县"
    assert d["schema"]["primary_key"] == ["id"]
    assert set(d["usage"]) == {"downloads", "api_calls", "daily"}


def test_detail_lists_only_published_versions_with_files_and_checksums(client, site):
    d = client.get("/api/v1/datasets/budget").json
    assert [v["number"] for v in d["versions"]] == [2, 1]  # version 3 awaits review
    assert d["latest_version"]["number"] == 2
    dl = d["download"]
    assert dl["version"] == 2 and dl["row_count"] == len(site.budget_rows)
    assert dl["csv"] == "http://testserver/api/v1/datasets/budget/download.csv"
    files = {f["kind"]: f for f in dl["files"]}
    assert {"csv", "csv-excel", "parquet"} <= set(files)
    body = client.get("/api/v1/datasets/budget/download.csv").data
    assert files["csv"]["bytes"] == len(body) and files["csv"]["sha256"] == hashlib.sha256(body).hexdigest()
    assert "duckdb" not in files and "source" not in files


def test_versions_list_and_detail_with_validation_report(client):
    versions = client.get("/api/v1/datasets/budget/versions").json["versions"]
    assert [v["number"] for v in versions] == [2, 1]
    assert versions[0]["row_count"] == 250 and versions[1]["row_count"] == 120
    v1 = client.get("/api/v1/datasets/budget/versions/1").json
    assert v1["state"] == "published" and v1["report"]["valid"] is True
    assert v1["links"]["csv"].endswith("/datasets/budget/versions/1/download.csv")


def test_unpublished_version_is_invisible(client):
    missing = client.get("/api/v1/datasets/budget/versions/99")
    waiting = client.get("/api/v1/datasets/budget/versions/3")
    assert waiting.status_code == missing.status_code == 404
    assert waiting.json["code"] == "not-found"
    for path in ("download.csv", "download.parquet", "rows"):
        assert client.get(f"/api/v1/datasets/budget/versions/3/{path}").status_code == 404


@pytest.mark.parametrize("ident", ["subsidies", "secret"])
def test_conditional_and_closed_metadata_is_public_but_data_is_not(client, ident):
    d = client.get(f"/api/v1/datasets/{ident}").json
    assert d["legal_basis"] and d["data_available"] is False and d["download"] is None
    assert [v["number"] for v in d["versions"]] == [1]
    assert "files" not in d["versions"][0] and "row_count" not in d["versions"][0]
    detail = client.get(f"/api/v1/datasets/{ident}/versions/1").json
    assert "report" not in detail and "files" not in detail
    for path in ("download.csv", "download.parquet", "download.excel.csv", "rows", "versions/1/download.csv",
                 "versions/1/rows", "rows?format=csv"):
        hidden = client.get(f"/api/v1/datasets/{ident}/{path}")
        missing = client.get(f"/api/v1/datasets/no-such-dataset/{path}")
        assert hidden.status_code == missing.status_code == 404, path
        assert set(hidden.json) == set(missing.json) == {"code", "status", "message", "errors"}
        assert hidden.json["code"] == missing.json["code"] == "not-found"


def test_closed_dataset_shows_its_legal_basis(client):
    d = client.get("/api/v1/datasets/secret").json
    assert d["disclosure"]["name"] == "不予开放" and "第十四条" in d["legal_basis"]


def test_missing_dataset_is_404_in_the_error_shape(client):
    r = client.get("/api/v1/datasets/nope")
    assert r.status_code == 404 and r.json["status"] == 404 and r.json["code"] == "not-found"


def test_organizations_list_tree_and_detail_count_visible_datasets(client):
    orgs = {o["id"]: o for o in client.get("/api/v1/organizations").json["organizations"]}
    assert orgs["finance"]["datasets"] == 3 and orgs["finance"]["open_datasets"] == 1
    assert orgs["city"]["datasets"] == 2 and orgs["city"]["open_datasets"] == 1  # traffic has no version
    assert orgs["finance"]["level"] == {"key": "city", "name": "市"}
    tree = client.get("/api/v1/organizations/tree").json["organizations"]
    assert [o["id"] for o in tree] == ["city"]
    assert tree[0]["datasets_total"] == 6
    assert sorted(c["id"] for c in tree[0]["children"]) == ["env", "finance"]
    detail = client.get("/api/v1/organizations/finance").json
    assert detail["parent"] == "city" and detail["datasets"] == 3
    assert {t["key"]: t["count"] for t in detail["themes"]} == {
        "fiscal": 1, "agricultural-subsidies": 1, "administrative-penalties": 1}
    assert client.get("/api/v1/organizations/nope").status_code == 404


def test_withdrawn_dataset_disappears_everywhere(fresh_site, tmp_path):
    from tests.api.conftest import DATASETS
    from tests.builders import ROWS_SCHEMA, make_catalog

    c = fresh_site.client
    assert c.get("/api/v1/datasets/budget").status_code == 200
    make_catalog(fresh_site.runtime, tmp_path, datasets=[DATASETS[2]], schemas={"rows.json": ROWS_SCHEMA})
    for path in ("", "/versions", "/download.csv", "/rows"):
        assert c.get(f"/api/v1/datasets/budget{path}").status_code == 404
    body = c.get("/api/v1/datasets").json
    assert [d["id"] for d in body["results"]] == ["subsidies"] and body["total"] == 1
    orgs = {o["id"]: o for o in c.get("/api/v1/organizations").json["organizations"]}
    assert orgs["finance"]["datasets"] == 1 and orgs["finance"]["open_datasets"] == 0
