"""A full disk, against the production server: a clear error naming what could not be written,
nothing half-stored, nothing published, and what was published still served unchanged.

The server runs with a file size limit (RLIMIT_FSIZE, SIGXFSZ ignored), so writing a file beyond
it fails exactly as a full disk fails (the write returns an error); no root or small filesystem
is needed. The 8 MiB limit leaves room for the database and for an 8.1 MB upload, but not for a
9 MB upload nor for the Excel-friendly copy of an 8.1 MB file whose every name is formula-like (the
apostrophe before each of its 386,000 rows makes it 8.5 MB; without such cells that copy is never
written). Its lines are long enough that the validator's spill of the primary key (16 bytes a row,
6 MB) fits: with more, shorter rows that spill is what fails (the second test).
"""

from __future__ import annotations

import hashlib
import http.client
import json
import time

import pytest

from opendata.services.publication import publish_if_clean
from opendata.services.versions import ingest_file
from opendata.store.models import Artifact, Version
from tests.accounts_fixtures import make_token, seed_accounts
from tests.live_server import LiveServer

LIMIT = 8 * 1024 * 1024


def _post(server: LiveServer, token: str, body: bytes, filename: str) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
    try:
        conn.request("POST", f"/api/v1/datasets/subsidies/uploads?filename={filename}", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


def _csv(size: int, name: str = "") -> bytes:
    """A valid CSV of about ``size`` bytes in short lines (a formula-like ``name`` adds 9% to the Excel copy)."""
    lines, total, i = ["id,name,amount\n"], 15, 0
    while total < size:
        i += 1
        line = f"{i},{name},\n"
        lines.append(line)
        total += len(line)
    return "".join(lines).encode()


def _finished(server: LiveServer, token: str, job: dict) -> dict:
    """The job once it has succeeded or failed (two minutes at most)."""
    deadline = time.monotonic() + 120
    while job["state"] not in ("succeeded", "failed"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = json.loads(server.get(job["url"], token)[1])
    return job


@pytest.fixture
def full(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    source = tmp_path / "budget.csv"
    source.write_text("id,name,amount\n1,教育,100.5\n2,卫生,200\n", encoding="utf-8")
    outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=source,
                          actor="tests")
    assert publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="tests").startswith("published")
    token = make_token(runtime, "finclerk", scopes=["publish"])
    with LiveServer(runtime.config.home, gunicorn=True, file_size_limit=LIMIT) as server:
        yield server, token


def test_a_full_disk_fails_the_upload_or_its_job_naming_what_could_not_be_written(full, runtime):
    server, token = full
    before = server.get("/api/v1/datasets/budget/download.csv")[1]

    status, answer = _post(server, token, _csv(9 * 1024 * 1024), "big.csv")
    assert status == 507, answer
    assert answer["code"] == "storage-full"
    assert answer["message"] == "the server could not write the uploaded file: file too large; nothing was changed"
    assert not list((runtime.config.home / "uploads").glob("*.upload")), "a half-written upload was left behind"

    status, job = _post(server, token, _csv(8_100_000, name="=" + "x" * 11), "eight.csv")
    assert status == 202, job
    job = _finished(server, token, job)
    assert job["state"] == "failed" and job["error"]["code"] == "storage-full"
    assert job["error"]["message"] == ("the server could not write the Excel-friendly CSV file of this version: "
                                       "file too large; nothing was changed")
    assert job["version"]["state"] == "failed"

    with runtime.sessions() as session:
        failed = session.query(Version).filter_by(number=job["version"]["number"], state="failed").one()
        assert failed.artifacts == [] and failed.published_at is None
        for art in session.query(Artifact).all():  # every stored file is whole
            data = runtime.artifacts.path(art.path).read_bytes()
            if art.kind == "csv-excel" and len(data) == art.bytes - 3:  # the canonical CSV behind a BOM
                data = b"\xef\xbb\xbf" + data
            assert hashlib.sha256(data).hexdigest() == art.sha256
    assert not [p for p in runtime.artifacts.tmp.rglob("*") if p.is_file()], "half-written outputs were left"
    assert server.get("/api/v1/datasets/budget/download.csv") == (200, before)
    listed = json.loads(server.get("/api/v1/datasets/subsidies/versions", token)[1])["versions"]
    assert [v["state"] for v in listed if v["state"] == "published"] == []


def test_a_full_disk_while_the_primary_key_is_checked_fails_the_job_naming_the_working_files(full, runtime):
    """780,000 short rows: the spill of their keys (16 bytes a row, 12 MB) is the first file past the limit."""
    server, token = full
    before = server.get("/api/v1/datasets/budget/download.csv")[1]
    status, job = _post(server, token, _csv(7_800_000, name="x"), "short-rows.csv")
    assert status == 202, job
    job = _finished(server, token, job)
    assert job["state"] == "failed" and job["error"]["code"] == "storage-full", job
    assert job["error"]["message"] == ("the server could not write the working files of this ingest (temporary "
                                       "copies and key spills): file too large; nothing was changed")
    assert not [p for p in runtime.artifacts.tmp.rglob("*") if p.is_file()], "half-written outputs were left"
    assert server.get("/api/v1/datasets/budget/download.csv") == (200, before)
