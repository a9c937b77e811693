"""Downloads: bytes, Range (206/416), ETag and If-None-Match (304), Last-Modified, file names, BOM variant."""

from __future__ import annotations

import hashlib
import io
from email.utils import parsedate_to_datetime
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

CSV = "/api/v1/datasets/budget/download.csv"


def test_full_csv_download_is_the_canonical_csv_of_the_latest_version(client, site):
    r = client.get(CSV)
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert r.headers["Accept-Ranges"] == "bytes"
    assert r.headers["X-Dataset-Version"] == "2"
    lines = r.data.decode("utf-8").splitlines()
    assert lines[0] == "id,district,category,amount,day"
    assert len(lines) == 1 + len(site.budget_rows)
    assert int(r.headers["Content-Length"]) == len(r.data)


def test_etag_is_the_quoted_sha256_and_if_none_match_gives_304(client):
    r = client.get(CSV)
    assert r.headers["ETag"] == f'"{hashlib.sha256(r.data).hexdigest()}"'
    again = client.get(CSV, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    other = client.get(CSV, headers={"If-None-Match": '"0000"'})
    assert other.status_code == 200


def test_last_modified_and_if_modified_since(client):
    r = client.get(CSV)
    published = client.get("/api/v1/datasets/budget").json["latest_version"]["published"]
    last_modified = parsedate_to_datetime(r.headers["Last-Modified"])
    assert last_modified.isoformat()[:19] == published[:19]
    assert client.get(CSV, headers={"If-Modified-Since": r.headers["Last-Modified"]}).status_code == 304


def test_range_returns_exactly_the_requested_bytes(client):
    full = client.get(CSV).data
    r = client.get(CSV, headers={"Range": "bytes=10-49"})
    assert r.status_code == 206
    assert r.data == full[10:50]
    assert r.headers["Content-Range"] == f"bytes 10-49/{len(full)}"
    assert r.headers["Content-Length"] == "40"
    tail = client.get(CSV, headers={"Range": "bytes=-25"})
    assert tail.status_code == 206 and tail.data == full[-25:]
    rest = client.get(CSV, headers={"Range": f"bytes={len(full) - 5}-"})
    assert rest.data == full[-5:]


def test_resuming_with_if_range_and_a_stale_etag_sends_the_whole_file(client):
    full = client.get(CSV).data
    r = client.get(CSV, headers={"Range": "bytes=100-", "If-Range": '"stale"'})
    assert r.status_code == 200 and r.data == full
    etag = client.get(CSV).headers["ETag"]
    r = client.get(CSV, headers={"Range": "bytes=100-", "If-Range": etag})
    assert r.status_code == 206 and r.data == full[100:]


def test_unsatisfiable_range_is_416_in_the_error_shape(client):
    size = len(client.get(CSV).data)
    r = client.get(CSV, headers={"Range": f"bytes={size + 10}-"})
    assert r.status_code == 416
    assert r.headers["Content-Range"] == f"bytes */{size}"
    assert r.json["status"] == 416 and set(r.json) == {"code", "status", "message", "errors"}


@pytest.mark.parametrize("spec", ["items=0-5", "bytes=0-1,5-6", "bytes=0-1, 5-6", "garbage", "bytes=5-2", ""])
def test_a_range_that_must_be_ignored_gives_the_whole_file_and_counts_as_a_download(fresh_site, spec):
    """RFC 9110 §14.2: another unit, several ranges (no multipart here) or no valid range: ignored, not 416."""
    c = fresh_site.client
    full = c.get(CSV).data
    before = c.get("/api/v1/datasets/budget").json["usage"]["downloads"]
    r = c.get(CSV, headers={"Range": spec})
    assert (r.status_code, r.data) == (200, full)
    assert "Content-Range" not in r.headers and r.headers["Accept-Ranges"] == "bytes"
    assert c.get("/api/v1/datasets/budget").json["usage"]["downloads"] == before + 1


def test_an_empty_suffix_range_is_unsatisfiable(client):
    size = len(client.get(CSV).data)
    r = client.get(CSV, headers={"Range": "bytes=-0"})
    assert r.status_code == 416 and r.headers["Content-Range"] == f"bytes */{size}"


def test_content_disposition_has_the_chinese_title_per_rfc_5987_and_an_ascii_fallback(client):
    cd = client.get(CSV).headers["Content-Disposition"]
    assert cd.startswith("attachment; ")
    assert 'filename="budget-v2.csv"' in cd
    encoded = cd.split("filename*=", 1)[1]
    assert encoded.startswith("UTF-8''")
    assert unquote(encoded[len("UTF-8''"):]) == "示例市财政预算-v2.csv"
    assert all(ord(ch) < 128 for ch in cd)


@pytest.mark.parametrize("url", [CSV + "?excel=1", "/api/v1/datasets/budget/download.excel.csv"])
def test_excel_variant_is_utf8_with_bom_and_same_rows(client, url):
    plain = client.get(CSV).data
    r = client.get(url)
    assert r.status_code == 200 and r.data.startswith(b"\xef\xbb\xbf")
    assert r.data[3:].decode("utf-8").splitlines() == plain.decode("utf-8").splitlines()
    assert r.headers["ETag"] == f'"{hashlib.sha256(r.data).hexdigest()}"'
    assert "excel" in r.headers["Content-Disposition"]


def test_parquet_download_reads_back(client, site):
    r = client.get("/api/v1/datasets/budget/download.parquet")
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(r.data))
    assert table.num_rows == len(site.budget_rows)
    assert sorted(table.column("id").to_pylist()) == [row["id"] for row in site.budget_rows]


