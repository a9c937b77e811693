"""THE crash test: SIGKILL the real server during an ingest, restart it, and nothing served is harmed.

`opendata serve` runs in a subprocess with its own OPENDATA_HOME. A published version is
downloaded; a large upload starts ingesting; the server is killed while the job runs. After a
restart the published version is served byte-identical, the job and its version are failed, no
artifact row points to a missing or half-written file, the same file uploaded again is ingested
as a new version (once), and `opendata clean` removes the leftovers.
"""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from pathlib import Path

from opendata.core import lifecycle
from opendata.services.publication import publish_if_clean
from opendata.services.standards.bulk import archive_paths, read_index
from opendata.services.versions import ingest_file
from opendata.store.jobs import IngestJob
from opendata.store.models import Artifact, Version
from tests.accounts_fixtures import make_token, seed_accounts

BIG_ROWS = 1_500_000  # about 4 s of ingest: the kill lands mid-way with a wide margin


def _write_big_csv(path: Path, n: int) -> None:
    names = ["教育", "卫生", "交通", "住房", "农业"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,name,amount\n")
        for start in range(1, n + 1, 100_000):
            fh.write("".join(f"{i},{names[i % 5]}{i % 97},{i % 1_000_003 / 100}\n"
                             for i in range(start, min(start + 100_000, n + 1))))


def _publish_first_version(runtime, tmp_path: Path) -> None:
    src = tmp_path / "budget-v1.csv"
    src.write_text("id,name,amount\n1,教育,100.5\n2,卫生,200\n3,交通,3.25\n", encoding="utf-8")
    outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=src,
                          actor="tests")
    assert publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="tests").startswith("published")


def _upload(server, token: str, path: Path) -> tuple[int, str]:
    with open(path, "rb") as fh:
        request = urllib.request.Request(
            f"{server.base}/api/v1/datasets/budget/uploads?filename={path.name}", data=fh, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv",
                     "Content-Length": str(path.stat().st_size)})
        with urllib.request.urlopen(request, timeout=120) as r:
            return r.status, r.headers["Location"]


def _wait_done(server, job_path: str, token: str) -> dict:
    deadline = time.monotonic() + 180
    while True:
        job = json.loads(server.get(job_path, token)[1])
        if job["state"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.2)


def test_sigkill_during_ingest_harms_nothing_served(runtime, tmp_path, server):
    seed_accounts(runtime, tmp_path / "project")
    _publish_first_version(runtime, tmp_path)
    token = make_token(runtime, "finclerk", scopes=["publish"])
    big = tmp_path / "big.csv"
    _write_big_csv(big, BIG_ROWS)

    server.start()
    status, before = server.get("/api/v1/datasets/budget/download.csv")
    assert status == 200 and before
    published_sha = hashlib.sha256(before).hexdigest()

    status, job_path = _upload(server, token, big)
    assert status == 202
    deadline = time.monotonic() + 60
    while True:  # wait until the worker thread is ingesting, then kill the server mid-way
        job = json.loads(server.get(job_path, token)[1])
        if job["state"] == "running" and job["progress"]["rows"] > 0:
            break
        assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.01)
    server.kill()

    tmp_dir = runtime.artifacts.tmp
    assert any(tmp_dir.iterdir()), "the killed ingest left its working files behind"
    server.start()  # start-up fails the jobs (and versions) whose process is gone

    status, after = server.get("/api/v1/datasets/budget/download.csv")
    assert status == 200 and hashlib.sha256(after).hexdigest() == published_sha
    job = json.loads(server.get(job_path, token)[1])
    assert job["state"] == "failed" and job["error"]["code"] == "interrupted", job
    assert job["version"]["number"] == 2 and job["version"]["state"] == lifecycle.FAILED
    listed = json.loads(server.get("/api/v1/datasets/budget/versions")[1])["versions"]
    assert [v["number"] for v in listed] == [1]
    assert server.get("/api/v1/datasets/budget/versions/2")[0] == 404

    with runtime.sessions() as session:
        failed = session.query(Version).filter_by(number=2).one()
        assert failed.state == lifecycle.FAILED and failed.artifacts == []
        assert session.query(IngestJob).one().state == "failed"
        for art in session.query(Artifact).all():  # every referenced file is whole
            path = runtime.artifacts.path(art.path)
            assert path.is_file(), art.path
            data = path.read_bytes()
            if art.kind == "csv-excel" and len(data) == art.bytes - 3:  # the canonical CSV behind a BOM
                data = b"\xef\xbb\xbf" + data
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (art.sha256, art.bytes), art.path
    assert not list((runtime.config.home / "uploads").glob("*.upload")), "the upload was not removed"

    # the same file again is a new attempt (version 3), not an answer bound to the failed version 2
    status, retry_path = _upload(server, token, big)
    assert status == 202
    job = _wait_done(server, retry_path, token)
    assert job["state"] == "succeeded" and job["version"]["number"] == 3, job
    assert job["version"]["state"] == lifecycle.AWAITING_REVIEW and job["version"]["row_count"] == BIG_ROWS
    status, again_path = _upload(server, token, big)  # and once it succeeded, no further version
    job = _wait_done(server, again_path, token)
    assert job["state"] == "succeeded" and job["version"]["number"] == 3, job

    server.stop()
    cleaned = server.cli("clean")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not any(tmp_dir.iterdir())
    with runtime.sessions() as session:  # the versions' files and the bulk archives the index names
        referenced = {a.path for a in session.query(Artifact).all()} | archive_paths(read_index(runtime) or {})
    assert set(runtime.artifacts.iter_files()) == referenced  # orphans gone, every referenced file kept
