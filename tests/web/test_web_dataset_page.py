"""/datasets/{id}: the landing page every export links to, as the access rules allow anonymous callers."""

from __future__ import annotations

import pytest

from tests.api.standards.catalogue import LEGAL_BASIS
from tests.web.conftest import LISTED
from tests.web.pagecheck import read_page


def _page(client, identifier: str):
    r = client.get(f"/datasets/{identifier}")
    assert r.status_code == 200, r.status_code
    assert r.mimetype == "text/html"
    return read_page(r.get_data(as_text=True))


def test_open_dataset_page_shows_its_metadata(client):
    page = _page(client, "budget")
    assert page.heading_texts(1) == ["示例市财政预算"]
    assert "Budget of Example City" in read_page(client.get("/datasets/budget?lang=en").get_data(as_text=True)).text
    for expected in ("示例市财政预算，按年度发布。", "示例市财政局", "财政预决算",
                     "预算", "财政", "无条件开放", "每年", "CC-BY-4.0", "数据科", "data@example.gov.cn",
                     "0571-87000000", "2024-01-01", "330100/10001"):
        assert expected in page.text, expected
    assert "/organizations/finance" in page.links
    assert "https://creativecommons.org/licenses/by/4.0/" in page.links
    detail = client.get("/api/v1/datasets/budget").json
    assert detail["modified"][:10] in page.text


def test_fields_table_lists_the_published_schema(client):
    page = _page(client, "budget")
    for name, title, kind in (("id", "编号", "integer"), ("name", "名称", "string"), ("district", "区县", "string"),
                              ("amount", "金额（万元）", "number")):
        assert f"{name} {title} {kind}" in page.text.replace(" 主键", "")
    assert "项目名称" in page.text  # a field description


def test_downloads_carry_size_and_sha256_of_the_served_files(client):
    page = _page(client, "bus-lines")
    files = client.get("/api/v1/datasets/bus-lines").json["download"]["files"]
    assert {f["kind"] for f in files} >= {"csv", "csv-excel", "parquet"}
    for f in files:
        if f["kind"] in ("csv", "csv-excel", "parquet"):
            assert f["sha256"] in page.text and f"{f['bytes']:,} B" in page.text, f["kind"]
    for link in ("/api/v1/datasets/bus-lines/download.csv", "/api/v1/datasets/bus-lines/download.excel.csv",
                 "/api/v1/datasets/bus-lines/download.parquet", "/datasets/bus-lines/datapackage.json",
                 "/api/v1/datasets/bus-lines/rows"):
        assert link in page.links, link
    assert "第 2 版的文件" in page.text  # the latest published version is served


def test_versions_table_lists_the_published_versions(client):
    page = _page(client, "bus-lines")
    versions = [v["number"] for v in client.get("/api/v1/datasets/bus-lines/versions").json["versions"]]
    assert versions == [2, 1]
    assert "/api/v1/datasets/bus-lines/versions/1/download.csv" in page.links
    assert "/api/v1/datasets/bus-lines/versions/2/download.csv" in page.links


@pytest.mark.parametrize("identifier", ["subsidies", "penalties"])
def test_datasets_not_fully_open_show_metadata_and_legal_basis_but_no_files(client, identifier):
    page = _page(client, identifier)
    assert LEGAL_BASIS in page.text
    assert ("有条件开放" if identifier == "subsidies" else "不予开放") in page.text
    assert not [link for link in page.links if "download" in link or link.endswith("/rows")]
    assert "datapackage.json" not in " ".join(page.links)
    assert not page.jsonld()[0].get("distribution")


def test_dataset_without_published_version_has_a_page_without_versions(client):
    page = _page(client, "pending")
    assert "尚无已发布的版本" in page.text and "尚无已发布的数据" in page.text
    assert not [link for link in page.links if "/versions/" in link]


@pytest.mark.parametrize("identifier", LISTED)
def test_embedded_jsonld_is_the_schema_org_document(client, identifier):
    page = _page(client, identifier)
    embedded = page.jsonld()
    assert len(embedded) == 1
    assert embedded[0] == client.get(f"/datasets/{identifier}.jsonld").json
    assert f"/datasets/{identifier}.jsonld" in page.links


def test_withdrawn_dataset_answers_exactly_like_a_missing_one(client):
    hidden = client.get("/datasets/retired")
    missing = client.get("/datasets/no-such-dataset")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.mimetype == "text/html"
    assert hidden.get_data() == missing.get_data()
    assert "retired" not in hidden.get_data(as_text=True)


def test_linked_data_clients_are_sent_to_the_jsonld(client):
    r = client.get("/datasets/budget", headers={"Accept": "application/ld+json"})
    assert r.status_code == 303 and r.headers["Location"].endswith("/datasets/budget.jsonld")
    assert "Accept" in r.headers["Vary"]
    followed = client.get("/datasets/budget", headers={"Accept": "application/ld+json"}, follow_redirects=True)
    assert followed.status_code == 200 and followed.json["@type"] == "Dataset"
    browser = client.get("/datasets/budget", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert browser.status_code == 200 and browser.mimetype == "text/html"
    assert client.get("/datasets/budget", headers={"Accept": "*/*"}).mimetype == "text/html"