def test_each_version_has_its_own_files_and_cache_headers(client):
    v1 = client.get("/api/v1/datasets/budget/versions/1/download.csv")
    latest = client.get(CSV)
    assert v1.status_code == 200 and len(v1.data.splitlines()) == 121
    assert v1.headers["ETag"] != latest.headers["ETag"]
    # who may receive a file can change (a tightened class): every cache revalidates, numbered versions too
    assert v1.headers["Cache-Control"] == latest.headers["Cache-Control"] == "public, no-cache"
    assert 'filename="budget-v1.csv"' in v1.headers["Content-Disposition"]
    assert client.get("/api/v1/datasets/budget/versions/1/download.parquet").status_code == 200


@pytest.mark.parametrize("number", ["0", "3", str(2**31 - 1), str(2**31), str(2**63), str(2**70)])
def test_a_version_number_that_names_no_version_is_404_not_500(client, number):
    r = client.get(f"/api/v1/datasets/budget/versions/{number}/download.parquet")
    assert r.status_code == 404 and r.json["code"] == "not-found"
    if int(number) < 2**31:  # beyond what any database stores as a key, no route matches (api/arguments.py)
        assert f"no downloadable version {number}" in r.json["message"]


def test_head_gives_headers_without_a_body(client):
    r = client.head(CSV)
    assert r.status_code == 200 and r.data == b"" and int(r.headers["Content-Length"]) > 0


def test_dataset_without_a_published_version_has_no_download(client):
    r = client.get("/api/v1/datasets/traffic/download.csv")
    assert r.status_code == 404 and r.json["code"] == "not-found"


def test_without_an_excel_artifact_the_bom_variant_is_sent_from_the_canonical_csv_with_ranges(fresh_site):
    from sqlalchemy import delete

    from opendata.store.models import Artifact

    with fresh_site.runtime.sessions() as session:  # a version published before the pipeline wrote csv-excel
        session.execute(delete(Artifact).where(Artifact.kind == "csv-excel"))
        session.commit()
    c = fresh_site.client
    plain = c.get(CSV)
    r = c.get("/api/v1/datasets/budget/download.excel.csv")
    assert r.status_code == 200 and r.data == b"\xef\xbb\xbf" + plain.data
    assert int(r.headers["Content-Length"]) == len(r.data)
    assert r.headers["ETag"] == plain.headers["ETag"][:-1] + '-bom"'
    assert 'filename="budget-v1-excel.csv"' in r.headers["Content-Disposition"]
    assert r.headers["X-Dataset-Version"] == "1" and r.headers["Accept-Ranges"] == "bytes"
    assert c.get("/api/v1/datasets/budget/download.excel.csv",
                 headers={"If-None-Match": r.headers["ETag"]}).status_code == 304
    part = c.get("/api/v1/datasets/budget/versions/1/download.excel.csv", headers={"Range": "bytes=2-9"})
    assert (part.status_code, part.data) == (206, r.data[2:10])
    assert part.headers["X-Dataset-Version"] == "1"


def _published_hours_ago(rt, **hours: int) -> None:
    """Move the publication of versions (``v1=3``) back, so their dates are whole seconds apart from now."""
    from datetime import UTC, datetime, timedelta

    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Version

    with transaction(rt.sessions) as session:
        for name, ago in hours.items():
            v = session.query(Version).join(Dataset).filter(Dataset.identifier == "budget",
                                                            Version.number == int(name[1:])).one()
            v.published_at = datetime.now(UTC) - timedelta(hours=ago)


