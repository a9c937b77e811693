"""The analysis example (examples/read_parquet_from_s3.py, shown in docs/analysis.md) on a real site.

A site publishes into a bucket of moto's S3 server and answers its API over HTTP; the example's own
functions (imported from the file, and the file run as a command) find a dataset's Parquet object
through the API, and DuckDB (through s3fs) and Dask read it from the bucket: the rows are the
published ones.
"""

from __future__ import annotations

import datetime
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.conftest import build_small_site, teardown_site
from tests.builders import generate_rows, publish_rows
from tests.live_server import LiveServer

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "read_parquet_from_s3.py"
PREFIX = "site/"


def _load_example():
    spec = importlib.util.spec_from_file_location("read_parquet_from_s3", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


example = _load_example()


def _as_read(rows: list[dict]) -> list[tuple]:
    """Published rows as DuckDB gives them back (the schema's date column is a date)."""
    return [(r["id"], r["district"], r["category"], r["amount"], datetime.date.fromisoformat(r["day"]))
            for r in rows]


@pytest.fixture(scope="module")
def published(tmp_path_factory, s3_server):
    """A site in a bucket of its own (under a key prefix): budget published twice, subsidies conditional."""
    bucket = s3_server.new_bucket()
    settings = s3_server.settings(bucket, S3_PREFIX=PREFIX)
    site = build_small_site(tmp_path_factory.mktemp("analysis"), **settings)
    first = site.budget_rows
    latest = generate_rows(150, seed=7)
    publish_rows(site.runtime, "budget", latest)
    server = LiveServer(site.runtime.config.home, **{f"OPENDATA_{k}": str(v) for k, v in settings.items()})
    server.start()
    options = example.storage_options(endpoint_url=s3_server.endpoint, region="us-east-1", key="testing",
                                      secret="testing")
    yield {"site": server.base, "bucket": bucket, "options": options, "first": first, "latest": latest,
           "endpoint": s3_server.endpoint}
    server.stop()
    teardown_site(site)


def test_the_api_names_the_object_that_holds_the_latest_parquet_file(published, s3_server):
    key = example.parquet_key(published["site"], "budget", prefix=PREFIX)
    keys = [o["Key"] for o in s3_server.client().list_objects_v2(Bucket=published["bucket"])["Contents"]]
    assert key in keys and key.startswith(PREFIX) and key.endswith(".parquet")
    assert key != example.parquet_key(published["site"], "budget", prefix=PREFIX, version=1)


def test_duckdb_reads_the_published_rows_from_the_bucket_through_s3fs(published):
    key = example.parquet_key(published["site"], "budget", prefix=PREFIX)
    connection = example.duckdb_table(published["bucket"], key, published["options"])
    assert connection.sql("SELECT * FROM data ORDER BY id").fetchall() == _as_read(published["latest"])
    by_district = dict(connection.sql("SELECT district, count(*) FROM data GROUP BY district").fetchall())
    expected: dict[str, int] = {}
    for row in published["latest"]:
        expected[row["district"]] = expected.get(row["district"], 0) + 1
    assert by_district == expected


def test_dask_reads_the_rows_of_an_earlier_version_from_the_bucket(published):
    key = example.parquet_key(published["site"], "budget", prefix="site", version=1)  # "/" added as the site does
    frame = example.dask_frame(published["bucket"], key, published["options"])
    assert list(frame.columns) == ["id", "district", "category", "amount", "day"]
    rows = frame.compute().sort_values("id")
    read = [(int(i), d, c, float(a), day if isinstance(day, datetime.date) else day.date())
            for i, d, c, a, day in rows.itertuples(index=False)]
    assert read == _as_read(published["first"])


def test_data_the_caller_may_not_receive_has_no_key_to_find(published):
    with pytest.raises(LookupError, match="no Parquet file"):
        example.parquet_key(published["site"], "subsidies", prefix=PREFIX)  # conditional, no grant


def test_the_example_run_as_documented_prints_the_same_count_from_duckdb_and_dask(published):
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    env.pop("OPENDATA_TOKEN", None)
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--site", published["site"], "--dataset", "budget",
         "--bucket", published["bucket"], "--prefix", PREFIX, "--endpoint-url", published["endpoint"],
         "--region", "us-east-1"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    key = example.parquet_key(published["site"], "budget", prefix=PREFIX)
    lines = done.stdout.splitlines()
    assert lines[0] == f"s3://{published['bucket']}/{key}"
    assert f"DuckDB rows: {len(published['latest'])}" in lines
    assert f"Dask rows: {len(published['latest'])}" in lines


def test_the_docs_page_shows_the_example_file_as_it_is():
    page = (EXAMPLE.parents[1] / "docs" / "analysis.md").read_text(encoding="utf-8")
    shown = page.split("```python\n", 1)[1].rsplit("```", 1)[0]
    assert shown == EXAMPLE.read_text(encoding="utf-8")
