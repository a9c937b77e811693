"""The CKAN Action API driven by the ckanapi client library, as CKAN users and harvesters do.

Each test runs twice (the ``ckan`` fixture in conftest.py): ``RemoteCKAN`` against a live
``opendata serve`` and ``TestAppCKAN`` over the Flask test client.
"""

from __future__ import annotations

import json

import ckanapi
import pytest
import requests

from tests.api.standards.catalogue import LEGAL_BASIS, rows_csv

OPEN = ["budget", "bus-lines"]
LISTED = ["budget", "bus-lines", "penalties", "pending", "subsidies"]


def test_status_and_package_list(ckan):
    status = ckan.action.status_show()
    assert status["site_title"] == "示例市公共数据开放平台" and "datastore" in status["extensions"]
    assert ckan.action.package_list() == LISTED
    assert ckan.action.package_list(limit=2, offset=1) == LISTED[1:3]


def test_package_show_maps_dataset_to_package_with_resources(ckan):
    pkg = ckan.action.package_show(id="bus-lines")
    assert pkg["name"] == pkg["id"] == "bus-lines"
    assert pkg["title"] == "公交线路客流" and pkg["organization"]["name"] == "transport"
    assert pkg["license_id"] == "CC-BY-4.0" and [t["name"] for t in pkg["tags"]] == ["公交", "交通"]
    assert [g["name"] for g in pkg["groups"]] == ["transport"]
    assert [r["id"] for r in pkg["resources"]] == ["bus-lines-csv", "bus-lines-parquet"]
    assert pkg["resources"][0]["url"].endswith("/api/v1/datasets/bus-lines/download.csv")
    assert pkg["version"] == "2" and pkg["num_resources"] == 2
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    assert extras["disclosure"] == "unconditional" and extras["frequency"] == "monthly"
    assert extras["code"] == "330100/20001"


@pytest.mark.parametrize("name", ["subsidies", "penalties", "pending"])
def test_packages_without_served_data_have_no_resources(ckan, name):
    pkg = ckan.action.package_show(id=name)
    assert pkg["resources"] == [] and pkg["num_resources"] == 0
    extras = {e["key"]: e["value"] for e in pkg["extras"]}
    if name != "pending":
        assert extras["legal_basis"] == LEGAL_BASIS


def test_package_search_with_q_fq_facets_rows_and_start(ckan):
    found = ckan.action.package_search(q="预算", fq="organization:finance",
                                       **{"facet.field": json.dumps(["organization", "tags", "res_format"])})
    assert found["count"] == 2 and {p["name"] for p in found["results"]} == {"budget", "pending"}
    assert found["facets"]["organization"] == {"finance": 2}
    assert found["facets"]["tags"]["预算"] == 2
    items = {i["name"]: i for i in found["search_facets"]["organization"]["items"]}
    assert items["finance"]["display_name"] == "示例市财政局" and items["finance"]["count"] == 2
    every = ckan.action.package_search(rows=2, start=0, sort="title_string asc")
    rest = ckan.action.package_search(rows=2, start=2, sort="title_string asc")
    assert every["count"] == 5 and len(every["results"]) == 2
    assert not {p["name"] for p in every["results"]} & {p["name"] for p in rest["results"]}


@pytest.mark.parametrize("fq,expected", [
    ("res_format:CSV", {"budget", "bus-lines"}),
    ("tags:公交", {"bus-lines"}),
    ("groups:transport", {"bus-lines"}),
    ('organization:transport +tags:"处罚"', {"penalties"}),
    ("disclosure:closed", {"penalties"}),
])
def test_package_search_fq_terms(ckan, fq, expected):
    found = ckan.action.package_search(fq=fq, rows=100)
    assert {p["name"] for p in found["results"]} == expected and found["count"] == len(expected)


def test_organization_list_and_show(ckan):
    assert ckan.action.organization_list() == ["city", "finance", "transport"]
    orgs = {o["name"]: o for o in ckan.action.organization_list(all_fields=True)}
    assert orgs["finance"]["title"] == "示例市财政局" and orgs["finance"]["package_count"] == 3
    assert orgs["transport"]["package_count"] == 2 and orgs["city"]["is_organization"] is True
    org = ckan.action.organization_show(id="transport", include_datasets=True)
    assert [p["name"] for p in org["packages"]] == ["bus-lines", "penalties"]


def test_resource_show(ckan):
    res = ckan.action.resource_show(id="budget-parquet")
    assert res["package_id"] == "budget" and res["format"] == "Parquet"
    assert res["mimetype"] == "application/vnd.apache.parquet" and res["hash"].startswith("sha256:")


def test_datastore_search_filters_sort_limit_offset(ckan):
    rows = [r for r in _budget_rows() if r["district"] == "西湖区"]
    found = ckan.action.datastore_search(resource_id="budget-csv", filters={"district": "西湖区"},
                                         sort="amount desc", limit=2, offset=0)
    assert found["total"] == len(rows)
    assert [f["id"] for f in found["fields"]] == ["_id", "id", "name", "district", "amount"]
    assert {f["id"]: f["type"] for f in found["fields"]}["amount"] == "numeric"
    best = sorted(rows, key=lambda r: -float(r["amount"]))
    assert [r["id"] for r in found["records"]] == [int(r["id"]) for r in best[:2]]
    page2 = ckan.action.datastore_search(resource_id="budget-csv", filters={"district": "西湖区"},
                                         sort="amount desc", limit=2, offset=2)
    assert [r["id"] for r in page2["records"]] == [int(r["id"]) for r in best[2:4]]
    assert "offset=2" in found["_links"]["next"]


