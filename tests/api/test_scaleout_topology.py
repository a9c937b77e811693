"""The scale-out topology end to end (`make scaleout`): PostgreSQL, Redis, an S3 server, two gunicorn replicas
and nginx, started by scripts/scaleout.py and stopped by their PIDs. An upload through replica A is ingested
by the worker and its files downloaded byte-identical through replica B; search and CKAN answer the same on
both; the rate limit is one for both; a worker killed mid-ingest leaves the published version intact.

It runs once per pass, with each place the artifacts can live: in the shared folder on the SQLite pass
(nginx sends each file for the replica's X-Accel-Redirect answer), in a bucket of the S3 server on the
PostgreSQL pass (the replicas stream the objects). The topology has its own PostgreSQL either way."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from scripts.scaleout import replica_settings
from scripts.services import stop_pid
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


@pytest.fixture(scope="module", params=[pytest.param("folder", marks=pytest.mark.sqlite_only),
                                        pytest.param("s3", marks=pytest.mark.postgresql)])
def topology(request):
    folder = Path(tempfile.mkdtemp(prefix="opendata-scaleout-"))  # the postgres user must reach it
    up = subprocess.run([*SCRIPT, "up", "--dir", str(folder), "--store", request.param,
                         "--set", f"OPENDATA_RATE_LIMIT_ANONYMOUS_READ={READS}"], capture_output=True, text=True,
                        timeout=300)
    assert up.returncode == 0, up.stdout + up.stderr
    state = json.loads((folder / "scaleout.json").read_text())
    try:
        yield state
    finally:
        down = subprocess.run([*SCRIPT, "down", "--dir", str(folder)], capture_output=True, text=True, timeout=120)
        assert down.returncode == 0, down.stdout + down.stderr
        assert not any(_alive(pid) for name, pid in state["pids"].items() if name != "worker"), state["pids"]
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def portal(topology, tmp_path_factory):
    """The basic catalogue synced into the topology, a finance publisher and its token; ``cli`` runs
    `opendata` against the topology's database and folder."""
    env = {**os.environ, "OPENDATA_HOME": topology["home"], "OPENDATA_DATABASE_URL": topology["database_url"],
           **topology.get("store_settings", {}), "PYTHONPATH": str(ROOT)}
    project = tmp_path_factory.mktemp("project")
    write_catalog(project, BASIC_CATALOG)

    def cli(*args: str) -> str:
        done = subprocess.run([*OPENDATA, *args], env=env, cwd=project, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, f"opendata {' '.join(args)}: {done.stdout}{done.stderr}"
        return done.stdout

    cli("sync")
    cli("users", "create", "fin", "--organization", "finance", "--role", "publisher")
    token = cli("tokens", "create", "fin", "--name", "upload", "--scope", "publish").splitlines()[0].strip()
    return {"cli": cli, "token": token}


def _upload(replica: str, token: str, body: bytes, name: str) -> str:
    status, _headers, answer = _call(f"{replica}/api/v1/datasets/budget/uploads?filename={name}", method="POST",
                                     data=body, token=token, headers={"Content-Type": "application/octet-stream"})
    assert status == 202, answer
    return json.loads(answer)["url"]


def _wait_job(replica: str, job_url: str, token: str, timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        job = json.loads(_call(replica + job_url, token=token)[2])
        if job["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_an_upload_through_one_replica_is_served_alike_by_the_other(topology, portal):
    cli, token = portal["cli"], portal["token"]
    a, b = topology["replicas"]
    job_url = _upload(a, token, csv_body(500), "budget.csv")
    job = _wait_job(b, job_url, token)  # ingested by the worker, as the other replica reports it
    assert job["state"] == "succeeded", job
    cli("publish", "budget")
    direct = [_call(f"{r}/api/v1/datasets/budget/download.csv") for r in (a, b)]
    assert [d[0] for d in direct] == [200, 200]
    if topology["store"] == "folder":  # each replica checks the request and hands the file to nginx
        assert [d[2] for d in direct] == [b"", b""]
        assert direct[0][1]["X-Accel-Redirect"] == direct[1][1]["X-Accel-Redirect"]
        assert direct[0][1]["X-Accel-Redirect"].startswith("/_opendata_files/artifacts/")
    else:  # each replica streams the object from the bucket; nothing of it is in the shared folder
        assert "X-Accel-Redirect" not in direct[0][1] and direct[0][2] == direct[1][2] != b""
        assert not list((Path(topology["home"]) / "artifacts").rglob("*.csv"))
    downloads = [_call(f"{r}/api/v1/datasets/budget/download.csv") for r in (*topology["pinned"], topology["url"])]
    assert {d[0] for d in downloads} == {200}
    assert len({d[2] for d in downloads}) == 1 and len({d[1]["ETag"] for d in downloads} | {direct[0][1]["ETag"]}) == 1
    assert downloads[0][2].count(b"\n") == 501 and "X-Accel-Redirect" not in downloads[0][1]
    assert hashlib.sha256(downloads[0][2]).hexdigest() in downloads[0][1]["ETag"]
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


def _tcp_states(ports: set[int]) -> dict[str, int]:
    """How many IPv4 TCP sockets with one end on ``ports`` are in each state (01 established, 06 time-wait)."""
    counts: dict[str, int] = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if int(local.rsplit(":", 1)[1], 16) in ports or int(remote.rsplit(":", 1)[1], 16) in ports:
            counts[state] = counts.get(state, 0) + 1
    return counts


def test_nginx_keeps_its_connections_to_the_replicas_open_between_requests(topology):
    replicas = {int(url.rsplit(":", 1)[1]) for url in topology["replicas"]}
    closed_before = _tcp_states(replicas).get("06", 0)
    for _ in range(40):  # a static file: not counted against the rate limit the other tests spend
        status, _headers, body = _call(topology["url"] + "/assets/portal.css")
        assert status == 200 and body
    states = _tcp_states(replicas)
    # idle connections from nginx stay open on both ends (without keep-alive every request through nginx
    # opens a connection to a replica and closes it, leaving none open and one socket in TIME_WAIT each)
    assert states.get("01", 0) >= 2, states
    assert states.get("06", 0) - closed_before < 10, (closed_before, states)


def test_a_worker_killed_mid_ingest_is_replaced_and_its_job_retried_with_the_published_version_intact(
        topology, portal, tmp_path):
    cli, token = portal["cli"], portal["token"]
    a, b = topology["replicas"]
    first = _wait_job(b, _upload(a, token, csv_body(50, seed=7), "small.csv"), token)
    assert first["state"] == "succeeded", first
    cli("publish", "budget", str(first["version"]["number"]))
    # through nginx pinned to replica B (anonymous reads are few here)
    published = _call(topology["pinned"][1] + "/api/v1/datasets/budget/download.csv", token=token)
    assert published[0] == 200 and published[2].count(b"\n") == 51

    big = tmp_path / "big.csv"
    with open(big, "w", encoding="utf-8") as fh:  # a few seconds of ingest: the kill lands mid-way
        fh.write("id,name,amount\n")
        fh.writelines(f"{i},项目{i % 997},{i % 10_007 / 100}\n" for i in range(1, 1_500_001))
    job_url = _upload(a, token, big.read_bytes(), "big.csv")
    deadline = time.monotonic() + 120
    while True:
        job = json.loads(_call(b + job_url, token=token)[2])
        if job["state"] == "running" and job["progress"]["rows"] > 0:
            break
        assert job["state"] in ("queued", "running") and time.monotonic() < deadline, job
        time.sleep(0.01)
    os.kill(topology["pids"]["worker"], signal.SIGKILL)
    assert json.loads(_call(a + job_url, token=token)[2])["state"] == "running"
    env = {**os.environ, **replica_settings(topology), "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "worker.log", "ab") as log:
        replacement = subprocess.Popen([*OPENDATA, "worker"], env=env, cwd=ROOT, stdout=log, stderr=log,
                                       start_new_session=True)
    try:
        job = _wait_job(a, job_url, token)
        assert job["state"] == "succeeded" and job["version"]["row_count"] == 1_500_000, (
            job, (tmp_path / "worker.log").read_text(errors="replace")[-3000:])
        for replica in topology["pinned"]:  # the published version, byte-identical on both replicas throughout
            assert _call(replica + "/api/v1/datasets/budget/download.csv", token=token)[2] == published[2]
        interrupted = job["version"]["number"] - 1
        assert _call(b + f"/api/v1/datasets/budget/versions/{interrupted}/download.csv", token=token)[0] == 404
    finally:
        stop_pid(replacement.pid)
        with contextlib.suppress(ProcessLookupError):  # the killed worker's fork server, left behind
            os.killpg(topology["pids"]["worker"], signal.SIGKILL)
