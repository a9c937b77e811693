"""Disclosure is enforced on every outward path: paths × viewers × dataset states.

Viewers, the roles x organizations grid: anonymous; an administrator; the publisher of the
datasets' organization, of its parent, and of another organization; the organization's reviewer and
another organization's; a member of the organization with no role and one with the requester role;
a requester with an access grant, and one whose grant expired. States: an
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
from sqlalchemy import select

from opendata.services.access import ANONYMOUS as ANONYMOUS_VIEWER
from opendata.store.models import Dataset
from tests.disclosure_fixtures import (
    GONE,
    IDENTIFIERS,
    LEGAL,
    MARKERS,
    STAFF,
    VIEWERS,
    allowed_markers,
    build_matrix,
    close_matrix,
    entitled,
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
    "/catalog", "/catalog?q=XOPEN9", "/organizations/finance", "/api/v1/review/queue",
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
    "/api/v1/review/datasets/{id}/versions/1", "/api/v1/review/datasets/{id}/versions/2",
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
    if path.startswith("/api/v1/review/") and viewer in STAFF:
        return  # staff review every version of their organization (report and checksums included)
    _assert_no_leak(matrix, viewer, path, r.get_data())


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_bulk_archives_hold_only_unconditional_published_data(matrix, viewer):
    assert matrix.bulk_names
    public = {MARKERS["m-open"], MARKERS["m-approved"]}
    for name in matrix.bulk_names:
        r = _get(matrix, viewer, f"/bulk/{name}")
        assert r.status_code == 200
        text = searchable(r.get_data())
        assert all(m.encode() in text for m in public), name
        assert not [m for m in MARKERS.values() if m not in public and m.encode() in text], name


@pytest.mark.parametrize("identifier", IDENTIFIERS)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_data_reaches_exactly_the_entitled(matrix, viewer, identifier):
    for template in DATA_PATHS:
        path = template.format(id=identifier)
        r = _get(matrix, viewer, path)
        if entitled(viewer, identifier):
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
    if entitled(viewer, identifier):
        return
    for template in ERROR_PATHS:
        r = _get(matrix, viewer, template.format(id=identifier))
        _assert_same_as_missing(matrix, viewer, template, identifier, r)


@pytest.mark.parametrize("identifier", IDENTIFIERS)
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_version_lists_show_unpublished_versions_only_to_the_organization(matrix, viewer, identifier):
    if identifier == GONE["id"] and viewer != "administrator":
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
    gone = [GONE["id"]] if viewer == "administrator" else []  # administrators see withdrawn entries
    assert anonymous["total"] == len(LISTED) + 1
    assert mine["total"] == anonymous["total"] + len(gone)
    if not gone:
        assert mine["facets"] == anonymous["facets"]
    for path in ("/api/v1/datasets/m-closed", "/api/3/action/package_show?id=m-closed"):
        assert LEGAL in _get(matrix, viewer, path).get_data(as_text=True), path
    ckan = _get(matrix, viewer, "/api/3/action/package_list").json["result"]
    assert sorted(ckan) == sorted([*LISTED, EMPTY, *gone])
    sitemap = _get(matrix, viewer, "/sitemap.xml").get_data(as_text=True)
    assert all(f"/datasets/{i}</loc>" in sitemap for i in LISTED) and GONE["id"] not in sitemap


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_counts_count_only_what_the_viewer_may_receive(matrix, viewer):
    served = sorted(key.split("/")[0] for key in served_versions(viewer))
    orgs = {o["id"]: o for o in _get(matrix, viewer, "/api/v1/organizations").json["organizations"]}
    assert orgs["finance"]["open_datasets"] == len(served)
    results = _get(matrix, viewer, "/api/v1/datasets?page_size=100").json["results"]
    assert sorted(r["id"] for r in results if r["data_available"]) == served


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
    gone = {(GONE["id"], 1)} if viewer == "administrator" else set()  # administrators see withdrawn entries
    assert published <= {("m-open", 1), ("m-cond", 1), ("m-closed", 1), ("m-withdrawn", 1), ("m-pending", 1),
                         ("m-approved", 1), ("m-tightened", 1)} | gone
    assert not {c["dataset"] for c in changes if c["version"] is not None} & {"m-draft", "m-rejected"}
    atom = _get(matrix, viewer, "/api/v1/feeds/datasets.atom").get_data(as_text=True)
    assert "第 2 版" not in atom  # the open dataset's version 2 awaits review


def test_staff_see_drafts_but_never_their_data(matrix):
    for viewer in STAFF:
        r = _get(matrix, viewer, "/api/v1/datasets/m-draft/versions/1")
        assert r.status_code == 200 and r.json["state"] == "awaiting-review" and not r.json["data_available"]


# -- requests for disclosure: one applicant never sees another's request; identity numbers stay with the handler
APPLICANT_ID = "11010519491231002X"  # alice's identity card (a data-access application)
OTHER_ID = "440524188001010014"  # an anonymous applicant's
REQUEST_FORM = {"subject": "数据申请", "description": "申请使用数据。", "delivery_medium": "electronic",
                "delivery_channel": "online", "applicant_type": "natural-person", "applicant_name": "申请人",
                "id_type": "resident-id"}
MISSING_CODE = "ABCDEFGHJKMNPQRS"


@pytest.fixture(scope="module")
def request_codes(matrix):
    """alice's data-access application (handled by finpub) and an anonymous request, both to finance."""
    from opendata.services.requests.handling import assign_request
    from opendata.services.requests.policy import RequestPolicy
    from opendata.services.requests.submit import submit_request
    from tests.review_fixtures import viewer_of

    rt = matrix.runtime
    policy = RequestPolicy.from_config(rt.config)
    alice = viewer_of(rt, "alice")
    application = submit_request(runtime=rt, policy=policy, viewer=alice, form={
        **REQUEST_FORM, "dataset": "m-cond", "id_number": APPLICANT_ID, "email": "alice@example.cn", "purpose": "科研",
        "intended_use": "分析", "period_start": "2026-01-01", "period_end": "2030-12-31"}).code
    other = submit_request(runtime=rt, policy=policy, viewer=ANONYMOUS_VIEWER, form={
        **REQUEST_FORM, "organization": "finance", "id_number": OTHER_ID, "email": "other@example.cn"}).code
    assign_request(runtime=rt, viewer=viewer_of(rt, "finpub"), code=application, handler="finpub")
    return {"application": application, "other": other}


