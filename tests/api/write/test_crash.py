"""THE crash test: SIGKILL the real server during an ingest, restart it, and nothing served is harmed.

`opendata serve` runs in a subprocess with its own OPENDATA_HOME. A published version is
downloaded; a large upload starts ingesting; the server is killed while the job runs. After a
restart the published version is served byte-identical, the job and its version are failed, no
artifact row points to a missing or half-written file, and `opendata clean` removes the leftovers.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opendata.core import lifecycle
from opendata.services.publishing import publish_if_clean
from opendata.services.versions import ingest_file
from opendata.store.artifacts import sha256_file
from opendata.store.jobs import IngestJob
from opendata.store.models import Artifact, Version
from tests.accounts_fixtures import make_token, seed_accounts

ROOT = Path(__file__).resolve().parents[3]
BIG_ROWS = 1_500_000  # about 4 s of ingest: the kill lands mid-way with a wide margin


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`opendata serve` in a subprocess (started and stopped by the test)."""

    def __init__(self, home: Path):
        self.env = {**os.environ, "OPENDATA_HOME": str(home), "OPENDATA_RATE_LIMIT_ENABLED": "false",
                    "OPENDATA_INGEST_WORKERS": "1", "PYTHONPATH": str(ROOT)}
        self.proc: subprocess.Popen | None = None
        self.base = ""

    def cli(self, *args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-c", "from opendata.cli import run; run()", *args], env=self.env,
                              cwd=ROOT, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        port = _free_port()
        self.base = f"http://127.0.0.1:{port}"
        self.proc = subprocess.Popen([sys.executable, "-c", "from opendata.cli import run; run()", "serve",
                                      "--host", "127.0.0.1", "--port", str(port)], env=self.env, cwd=ROOT,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/api/v1/status", timeout=1):
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError("the server did not start") from None
                time.sleep(0.1)

    def kill(self) -> None:
        self.proc.kill()  # SIGKILL: no shutdown code runs
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def get(self, path: str, token: str | None = None) -> tuple[int, bytes]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            with urllib.request.urlopen(urllib.request.Request(self.base + path, headers=headers), timeout=30) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as err:
            with err:
                return err.code, err.read()


@pytest.fixture
def server(runtime):
    srv = Server(runtime.config.home)
    yield srv
    srv.stop()


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

    with open(big, "rb") as fh:
        request = urllib.request.Request(
            f"{server.base}/api/v1/datasets/budget/uploads?filename=big.csv", data=fh, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv",
                     "Content-Length": str(big.stat().st_size)})
        with urllib.request.urlopen(request, timeout=120) as r:
            assert r.status == 202
            job_path = r.headers["Location"]
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
            assert path.is_file() and sha256_file(path) == (art.sha256, art.bytes), art.path
    assert not list((runtime.config.home / "uploads").glob("*.upload")), "the upload was not removed"

    server.stop()
    cleaned = server.cli("clean")
    assert cleaned.returncode == 0, cleaned.stderr
    assert not any(tmp_dir.iterdir())
    with runtime.sessions() as session:
        referenced = {a.path for a in session.query(Artifact).all()}
    assert set(runtime.artifacts.iter_files()) == referenced  # orphans gone, every referenced file kept
