"""The job queue of the scale-out mode with real parts: Debian's redis-server, the app sending jobs to it,
and `opendata worker` processes consuming them, one of them SIGKILLed mid-ingest.

A killed worker's job is retried by the next worker and nothing of the killed attempt is served; a bad
file fails once and is never retried; a transient fault (the database locked by another process) is
retried after a back-off until it passes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
import redis

from opendata.config import load_config
from opendata.core import lifecycle
from opendata.services.profiles import PROFILE_KIND
from opendata.services.publication import publish_if_clean
from opendata.services.rows import ROWS_KIND
from opendata.services.runtime import Runtime
from opendata.services.standards.bulk import read_index
from opendata.services.versions import ingest_file
from opendata.store.jobs import IngestJob
from opendata.store.models import Artifact, Version
from tests.accounts_fixtures import bearer, make_token, seed_accounts
from tests.conftest import running_app
from tests.live_server import OPENDATA, ROOT

BIG_ROWS = 1_500_000  # a few seconds of ingest: the kill lands mid-way
QUEUE_DB = 3  # a Redis database of the queue tests' own (rate-limit tests use 0)


def _write_big_csv(path: Path, n: int) -> None:
    names = ["教育", "卫生", "交通", "住房", "农业"]
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("id,name,amount\n")
        for start in range(1, n + 1, 100_000):
            fh.write("".join(f"{i},{names[i % 5]}{i % 97},{i % 1_000_003 / 100}\n"
                             for i in range(start, min(start + 100_000, n + 1))))


@pytest.fixture
def queue_url(redis_url):
    url = redis_url.rsplit("/", 1)[0] + f"/{QUEUE_DB}"
    client = redis.Redis.from_url(url)
    client.flushdb()  # no message of an earlier test (its job ids name other databases' jobs)
    client.close()
    return url


@pytest.fixture
def settings(runtime, tmp_path, queue_url):
    seed_accounts(runtime, tmp_path / "project")
    return {"HOME": str(runtime.config.home), "DATABASE_URL": runtime.config.database_url,
            "JOB_QUEUE_URL": queue_url, "JOB_RETRY_BACKOFF_SECONDS": "0.2", "JOB_RETRIES": "3",
            "RATE_LIMIT_ENABLED": "false"}


@pytest.fixture
def app(settings):
    with running_app(load_config({}, **settings)) as app:
        yield app


class Workers:
    """`opendata worker` processes of a test, each in a session of its own, stopped by their PIDs."""

    def __init__(self, settings: dict[str, str], folder: Path):
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), **{f"OPENDATA_{k}": v for k, v in settings.items()}}
        self.folder = folder
        self.procs: list[subprocess.Popen] = []

    def start(self) -> subprocess.Popen:
        log = open(self.folder / f"worker-{len(self.procs)}.log", "ab")  # noqa: SIM115 - the child keeps it
        proc = subprocess.Popen([*OPENDATA, "worker"], env=self.env, cwd=ROOT, stdout=log, stderr=log,
                                start_new_session=True)
        log.close()
        self.procs.append(proc)
        return proc

    def log(self, n: int) -> str:
        return (self.folder / f"worker-{n}.log").read_text(errors="replace")

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    proc.kill()
            with contextlib.suppress(ProcessLookupError):  # what a killed worker left: its fork server
                os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def workers(settings, tmp_path):
    started = Workers(settings, tmp_path)
    yield started
    started.stop()


def _upload(client, token: str, body: bytes, name: str = "budget.csv") -> str:
    r = client.post(f"/api/v1/datasets/budget/uploads?filename={name}", data=body,
                    headers={**bearer(token), "Content-Type": "text/csv"})
    assert r.status_code == 202, r.get_data(as_text=True)
    return r.headers["Location"]


def _job(client, url: str, token: str) -> dict:
    return client.get(url, headers=bearer(token)).json


def _wait_done(client, url: str, token: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = _job(client, url, token)
        if job["state"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.1)


def _attempts(runtime) -> list[int]:
    with runtime.sessions() as session:
        return [job.attempts for job in session.query(IngestJob).order_by(IngestJob.id)]


def test_a_worker_killed_mid_ingest_has_its_job_retried_and_nothing_half_made_served(runtime, app, workers,
                                                                                      tmp_path):
    src = tmp_path / "budget-v1.csv"
    src.write_text("id,name,amount\n1,教育,100.5\n2,卫生,200\n3,交通,3.25\n", encoding="utf-8")
    first = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=src, actor="t")
    assert publish_if_clean(runtime=runtime, version_id=first.version_id, actor="t").startswith("published")
    client = app.test_client()
    before = client.get("/api/v1/datasets/budget/download.csv")
    assert before.status_code == 200
    published_sha = hashlib.sha256(before.data).hexdigest()

    token = make_token(runtime, "finclerk", scopes=["publish"])
    big = tmp_path / "big.csv"
    _write_big_csv(big, BIG_ROWS)
    job_url = _upload(client, token, big.read_bytes(), "big.csv")
    assert _job(client, job_url, token)["state"] == "queued"  # the server process runs nothing itself

    killed = workers.start()
    deadline = time.monotonic() + 120
    while True:  # until the worker is ingesting, then SIGKILL it mid-way
        job = _job(client, job_url, token)
        if job["state"] == "running" and job["progress"]["rows"] > 0:
            break
        assert job["state"] in ("queued", "running") and time.monotonic() < deadline, (job, workers.log(0))
        time.sleep(0.01)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert _job(client, job_url, token)["state"] == "running"  # nobody has finished it

    workers.start()  # sends again the job its dead owner held; the new worker retries it
    job = _wait_done(client, job_url, token)
    assert job["state"] == "succeeded", (job, workers.log(1))
    assert job["version"]["number"] == 3 and job["version"]["state"] == lifecycle.AWAITING_REVIEW, job
    assert job["version"]["row_count"] == BIG_ROWS and job["error"] is None
    assert _attempts(runtime) == [2]

    after = client.get("/api/v1/datasets/budget/download.csv")
    assert after.status_code == 200 and hashlib.sha256(after.data).hexdigest() == published_sha
    assert [v["number"] for v in client.get("/api/v1/datasets/budget/versions").json["versions"]] == [1]
    assert client.get("/api/v1/datasets/budget/versions/2/download.csv").status_code == 404
    with runtime.sessions() as session:
        interrupted = session.query(Version).filter_by(number=2).one()
        assert interrupted.state == lifecycle.FAILED and interrupted.artifacts == []
        assert "interrupted" in interrupted.events[-1].note
        for art in session.query(Artifact).all():  # every referenced file is whole
            data = runtime.artifacts.path(art.path).read_bytes()
            if art.kind == "csv-excel" and len(data) == art.bytes - 3:  # the canonical CSV behind a BOM
                data = b"\xef\xbb\xbf" + data
            assert (hashlib.sha256(data).hexdigest(), len(data)) == (art.sha256, art.bytes), art.path
    assert not list((runtime.config.home / "uploads").glob("*.upload")), "the upload was not removed"


def test_a_bad_file_fails_once_and_is_never_retried(runtime, app, workers):
    client = app.test_client()
    token = make_token(runtime, "finclerk", scopes=["publish"])
    workers.start()
    job_url = _upload(client, token, b"PK\x03\x04 not a workbook" * 50, "broken.xlsx")
    job = _wait_done(client, job_url, token)
    assert job["state"] == "failed" and job["error"]["code"] not in ("retrying", "transient-fault", "interrupted",
                                                                    "internal-error"), job
    time.sleep(2)  # ten times the first back-off: a retry would have started by now
    assert _job(client, job_url, token) == job
    assert _attempts(runtime) == [1]
    assert "Retrying" not in workers.log(0)


@pytest.mark.sqlite_only  # it locks the home's SQLite file to make the fault
def test_a_transient_fault_is_retried_after_a_back_off_until_it_passes(runtime, app, workers, settings):
    client = app.test_client()
    token = make_token(runtime, "finclerk", scopes=["publish"])
    job_url = _upload(client, token, b"id,name,amount\n1,a,1.5\n2,b,2\n", "small.csv")
    database = runtime.config.home / "opendata.db"
    if not database.exists():
        pytest.fail("this test locks the SQLite file of the home; run it on the SQLite pass")
    workers.env["OPENDATA_SQLITE_BUSY_TIMEOUT_MS"] = "100"
    blocker = sqlite3.connect(database, timeout=10, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holds the write lock: the worker cannot take the job
    try:
        workers.start()
        deadline = time.monotonic() + 120
        while workers.log(0).count("Retrying") < 2:  # dramatiq's back-off, logged per retry
            assert time.monotonic() < deadline and workers.procs[0].poll() is None, workers.log(0)
            time.sleep(0.1)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    job = _wait_done(client, job_url, token)
    assert job["state"] == "succeeded" and job["version"]["row_count"] == 2, (job, workers.log(0))
    assert "database is locked" in workers.log(0)


def test_a_worker_without_a_queue_refuses_to_start_saying_why(runtime):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENDATA_HOME": str(runtime.config.home),
           "OPENDATA_DATABASE_URL": runtime.config.database_url, "OPENDATA_JOB_QUEUE_URL": ""}
    done = subprocess.run([*OPENDATA, "worker"], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0 and "OPENDATA_JOB_QUEUE_URL is not set" in done.stderr
    assert "Traceback" not in done.stderr


def test_publish_preparation_and_bulk_builds_wait_for_a_worker_and_run_there(runtime, settings, workers, tmp_path):
    queued = Runtime(load_config({}, **settings))  # a server process of the scale-out mode
    src = tmp_path / "budget.csv"
    src.write_text("id,name,amount\n1,教育,100.5\n2,卫生,200\n", encoding="utf-8")
    out = ingest_file(sessions=queued.sessions, store=queued.artifacts, dataset="budget", path=src, actor="t")
    assert publish_if_clean(runtime=queued, version_id=out.version_id, actor="t").startswith("published")

    def kinds() -> set[str]:
        with runtime.sessions() as session:
            return {a.kind for a in session.get(Version, out.version_id).artifacts}

    assert ROWS_KIND not in kinds() and PROFILE_KIND not in kinds()  # sent to the queue, not built here
    assert read_index(runtime) is None
    workers.start()
    deadline = time.monotonic() + 120
    while not ({ROWS_KIND, PROFILE_KIND} <= kinds() and read_index(runtime) is not None):
        assert time.monotonic() < deadline and workers.procs[0].poll() is None, workers.log(0)
        time.sleep(0.1)
    whole = [a for a in read_index(runtime)["archives"] if a["scope"] == "all"]
    assert [a["datasets"] for a in whole] == [["budget"]]
    queued.close()
