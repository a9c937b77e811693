"""Disclosure is enforced on every outward path: paths × viewers × dataset states.

Viewers: anonymous, another organization's publisher, the own organization's publisher, a reviewer
of the organization, a requester with an access grant, and one whose grant expired. States: an
unconditional, a conditional and a closed dataset (published), and datasets whose only version is
awaiting review, rejected, or withdrawn; the open dataset also has a newer version awaiting review.
Every row of every version carries a marker (tests/disclosure_fixtures.py), so a leak is a marker
found in a response body the viewer may not receive: every path is fetched by every viewer and
searched (archives expanded, Parquet decoded). A resource that exists but may not be seen must
answer exactly as one that does not exist.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.disclosure_fixtures import (
    CONDITIONAL_DATA,
    GONE,
    IDENTIFIERS,
    LEGAL,
    MARKERS,
    OWN_ORGANIZATION,
    VIEWERS,
    allowed_markers,
    build_matrix,
    close_matrix,
    listed_versions,
    searchable,
    served_versions,
)

CATALOGUE_PATHS = [
    "/api/v1/datasets?page_size=100", "/api/v1/datasets?page_size=100&disclosure=conditional",
    "/api/v1/datasets?page_size=100&format=CSV", "/api/v1/datasets?page_size=100&sort=modified",
    "/api/v1/organizations", "/api/v1/organizations/tree", "/api/v1/organizations/finance",
    "/api/3/action/package_list", "/api/3/action/package_search?rows=100",
    "/api/3/action/package_search?rows=100&fq=organization:finance",
    "/api/3/action/organization_list?all_fields=true", "/api/3/action/organization_show?id=finance",
    "/catalog.jsonld", "/catalog.ttl", "/data.json", "/sitemap.xml",
    "/api/v1/feeds/datasets.atom", "/feeds/datasets.atom", "/api/v1/changes?since=0", "/bulk.json", "/bulk",
    "/catalog", "/catalog?q=XOPEN9", "/organizations/finance",
]
DATASET_PATHS = [
    "/api/v1/datasets/{id}", "/api/v1/datasets/{id}/versions", "/api/v1/datasets/{id}/versions/1",
    "/api/v1/datasets/{id}/versions/2", "/api/v1/datasets/{id}/download.csv",
    "/api/v1/datasets/{id}/download.parquet", "/api/v1/datasets/{id}/download.excel.csv",
    "/api/v1/datasets/{id}/versions/1/download.csv", "/api/v1/datasets/{id}/versions/2/download.csv", "/api/v1/datasets/{id}/rows",
    "/api/v1/datasets/{id}/versions/1/rows", "/api/v1/datasets/{id}/versions/2/rows",
    "/api/v1/datasets/{id}/rows?category__contains=X", "/datasets/{id}/datapackage.json", "/datasets/{id}.jsonld", "/api/3/action/package_show?id={id}",
    "/api/3/action/resource_show?id={id}-csv", "/api/3/action/datastore_search?resource_id={id}-csv",
    "/api/3/action/datastore_search?resource_id={id}-parquet&q=X", "/datasets/{id}",
]
DATA_PATHS = ["/api/v1/datasets/{id}/download.csv", "/api/v1/datasets/{id}/download.parquet",
              "/api/v1/datasets/{id}/versions/1/download.csv", "/api/v1/datasets/{id}/rows",
              "/api/v1/datasets/{id}/versions/1/rows", "/api/3/action/datastore_search?resource_id={id}-csv"]
# Requests that would fail on a visible dataset (bad column, bad limit, bad cursor): hidden ones must not say so.
ERROR_PATHS = ["/api/v1/datasets/{id}/rows?sort=-nosuch", "/api/v1/datasets/{id}/versions/1/rows?limit=-1",
               "/api/v1/datasets/{id}/rows?cursor=zzz", "/api/v1/datasets/{id}/versions/2/download.parquet",
               "/api/3/action/datastore_search?resource_id={id}-csv&filters=%7B%22nosuch%22%3A1%7D",
               "/api/3/action/datastore_search?resource_id={id}-parquet&sort=nosuch"]
# What a hidden resource is compared with: a dataset that exists with nothing in it, a version that never existed.
EMPTY = "m-empty"
NOSUCH = "m-nosuch"
MISSING_VERSION = "9"
LISTED = [i for i in IDENTIFIERS if i != GONE["id"]]


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    m = build_matrix(tmp_path_factory.mktemp("matrix"))
    yield m
    close_matrix(m)


class _Response:
    def __init__(self, status: int, body: bytes):
        self.status_code, self._body = status, body

    def get_data(self, as_text: bool = False):
        return self._body.decode("utf-8") if as_text else self._body

    @property
    def json(self):
        return json.loads(self._body)


def _get(matrix, viewer: str, path: str) -> _Response:
    return _Response(*matrix.get(viewer, path))


def _forbidden(matrix, viewer: str) -> set[str]:
    """Markers and file checksums of every version whose data the viewer may not receive."""
    hidden = set(MARKERS.values()) - allowed_markers(viewer)
    for key, checksums in matrix.checksums.items():
        if key not in served_versions(viewer):
            hidden |= checksums
    return hidden


def _assert_no_leak(matrix, viewer: str, path: str, body: bytes) -> None:
    text = searchable(body)
    leaked = sorted(m for m in _forbidden(matrix, viewer) if m.encode() in text)
    assert not leaked, f"{viewer} received {leaked} from {path}"


def _all_paths() -> list[str]:
    return CATALOGUE_PATHS + [p.format(id=i) for p in DATASET_PATHS for i in IDENTIFIERS]


@pytest.mark.parametrize("path", _all_paths())
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_no_path_gives_a_viewer_data_it_may_not_receive(matrix, viewer, path):
    r = _get(matrix, viewer, path)
    assert r.status_code < 500, (path, r.status_code)
    _assert_no_leak(matrix, viewer, path, r.get_data())


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_bulk_archives_hold_only_unconditional_published_data(matrix, viewer):
    assert matrix.bulk_names
    for name in matrix.bulk_names:
        r = _get(matrix, viewer, f"/bulk/{name}")
        assert r.status_code == 200
        text = searchable(r.get_data())
        assert MARKERS["m-open"].encode() in text
        assert not [m for m in MARKERS.values() if m != MARKERS["m-open"] and m.encode() in text], name


@pytest.mark.parametrize("identifier", IDENTIFIERS)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_data_reaches_exactly_the_entitled(matrix, viewer, identifier):
    entitled = identifier == "m-open" or (identifier == "m-cond" and viewer in CONDITIONAL_DATA)
    for template in DATA_PATHS:
        path = template.format(id=identifier)
        r = _get(matrix, viewer, path)
        if entitled:
            assert r.status_code == 200, (path, r.status_code)
            assert MARKERS[identifier].encode() in searchable(r.get_data()), path
        else:
            assert r.status_code == 404, (path, r.status_code)
            _assert_same_as_missing(matrix, viewer, template, identifier, r)


def _assert_same_as_missing(matrix, viewer: str, template: str, identifier: str, hidden) -> None:
    """A hidden resource answers byte for byte as an absent one (up to the name asked for)."""
    if "/versions/" in template:
        absent_path = re.sub(r"/versions/\d+", f"/versions/{MISSING_VERSION}", template.format(id=identifier))
        number = re.search(r"/versions/(\d+)", template.format(id=identifier)).group(1)
        expected = _get(matrix, viewer, absent_path).get_data(as_text=True).replace(MISSING_VERSION, number)
    else:  # a listed dataset with hidden data reads as one with none; a dataset out of the catalogue as none at all
        other = NOSUCH if identifier == GONE["id"] else EMPTY
        expected = _get(matrix, viewer, template.format(id=other)).get_data(as_text=True).replace(other, identifier)
    assert hidden.get_data(as_text=True) == expected


@pytest.mark.parametrize("identifier", IDENTIFIERS)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_errors_about_hidden_data_read_as_errors_about_nothing(matrix, viewer, identifier):
    if identifier == "m-open" or (identifier == "m-cond" and viewer in CONDITIONAL_DATA):
        return
    for template in ERROR_PATHS:
        r = _get(matrix, viewer, template.format(id=identifier))
        _assert_same_as_missing(matrix, viewer, template, identifier, r)


@pytest.mark.parametrize("identifier", IDENTIFIERS)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_version_lists_show_unpublished_versions_only_to_the_organization(matrix, viewer, identifier):
    if identifier == GONE["id"]:
        for template in ("/api/v1/datasets/{id}", "/api/v1/datasets/{id}/versions", "/api/v1/datasets/{id}/versions/1",
                         "/datasets/{id}"):
            _assert_same_as_missing(matrix, viewer, template, identifier, _get(matrix, viewer, template.format(id=identifier)))
        return
    expected = listed_versions(viewer, identifier)
    listed = _get(matrix, viewer, f"/api/v1/datasets/{identifier}/versions").json["versions"]
    assert [v["number"] for v in listed] == expected
    detail = _get(matrix, viewer, f"/api/v1/datasets/{identifier}").json
    assert [v["number"] for v in detail["versions"]] == expected
    for number in (1, 2):
        path = f"/api/v1/datasets/{identifier}/versions/{number}"
        r = _get(matrix, viewer, path)
        if number in expected:
            assert r.status_code == 200
            assert ("report" in r.json) == r.json["data_available"]
        else:
            assert r.status_code == 404
            _assert_same_as_missing(matrix, viewer, path.replace(identifier, "{id}"), identifier, r)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_catalogue_lists_every_active_dataset_alike_and_closed_with_its_reason(matrix, viewer):
    anonymous = _get(matrix, "anonymous", "/api/v1/datasets?page_size=100").json
    mine = _get(matrix, viewer, "/api/v1/datasets?page_size=100").json
    assert mine["total"] == anonymous["total"] == len(LISTED) + 1
    assert mine["facets"] == anonymous["facets"]
    for path in ("/api/v1/datasets/m-closed", "/api/3/action/package_show?id=m-closed"):
        assert LEGAL in _get(matrix, viewer, path).get_data(as_text=True), path
    ckan = _get(matrix, viewer, "/api/3/action/package_list").json["result"]
    assert sorted(ckan) == sorted([*LISTED, EMPTY])
    sitemap = _get(matrix, viewer, "/sitemap.xml").get_data(as_text=True)
    assert all(f"/datasets/{i}</loc>" in sitemap for i in LISTED) and GONE["id"] not in sitemap


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_counts_count_only_what_the_viewer_may_receive(matrix, viewer):
    served = 1 + (viewer in CONDITIONAL_DATA)
    orgs = {o["id"]: o for o in _get(matrix, viewer, "/api/v1/organizations").json["organizations"]}
    assert orgs["finance"]["open_datasets"] == served
    results = _get(matrix, viewer, "/api/v1/datasets?page_size=100").json["results"]
    assert sorted(r["id"] for r in results if r["data_available"]) == sorted(
        ["m-open"] + (["m-cond"] if viewer in CONDITIONAL_DATA else []))


@pytest.mark.parametrize("marker", sorted(MARKERS))
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_searching_for_hidden_data_finds_nothing(matrix, viewer, marker):
    value = MARKERS[marker]
    for path in (f"/api/v1/datasets?q={value}", f"/api/3/action/package_search?q={value}"):
        body = _get(matrix, viewer, path).json
        total = body["total"] if "total" in body else body["result"]["count"]
        if value not in allowed_markers(viewer):
            assert total == 0, (path, total)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_feeds_mention_only_published_versions(matrix, viewer):
    changes = _get(matrix, viewer, "/api/v1/changes?since=0").json["changes"]
    published = {(c["dataset"], c["version"]) for c in changes if c["action"] == "version-published"}
    assert published <= {("m-open", 1), ("m-cond", 1), ("m-closed", 1), ("m-withdrawn", 1)}
    assert not {c["dataset"] for c in changes if c["version"] is not None} & {"m-draft", "m-rejected"}
    atom = _get(matrix, viewer, "/api/v1/feeds/datasets.atom").get_data(as_text=True)
    assert "第 2 版" not in atom  # the open dataset's version 2 awaits review


def test_own_organization_sees_drafts_but_never_their_data(matrix):
    for viewer in OWN_ORGANIZATION:
        r = _get(matrix, viewer, "/api/v1/datasets/m-draft/versions/1")
        assert r.status_code == 200 and r.json["state"] == "awaiting-review" and not r.json["data_available"]
