"""The scale-out topology end to end (`make scaleout`): PostgreSQL, Redis, two gunicorn replicas and nginx,
started by scripts/scaleout.py and stopped by their PIDs. An upload through replica A is ingested and its
files downloaded byte-identical through replica B; search and CKAN answer the same on both; the rate
limit is one for both."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from tests.api.write.conftest import csv_body
from tests.conftest import BASIC_CATALOG, write_catalog
from tests.live_server import OPENDATA, ROOT

SCRIPT = [sys.executable, str(ROOT / "scripts" / "scaleout.py")]
READS = "60 per minute"  # anonymous reads per address, low enough to spend in a test


def _call(url: str, *, method: str = "GET", data: bytes | None = None, token: str | None = None,
          headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, data=data, headers={
        **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, dict(err.headers.items()), err.read()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture(scope="module")
def topology():
    folder = Path(tempfile.mkdtemp(prefix="opendata-scaleout-"))  # the postgres user must reach it
    up = subprocess.run([*SCRIPT, "up", "--dir", str(folder), "--set", f"OPENDATA_RATE_LIMIT_ANONYMOUS_READ={READS}"],
                        capture_output=True, text=True, timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    state = json.loads((folder / "scaleout.json").read_text())
    try:
        yield state
    finally:
        down = subprocess.run([*SCRIPT, "down", "--dir", str(folder)], capture_output=True, text=True, timeout=120)
        assert down.returncode == 0, down.stdout + down.stderr
        assert not any(_alive(pid) for pid in state["pids"].values()), state["pids"]
        shutil.rmtree(folder, ignore_errors=True)


def test_an_upload_through_one_replica_is_served_alike_by_the_other(topology, tmp_path):
    env = {**os.environ, "OPENDATA_HOME": topology["home"], "OPENDATA_DATABASE_URL": topology["database_url"],
           "PYTHONPATH": str(ROOT)}
    project = tmp_path / "project"
    project.mkdir()
    write_catalog(project, BASIC_CATALOG)

    def cli(*args: str) -> str:
        done = subprocess.run([*OPENDATA, *args], env=env, cwd=project, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"opendata {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    cli("sync")
    cli("users", "create", "fin", "--organization", "finance", "--role", "publisher")
    token = cli("tokens", "create", "fin", "--name", "upload", "--scope", "publish").splitlines()[0].strip()
    a, b = topology["replicas"]
    body = csv_body(500)
    status, headers, answer = _call(f"{a}/api/v1/datasets/budget/uploads?filename=budget.csv", method="POST",
                                    data=body, token=token,
                                    headers={"Content-Type": "application/octet-stream"})
    assert status == 202, answer
    job_url = json.loads(answer)["url"]
    deadline = time.monotonic() + 120
    while True:  # the job, as the other replica reports it
        job = json.loads(_call(b + job_url, token=token)[2])
        if job["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert job["state"] == "succeeded", job
    cli("publish", "budget")
    downloads = [_call(f"{r}/api/v1/datasets/budget/download.csv") for r in (a, b, topology["url"])]
    assert {d[0] for d in downloads} == {200}
    assert len({d[2] for d in downloads}) == 1 and len({d[1]["ETag"] for d in downloads}) == 1
    assert downloads[0][2].count(b"\n") == 501
    for path in ("/api/v1/datasets/budget/versions/1/rows?limit=5", "/api/3/action/package_show?id=budget"):
        answers = [_call(r + path) for r in (a, b)]
        assert [s for s, _, _ in answers] == [200, 200] and answers[0][2] == answers[1][2], path
    deadline = time.monotonic() + 10
    while True:  # each replica's search index follows the database's change feed (about a second)
        found = [json.loads(_call(r + "/api/v1/datasets?q=" + urllib.parse.quote("预算"))[2]) for r in (a, b)]
        if all(f["total"] == 1 for f in found) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert [[d["id"] for d in f["results"]] for f in found] == [["budget"], ["budget"]]


def test_the_rate_limit_is_one_for_both_replicas(topology):
    a, b = topology["replicas"]
    spent = 0
    while spent < 200:  # the anonymous reads (READS) spent alternately through both replicas
        status = _call((a, b)[spent % 2] + "/api/v1/status", headers={"X-Forwarded-For": "198.51.100.7"})[0]
        if status == 429:
            break
        spent += 1
    assert 0 < spent <= 60 and status == 429
    other = _call((a, b)[(spent + 1) % 2] + "/api/v1/status", headers={"X-Forwarded-For": "198.51.100.7"})
    assert other[0] == 429