def withdraw(rt, number: int) -> None:
    from opendata.services.publication import withdraw_version
    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Version

    with transaction(rt.sessions) as session:
        v = session.query(Version).join(Dataset).filter(Dataset.identifier == "budget", Version.number == number).one()
        withdraw_version(session=session, version_id=v.id, actor="tests", reason="wrong figures")


def test_after_the_newest_version_is_withdrawn_its_date_validates_nothing_on_the_latest_link(fresh_site):
    """The latest link falls back to version 1: If-Modified-Since or If-Range with version 2's date must not
    keep the withdrawn file (304) or resume it with version 1's bytes (206)."""
    from tests.builders import generate_rows, publish_rows

    c, rt = fresh_site.client, fresh_site.runtime
    publish_rows(rt, "budget", generate_rows(30, seed=7))
    _published_hours_ago(rt, v1=3, v2=2)
    v1_url = "/api/v1/datasets/budget/versions/1/download.csv"
    v1_date = c.get(v1_url).headers["Last-Modified"]
    v2 = c.get(CSV)
    assert v2.headers["X-Dataset-Version"] == "2"
    withdraw(rt, 2)
    v1 = c.get(v1_url)
    latest = c.get(CSV)
    assert latest.headers["X-Dataset-Version"] == "1" and latest.data == v1.data
    assert parsedate_to_datetime(latest.headers["Last-Modified"]) > parsedate_to_datetime(v2.headers["Last-Modified"])
    assert v1.headers["Last-Modified"] == v1_date  # a numbered version's file and date never change
    r = c.get(CSV, headers={"If-Modified-Since": v2.headers["Last-Modified"]})
    assert (r.status_code, r.data) == (200, v1.data)
    r = c.get(CSV, headers={"Range": "bytes=100-", "If-Range": v2.headers["Last-Modified"]})
    assert (r.status_code, r.data) == (200, v1.data)
    for variant in (CSV + "?excel=1", "/api/v1/datasets/budget/download.parquet"):
        assert c.get(variant, headers={"If-Modified-Since": v2.headers["Last-Modified"]}).status_code == 200
    # its own date still validates: 304 and resumption
    assert c.get(CSV, headers={"If-Modified-Since": latest.headers["Last-Modified"]}).status_code == 304
    r = c.get(CSV, headers={"Range": "bytes=100-", "If-Range": latest.headers["Last-Modified"]})
    assert (r.status_code, r.data) == (206, v1.data[100:])
    assert c.get(v1_url, headers={"If-Modified-Since": v1_date}).status_code == 304


def test_a_warm_download_answer_follows_every_commit_in_this_process_and_others(fresh_site, tmp_path):
    """The resolved download is cached until the next commit: publish, withdraw and disclosure all show at once."""
    from opendata.services.publication import withdraw_version
    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Version
    from tests.api.conftest import DATASETS
    from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows
    from tests.live_server import LiveServer

    c, rt = fresh_site.client, fresh_site.runtime
    for _ in range(3):  # warm
        assert c.get(CSV).headers["X-Dataset-Version"] == "1"
    publish_rows(rt, "budget", generate_rows(5, seed=9))
    assert c.get(CSV).headers["X-Dataset-Version"] == "2"
    with transaction(rt.sessions) as session:
        v2 = session.query(Version).join(Dataset).filter(Dataset.identifier == "budget", Version.number == 2).one()
        withdraw_version(session=session, version_id=v2.id, actor="tests", reason="wrong figures")
    assert c.get(CSV).headers["X-Dataset-Version"] == "1"
    other = LiveServer(rt.config.home).cli("withdraw", "budget", "1", "--reason", "withdrawn by another process")
    assert other.returncode == 0, other.stderr
    assert c.get(CSV).status_code == 404
    publish_rows(rt, "budget", generate_rows(5, seed=10))
    assert c.get(CSV).headers["X-Dataset-Version"] == "3"
    conditional = [{**DATASETS[0], "disclosure": "conditional"}, DATASETS[2]]
    make_catalog(rt, tmp_path, datasets=conditional, schemas={"rows.json": ROWS_SCHEMA})
    r = c.get(CSV)
    assert r.status_code == 404 and r.json["message"] == "dataset 'budget' has no downloadable version"
