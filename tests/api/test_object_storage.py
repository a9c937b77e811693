"""The read API on S3-compatible object storage (moto's server): the same answers as from a local folder.

A focused subset of the download and row tests runs again here on a site whose every artifact is in
a bucket (imported below: pytest runs them with this module's ``site``); then what only object
storage has: the presigned redirect (after the disclosure rules), the row engine's cached copy, and a
crash between upload and commit.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import urllib.request
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from opendata.app import close_app, create_app
from opendata.store.models import Dataset, Version
from tests.api.conftest import build_site, teardown_site
from tests.api.test_downloads import (  # noqa: F401 (collected again, on object storage)
    test_etag_is_the_quoted_sha256_and_if_none_match_gives_304,
    test_excel_variant_is_utf8_with_bom_and_same_rows,
    test_full_csv_download_is_the_canonical_csv_of_the_latest_version,
    test_head_gives_headers_without_a_body,
    test_parquet_download_reads_back,
    test_range_returns_exactly_the_requested_bytes,
    test_resuming_with_if_range_and_a_stale_etag_sends_the_whole_file,
    test_unsatisfiable_range_is_416_in_the_error_shape,
)
from tests.api.test_rows import (  # noqa: F401
    test_filter_and_sort_match_the_published_rows,
    test_keyset_cursor_walks_every_row_exactly_once,
)

CSV = "/api/v1/datasets/budget/download.csv"


@pytest.fixture(scope="module")
def site(tmp_path_factory, s3_server):
    """The read API's test catalogue, published with every artifact in a bucket of its own."""
    bucket = s3_server.new_bucket()
    s = build_site(tmp_path_factory.mktemp("s3site"), **s3_server.settings(bucket))
    s.bucket = bucket
    yield s
    teardown_site(s)


@pytest.fixture
def client(site):
    return site.client


@pytest.fixture(scope="module")
def redirecting(site, s3_server):
    """A second app on the same database and bucket that redirects downloads to presigned URLs."""
    app = create_app(HOME=str(site.runtime.config.home), BASE_URL="http://testserver", RATE_LIMIT_ENABLED=False,
                     DOWNLOAD_REDIRECT_SECONDS=120, **s3_server.settings(site.bucket))
    app.config["TESTING"] = True
    yield app.test_client()
    close_app(app)


def test_every_file_of_the_site_is_in_the_bucket_and_none_in_the_local_folder(site, s3_server):
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=site.bucket)["Contents"]]
    kinds = {k.rsplit(".", 1)[-1] for k in keys if "/" in k}
    assert {"csv", "parquet", "json", "duckdb", "source", "zip"} <= kinds
    assert "bulk/index.json" in keys
    assert not (site.runtime.config.home / "artifacts").exists()


def test_a_redirect_goes_to_a_presigned_url_that_sends_the_same_bytes_and_ranges(client, redirecting):
    streamed = client.get(CSV)
    r = redirecting.get(CSV)
    assert r.status_code == 302 and r.headers["Cache-Control"] == "private, no-store"
    assert r.headers["X-Dataset-Version"] == "2"
    url = r.headers["Location"]
    assert urlsplit(url).query and "X-Amz-Signature" in url and "X-Amz-Expires=120" in url
    with urllib.request.urlopen(url) as answer:
        assert answer.read() == streamed.data
        assert answer.headers["Content-Disposition"] == streamed.headers["Content-Disposition"]
        assert answer.headers["Content-Type"].startswith("text/csv")
    with urllib.request.urlopen(urllib.request.Request(url, headers={"Range": "bytes=10-49"})) as answer:
        assert answer.status == 206 and answer.read() == streamed.data[10:50]


def test_a_redirect_still_answers_304_for_the_sha256_etag(client, redirecting):
    etag = client.get(CSV).headers["ETag"]
    r = redirecting.get(CSV, headers={"If-None-Match": etag})
    assert r.status_code == 304 and "Location" not in r.headers


@pytest.mark.parametrize("url", [
    "/api/v1/datasets/subsidies/download.csv",  # conditional: no grant
    "/api/v1/datasets/secret/download.parquet",  # closed
    "/api/v1/datasets/budget/versions/3/download.csv",  # awaiting review
    "/api/v1/datasets/traffic/download.csv",  # nothing published
])
def test_data_the_caller_may_not_receive_gets_a_404_and_never_a_redirect(redirecting, url):
    r = redirecting.get(url)
    assert r.status_code == 404 and "Location" not in r.headers
    assert r.json["code"] == "not-found"