def _request_paths(codes) -> list[str]:
    return ["/api/v1/requests/queue", "/api/v1/requests/queue?organization=finance&limit=200",
            "/api/v1/requests/mine", f"/api/v1/requests/{codes['application']}", f"/api/v1/requests/{codes['other']}",
            "/api/v1/requests/often-requested?since=2020-01-01&until=2099-12-31&threshold=2",
            "/api/v1/audit", "/requests/status", "/catalog", "/datasets/m-cond"]


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_identity_numbers_never_leave_the_handlers_detail_view(matrix, request_codes, viewer):
    for path in _request_paths(request_codes):
        body = _get(matrix, viewer, path).get_data(as_text=True)
        handler_view = viewer == "own-publisher" and path == f"/api/v1/requests/{request_codes['application']}"
        assert (APPLICANT_ID in body) == handler_view, (viewer, path)
        assert OTHER_ID not in body, (viewer, path)
    for code, contact in ((request_codes["application"], "alice@example.cn"), (request_codes["other"], "other@example.cn")):
        r = matrix.client.post("/api/v1/requests/status", json={"code": code, "contact": contact},
                               headers=matrix.headers[viewer])
        assert r.status_code == 200 and APPLICANT_ID not in r.get_data(as_text=True)
        assert OTHER_ID not in r.get_data(as_text=True)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_one_applicant_never_sees_anothers_request(matrix, request_codes, viewer):
    application = request_codes["application"]
    hidden = _get(matrix, viewer, f"/api/v1/requests/{application}")
    missing = _get(matrix, viewer, f"/api/v1/requests/{MISSING_CODE}")
    if viewer in STAFF or viewer == "granted":  # staff of finance (its parent's and administrators too), and alice
        assert hidden.status_code == 200
    else:
        assert hidden.status_code == missing.status_code and hidden.status_code in (401, 403, 404)
        assert hidden.get_data(as_text=True).replace(application, "X") == \
            missing.get_data(as_text=True).replace(MISSING_CODE, "X")
    mine = _get(matrix, viewer, "/api/v1/requests/mine")
    if viewer == "granted":
        assert [r["code"] for r in mine.json] == [application]
    elif mine.status_code == 200:
        assert mine.json == []
    wrong = matrix.client.post("/api/v1/requests/status", json={"code": application, "contact": "other@example.cn"},
                               headers=matrix.headers[viewer])
    unknown = matrix.client.post("/api/v1/requests/status", json={"code": MISSING_CODE, "contact": "alice@example.cn"},
                                 headers=matrix.headers[viewer])
    assert wrong.status_code == unknown.status_code == 404 and wrong.get_data() == unknown.get_data()