def test_datastore_search_q_fields_and_list_filters(ckan):
    found = ckan.action.datastore_search(resource_id="budget-parquet", q="教育", fields=["id", "name"])
    expected = [int(r["id"]) for r in _budget_rows() if "教育" in r["name"]]
    assert sorted(r["id"] for r in found["records"]) == expected
    assert all(set(r) == {"id", "name"} for r in found["records"])
    two = ckan.action.datastore_search(resource_id="budget-csv", filters={"id": [1, 2]}, include_total=False)
    assert sorted(r["id"] for r in two["records"]) == [1, 2] and "total" not in two


def test_datastore_rows_have_ckans_id_first_and_clients_page_by_it(ckan):
    rows = _budget_rows()
    first = ckan.action.datastore_search(resource_id="budget-csv", limit=1)
    assert first["fields"][0] == {"id": "_id", "type": "int"} and first["records"][0]["_id"] == 1
    pages, offset = [], 0
    while True:  # the way CKAN clients walk a table: sort by _id, step the offset
        page = ckan.action.datastore_search(resource_id="budget-csv", sort="_id", limit=7, offset=offset)
        if not page["records"]:
            break
        pages.extend(page["records"])
        offset += 7
    assert [r["_id"] for r in pages] == list(range(1, len(rows) + 1))
    assert [r["id"] for r in pages] == [int(r["id"]) for r in rows]  # _id is the row order, stable per version
    after = []  # and by _id itself: "the rows after the last _id seen", here with filters on a value list
    while len(after) < len(rows):
        wanted = list(range(len(after) + 1, min(len(after) + 8, len(rows) + 1)))
        page = ckan.action.datastore_search(resource_id="budget-csv", filters={"_id": wanted}, sort="_id desc")
        assert [r["_id"] for r in page["records"]] == wanted[::-1]
        after.extend(reversed(page["records"]))
    assert after == pages
    chosen = ckan.action.datastore_search(resource_id="budget-parquet", filters={"_id": 3}, fields=["_id", "name"])
    assert chosen["records"] == [{"_id": 3, "name": rows[2]["name"]}] and chosen["total"] == 1
    last = ckan.action.datastore_search(resource_id="budget-csv", sort="_id desc", limit=1)
    assert last["records"][0]["_id"] == len(rows) == last["total"]


@pytest.mark.parametrize("call", [
    lambda c: c.action.package_show(id="retired"),
    lambda c: c.action.package_show(id="no-such-package"),
    lambda c: c.action.resource_show(id="subsidies-csv"),
    lambda c: c.action.resource_show(id="pending-parquet"),
    lambda c: c.action.datastore_search(resource_id="penalties-csv"),
    lambda c: c.action.organization_show(id="nobody"),
])
def test_hidden_or_missing_things_raise_not_found(ckan, call):
    with pytest.raises(ckanapi.NotFound):
        call(ckan)


@pytest.mark.parametrize("call,field", [
    (lambda c: c.action.package_show(), "id"),
    (lambda c: c.action.package_search(rows="many"), "rows"),
    (lambda c: c.action.datastore_search(resource_id="budget-csv", filters={"nope": 1}), "filters"),
    (lambda c: c.action.datastore_search(resource_id="budget-csv", sort="amount sideways"), "sort"),
])
def test_bad_parameters_raise_validation_error(ckan, call, field):
    with pytest.raises(ckanapi.ValidationError) as info:
        call(ckan)
    assert field in info.value.error_dict


def test_unsupported_search_field_raises_search_query_error(ckan):
    with pytest.raises(ckanapi.SearchQueryError):
        ckan.action.package_search(fq="author:someone")


def test_envelopes_and_status_codes_over_http(server):
    ok = requests.get(f"{server}/api/3/action/package_show", params={"id": "budget"}, timeout=10)
    assert ok.status_code == 200 and ok.json()["success"] is True
    assert ok.json()["help"].endswith("/api/3/action/help_show?name=package_show")
    missing = requests.post(f"{server}/api/3/action/package_show", json={"id": "nope"}, timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error" and missing.json()["success"] is False
    invalid = requests.post(f"{server}/api/3/action/package_search", json={"rows": -1}, timeout=10)
    assert invalid.status_code == 409 and invalid.json()["error"]["__type"] == "Validation Error"
    unknown = requests.get(f"{server}/api/3/action/package_delete", timeout=10)
    assert unknown.status_code == 400 and unknown.json()["success"] is False
    bad_json = requests.post(f"{server}/api/3/action/package_list", data=b"{not json",
                             headers={"Content-Type": "application/json"}, timeout=10)
    assert bad_json.status_code == 400
    facets = requests.get(f"{server}/api/3/action/package_search",
                          params={"facet.field": '["groups"]', "rows": 0}, timeout=10).json()["result"]
    assert facets["facets"]["groups"]["fiscal"] == 2 and facets["results"] == []


def _budget_rows() -> list[dict[str, str]]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(rows_csv(1, 12))))


def test_rows_beyond_the_maximum_are_capped_as_ckan_does(ckan):
    found = ckan.action.package_search(rows=5000)
    assert found["count"] == len(found["results"]) == 5
