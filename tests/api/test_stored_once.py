"""Identical bytes are stored once: an upload already canonical is its own CSV, and the Excel CSV is
the canonical file behind a BOM, served with exact Range answers and an ETag that is its sha256."""

from __future__ import annotations

import csv
import hashlib

import pytest

from opendata.services.publication import publish_if_clean
from opendata.services.versions import ingest_file
from tests.api.conftest import build_small_site, teardown_site
from tests.builders import generate_rows

BOM = b"\xef\xbb\xbf"
EXCEL = "/api/v1/datasets/budget/download.excel.csv"
CSV = "/api/v1/datasets/budget/download.csv"


def _upload(site, name: str, lineterminator: str) -> int:
    """Ingest and publish 150 rows as version 2 of budget; the version's id."""
    rows = generate_rows(150, seed=9)
    path = site.tmp / name
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator=lineterminator)
        writer.writerow(list(rows[0]))
        writer.writerows([list(r.values()) for r in rows])
    outcome = ingest_file(sessions=site.runtime.sessions, store=site.runtime.artifacts, dataset="budget",
                          path=path, actor="tests")
    assert publish_if_clean(runtime=site.runtime, version_id=outcome.version_id, actor="tests").startswith("published")
    return outcome.version_id


def _artifacts(site, version_id: int) -> dict[str, tuple[str, int, str]]:
    from opendata.store.models import Artifact

    with site.runtime.sessions() as session:
        return {a.kind: (a.path, a.bytes, a.sha256)
                for a in session.query(Artifact).filter(Artifact.version_id == version_id)}


@pytest.fixture(scope="module")
def canonical_site(tmp_path_factory):
    """A small site whose budget dataset has a version 2 uploaded already canonical (LF line ends)."""
    site = build_small_site(tmp_path_factory.mktemp("stored-once"))
    site.version_id = _upload(site, "budget-lf.csv", "\n")
    yield site
    teardown_site(site)


def test_an_upload_already_canonical_is_stored_once_for_its_source_csv_and_excel_variant(canonical_site):
    fresh_site = canonical_site
    arts = _artifacts(fresh_site, fresh_site.version_id)
    upload = (fresh_site.tmp / "budget-lf.csv").read_bytes()
    assert arts["source"][0] == arts["csv"][0] == arts["csv-excel"][0]
    stored = fresh_site.runtime.artifacts.path(arts["csv"][0]).read_bytes()
    assert stored == upload and arts["source"][2] == arts["csv"][2] == hashlib.sha256(upload).hexdigest()
    assert arts["csv-excel"][1:] == (len(upload) + 3, hashlib.sha256(BOM + upload).hexdigest())
    # the version's files, each once: the CSV, the Parquet file, datapackage.json, profile, row database
    paths = {path for path, _, _ in arts.values()}
    assert len(paths) == len(arts) - 2
    stored_bytes = sum(fresh_site.runtime.artifacts.path(p).stat().st_size for p in paths)
    recorded = sum(n for _, n, _ in arts.values())
    assert stored_bytes < recorded - 2 * len(upload)


def test_an_upload_in_another_form_keeps_its_own_source_copy(fresh_site):
    version_id = _upload(fresh_site, "budget-crlf.csv", "\r\n")
    arts = _artifacts(fresh_site, version_id)
    upload = (fresh_site.tmp / "budget-crlf.csv").read_bytes()
    assert arts["source"][0] != arts["csv"][0] == arts["csv-excel"][0]
    assert fresh_site.runtime.artifacts.path(arts["source"][0]).read_bytes() == upload


@pytest.fixture
def excel(canonical_site):
    return canonical_site.client, BOM + canonical_site.client.get(CSV).data


def test_the_excel_variant_is_the_bom_and_the_canonical_bytes_with_its_own_sha256_as_etag(excel):
    client, body = excel
    r = client.get(EXCEL)
    assert r.status_code == 200 and r.data == body
    assert int(r.headers["Content-Length"]) == len(body) and r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    assert client.get(EXCEL, headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    head = client.head(EXCEL)
    assert head.data == b"" and int(head.headers["Content-Length"]) == len(body)


@pytest.mark.parametrize("header, start, stop", [
    ("bytes=0-0", 0, 1), ("bytes=0-2", 0, 3), ("bytes=1-4", 1, 5), ("bytes=2-40", 2, 41), ("bytes=3-9", 3, 10),
    ("bytes=100-", 100, None), ("bytes=-7", -7, None), ("bytes=0-", 0, None), ("bytes=1-", 1, None),
])
def test_each_range_of_the_excel_variant_is_exactly_those_bytes(excel, header, start, stop):
    client, body = excel
    r = client.get(EXCEL, headers={"Range": header})
    part = body[start:stop]
    first = start if start >= 0 else len(body) + start
    assert r.status_code == 206 and r.data == part
    assert r.headers["Content-Range"] == f"bytes {first}-{first + len(part) - 1}/{len(body)}"
    assert int(r.headers["Content-Length"]) == len(part)


def test_resuming_the_excel_variant_checks_its_etag_and_a_range_past_the_end_is_416(excel):
    client, body = excel
    etag = f'"{hashlib.sha256(body).hexdigest()}"'
    r = client.get(EXCEL, headers={"Range": "bytes=2-", "If-Range": etag})
    assert r.status_code == 206 and r.data == body[2:]
    stale = client.get(EXCEL, headers={"Range": "bytes=2-", "If-Range": '"' + "0" * 64 + '"'})
    assert stale.status_code == 200 and stale.data == body
    past = client.get(EXCEL, headers={"Range": f"bytes={len(body)}-"})
    assert past.status_code == 416 and past.json["status"] == 416