@pytest.mark.parametrize("identifier", ["m-open", "m-draft", "m-cond", EMPTY])
@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_review_views_only_for_the_organizations_staff(matrix, viewer, identifier):
    """The review view (report rows, findings) and the queue: publishers, reviewers, administrators."""
    existing = {"m-open": {1, 2}, "m-cond": {1}, "m-draft": {1}}.get(identifier, set())
    for number in (1, 2):
        path = f"/api/v1/review/datasets/{identifier}/versions/{number}"
        r = _get(matrix, viewer, path)
        if viewer == "anonymous":
            assert r.status_code == 401
        elif viewer in STAFF and number in existing:
            assert r.status_code == 200, (path, r.status_code)
            assert r.json["version"]["number"] == number and "report" in r.json
        else:
            assert r.status_code == 404, (path, r.status_code)
            absent = _get(matrix, viewer, f"/api/v1/review/datasets/{NOSUCH}/versions/{MISSING_VERSION}")
            expected = absent.get_data(as_text=True).replace(NOSUCH, identifier).replace(MISSING_VERSION, str(number))
            assert r.get_data(as_text=True) == expected
    if viewer != "anonymous":
        queue = {(q["dataset"], q["number"]) for q in _get(matrix, viewer, "/api/v1/review/queue").json["versions"]}
        assert queue == ({("m-open", 2), ("m-draft", 1)} if viewer in STAFF else set())


@pytest.mark.parametrize("viewer", [v for v in VIEWERS if v != "anonymous"])
def test_a_resumable_upload_is_its_owners_alone(matrix, viewer):
    """tus: anyone but the upload's creator, administrators included, gets what a missing upload gets."""
    tus = {**matrix.headers[viewer], "Tus-Resumable": "1.0.0"}
    head = matrix.client.head(matrix.tus_upload, headers=tus)
    if viewer == "own-publisher":
        assert head.status_code == 200 and head.headers["Upload-Offset"] == "0"
        return
    patch = matrix.client.patch(matrix.tus_upload, data=b"id,district\n", headers={
        **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    missing = matrix.tus_upload.rsplit("/", 1)[0] + "/" + "0" * 32
    absent_head = matrix.client.head(missing, headers=tus)
    absent_patch = matrix.client.patch(missing, data=b"id,district\n", headers={
        **tus, "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream"})
    if viewer in ("member", "member-requester", "granted", "expired-grant", "reviewer", "other-reviewer"):
        expected = 403  # no publish scope at all: refused before any upload is looked up
    else:
        expected = 404
    assert (head.status_code, patch.status_code) == (absent_head.status_code, absent_patch.status_code) == (
        expected, expected)
    assert patch.get_data(as_text=True).replace(matrix.tus_upload.rsplit("/", 1)[1], "0" * 32) \
        == absent_patch.get_data(as_text=True)
    own = matrix.client.head(matrix.tus_upload, headers={**matrix.headers["own-publisher"], "Tus-Resumable": "1.0.0"})
    assert own.headers["Upload-Offset"] == "0"  # nothing was appended


def test_the_disclosure_change_path_is_in_the_states_it_claims(matrix):
    """m-pending waits at its last step (no byte served), m-approved passed it, m-tightened closed at once."""
    with matrix.runtime.sessions() as session:
        classes = {ds.identifier: ds.disclosure for ds in session.scalars(select(Dataset))}
    assert (classes["m-pending"], classes["m-approved"], classes["m-tightened"]) == ("closed", "unconditional", "closed")
    admin = matrix.headers["administrator"]
    (pending,) = _get(matrix, "administrator", "/api/v1/review/disclosure-changes").json["changes"]
    assert pending["dataset"] == "m-pending" and pending["steps"]["next"] == "approve"
    assert [d["step"] for d in pending["decisions"]] == ["submit", "review"]
    everything = matrix.client.get("/api/v1/review/disclosure-changes?state=all", headers=admin).json["changes"]
    states = {(c["dataset"], c["state"]) for c in everything}
    assert states == {("m-pending", "pending"), ("m-approved", "approved"), ("m-tightened", "applied")}
    assert all(c["source"].startswith("catalog.yaml@sha256:") for c in everything)


@pytest.mark.parametrize("viewer", list(VIEWERS))
def test_no_byte_under_a_loosened_class_before_the_last_step_and_none_after_tightening(matrix, viewer):
    """Every outward path of the pending and the tightened dataset, as every viewer: nothing of their rows."""
    hidden = [MARKERS["m-pending"].encode(), MARKERS["m-tightened"].encode()]
    for identifier in ("m-pending", "m-tightened"):
        paths = CATALOGUE_PATHS + [p.format(id=identifier) for p in DATASET_PATHS]
        paths += [f"/bulk/{name}" for name in matrix.bulk_names]
        for path in paths:
            body = searchable(_get(matrix, viewer, path).get_data())
            assert not [m for m in hidden if m in body], (viewer, path)
        for template in DATA_PATHS:
            assert _get(matrix, viewer, template.format(id=identifier)).status_code == 404
    assert _get(matrix, viewer, "/api/v1/datasets/m-approved/download.csv").status_code == 200