def test_an_excel_csv_sent_behind_a_bom_is_streamed_even_when_redirecting(redirecting, client):
    """The BOM is not in the stored object: that answer cannot come from the store itself."""
    plain = client.get(CSV).data
    r = redirecting.get("/api/v1/datasets/budget/download.excel.csv")
    if r.status_code == 302:  # the pipeline wrote an Excel CSV of its own: the store sends it
        with urllib.request.urlopen(r.headers["Location"]) as answer:
            body = answer.read()
    else:
        body = r.data
    assert body.startswith(b"\xef\xbb\xbf") and body[3:].splitlines() == plain.splitlines()


def test_bulk_archives_are_stored_in_the_bucket_and_served_with_their_sha256(client, redirecting):
    index = client.get("/bulk.json").get_json()
    record = next(a for a in index["archives"] if a["name"] == "opendata-all.zip")
    r = client.get("/bulk/opendata-all.zip")
    assert r.status_code == 200 and hashlib.sha256(r.data).hexdigest() == record["sha256"]
    assert r.headers["ETag"] == f'"{record["sha256"]}"'
    assert client.get("/bulk/opendata-all.zip", headers={"Range": "bytes=5-9"}).data == r.data[5:10]
    moved = redirecting.get("/bulk/opendata-all.zip")
    assert moved.status_code == 302
    with urllib.request.urlopen(moved.headers["Location"]) as answer:
        assert answer.read() == r.data


def test_the_row_engine_queries_a_local_copy_of_the_prepared_database_verified_against_its_name(site, client):
    assert client.get("/api/v1/datasets/budget/rows?limit=5").status_code == 200
    cached = [p for p in (site.runtime.config.home / "cache" / "objects").rglob("*.duckdb")]
    assert cached
    for path in cached:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == path.name.split(".")[0]


CRASH = textwrap.dedent('''
    import os, sys
    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.services import versions
    from pathlib import Path
    from tests.builders import generate_rows, write_csv

    settings = dict(arg.split("=", 1) for arg in sys.argv[2:])
    rt = Runtime(load_config({f"OPENDATA_{k}": v for k, v in settings.items()}, HOME=sys.argv[1]))
    store = rt.artifacts
    adopt_outputs = store.adopt_outputs

    def uploaded_then_killed(artifacts):  # every output is in the bucket; the commit never happens
        adopt_outputs(artifacts)
        os._exit(9)

    store.adopt_outputs = uploaded_then_killed
    path = write_csv(Path(sys.argv[1]) / "crash.csv", generate_rows(17, seed=99))
    versions.ingest_file(sessions=rt.sessions, store=store, dataset="budget", path=path, actor="crash")
''')


def test_a_crash_between_upload_and_commit_serves_nothing_new_and_clean_removes_the_objects(site, client, s3_server):
    before = client.get(CSV)
    # the child uses the site's database as it is (SQLite, or the PostgreSQL one of --database=postgresql)
    settings = [f"{k}={v}" for k, v in s3_server.settings(site.bucket).items()]
    settings.append(f"DATABASE_URL={site.runtime.config.database_url}")
    done = subprocess.run([sys.executable, "-c", CRASH, str(site.runtime.config.home), *settings],
                          capture_output=True, text=True, timeout=300, env={**os.environ},
                          cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert done.returncode == 9, done.stderr
    after = client.get(CSV)
    assert after.status_code == 200 and after.data == before.data and after.headers["ETag"] == before.headers["ETag"]
    with site.runtime.sessions() as session:  # the version exists, with no file recorded and nothing published
        crashed = session.scalars(select(Version).join(Dataset).where(Dataset.identifier == "budget",
                                                                     Version.created_by == "crash")).one()
        assert crashed.state == "validating" and crashed.artifacts == []
    store = site.runtime.artifacts
    from opendata.services.standards.bulk import archive_paths, read_index
    from opendata.services.versions import referenced_artifacts

    with site.runtime.sessions() as session:
        referenced = referenced_artifacts(session) | archive_paths(read_index(site.runtime) or {})
    orphans = store.clean_orphans(referenced, dry_run=True)
    assert orphans and all(rel.endswith((".csv", ".parquet", ".json")) for rel in orphans)
    store.clean_orphans(referenced)
    assert set(store.iter_files()) == referenced
    assert client.get(CSV).data == before.data
