"""Ingest jobs under the limits: settings reach the pipeline, a file beyond a limit fails its own
job with a message naming the limit and a tiny report, messages never show the data folder, and a
full database is a clear error."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import text

from opendata.config import load_config
from opendata.core import lifecycle
from opendata.core.errors import StorageFullError
from opendata.core.limits import IngestLimits, ReadLimits
from opendata.services.access import system_viewer
from opendata.services.jobs import Submission, job_create, public_message, run_job, uploads_dir
from opendata.services.runtime import Runtime
from opendata.store.db import make_engine, make_session_factory, transaction
from opendata.store.jobs import IngestJob
from opendata.store.models import Dataset, Version
from tests.accounts_fixtures import seed_accounts


@pytest.fixture
def seeded(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    return runtime


def _run(runtime: Runtime, body: bytes, filename: str = "budget.csv") -> IngestJob:
    path = uploads_dir(runtime) / f"{hashlib.sha256(body).hexdigest()[:16]}.upload"
    path.write_bytes(body)
    with runtime.sessions() as session:
        ds_id = session.query(Dataset.id).filter_by(identifier="budget").scalar()
    with transaction(runtime.sessions) as session:
        job, _ = job_create(session=session, actor=system_viewer("uploader"), submission=Submission(
            dataset_id=ds_id, filename=filename, path=path, size=len(body),
            sha256=hashlib.sha256(body).hexdigest()))
        job_id = job.id
    run_job(runtime=runtime, job_id=job_id, owner="tests")
    with runtime.sessions() as session:
        job = session.get(IngestJob, job_id)
        session.expunge(job)
        return job


def test_the_settings_defaults_are_the_core_defaults():
    assert IngestLimits.from_settings(load_config({}).values) == IngestLimits()


def test_limits_are_read_from_the_settings():
    limits = IngestLimits.from_settings(load_config({"OPENDATA_INGEST_MAX_COLUMNS": "10",
                                                     "OPENDATA_INGEST_MEMORY_MB": "300",
                                                     "OPENDATA_LIMIT_ERRORS": "5"}).values)
    assert limits.read == ReadLimits(max_columns=10)
    assert (limits.memory_bytes, limits.limit_errors) == (300 * 2**20, 5)


def test_a_header_of_100000_columns_fails_its_job_naming_the_limit_with_a_tiny_report(seeded):
    job = _run(seeded, (",".join(f"c{i}" for i in range(100_000)) + "\n").encode())
    assert job.state == "failed"
    assert job.error["code"] == "limit-exceeded"
    assert job.error["message"] == "the file's row 1 has 100,000 columns; the limit is 2,000"
    with seeded.sessions() as session:
        version = session.get(Version, job.version_id)
        assert version.state == lifecycle.FAILED and version.artifacts == []
        report = version.report
    assert len(json.dumps(report, ensure_ascii=False).encode()) < 2_000
    assert report["valid"] is False and report["tasks"][0]["place"] == "budget.csv"
    assert [e["note"] for e in report["tasks"][0]["errors"]] == [job.error["message"]]


def test_the_limits_of_the_runtime_reach_the_job(seeded, tmp_path):
    small = Runtime(load_config({}, HOME=str(seeded.config.home), INGEST_MAX_CELL_BYTES=10))
    try:
        job = _run(small, "id,name,amount\n1,这是一个很长的名字,2\n".encode())
    finally:
        small.close()
    assert job.state == "failed"
    assert job.error["message"] == "the file's row 2, column 2 holds a cell of 27 bytes; the limit is 10"


def test_a_job_running_out_of_memory_fails_alone_naming_the_limit(seeded):
    # 40 MB is less than the child starts with (the libraries it shares with the fork server)
    tight = Runtime(load_config({}, HOME=str(seeded.config.home), INGEST_MEMORY_MB=40))
    try:
        job = _run(tight, ("id,name,amount\n" + "".join(f"{i},n{i},{i}\n" for i in range(1, 200_000))).encode())
    finally:
        tight.close()
    assert job.state == "failed" and job.error["code"] == "limit-exceeded", job.error
    assert job.error["message"] == "reading budget.csv needs more memory than the limit of 40 MB"
    assert _run(seeded, b"id,name,amount\n1,a,2\n").state == "succeeded"  # the next job is not affected


def test_a_damaged_workbook_fails_its_job_without_showing_the_data_folder(seeded):
    body = b"PK\x03\x04" + b"\x00" * 200  # a ZIP header and nothing behind it
    job = _run(seeded, body, filename="预算.xlsx")
    assert job.state == "failed" and job.error["code"] == "source-error"
    assert job.error["message"].startswith("预算.xlsx: ")
    shown = json.dumps(job.error, ensure_ascii=False)
    assert str(seeded.config.home) not in shown and ".upload" not in shown


def test_public_messages_name_the_upload_as_sent_and_no_folder(tmp_path):
    home = tmp_path / "var"
    path = str(home / "uploads" / "ab12.upload")
    said = f"{path}: cannot read; see {home}/artifacts/.tmp/job-1/data.csv and ab12.upload"
    assert public_message(said, path=path, filename="预算.xlsx", home=home) == (
        "预算.xlsx: cannot read; see artifacts/.tmp/job-1/data.csv and 预算.xlsx")


def test_a_full_database_is_a_storage_full_error_and_nothing_is_written(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'tiny.db'}")
    sessions = make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (v TEXT)"))
    with engine.connect() as conn:
        pages = conn.execute(text("PRAGMA page_count")).scalar()
    try:
        full = pytest.raises(StorageFullError, match="could not write to its database: the disk is full")
        with full, transaction(sessions) as session:
            session.execute(text(f"PRAGMA max_page_count = {pages + 2}"))
            for _ in range(50):
                session.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 4000})
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    finally:
        engine.dispose()
