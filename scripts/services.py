"""Real PostgreSQL and Redis servers on 127.0.0.1, started from Debian's packages, and an S3 endpoint (moto's
server mode, from PyPI), each stopped by its PID. Used by the tests (the PostgreSQL pass, shared rate limits,
the job queue, object storage) and by the scale-out topology (scripts/scaleout.py).

Each server keeps its files in a folder of its own; ``stop()`` signals the PID the server wrote
(PostgreSQL's postmaster.pid, Redis's pidfile) or the one it was started as, and waits until it is gone.
Fixed ports are chosen below 32768 (outside Linux's ephemeral range, so no client socket takes them).
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

PG_BIN = Path(os.environ.get("OPENDATA_PG_BIN", "/usr/lib/postgresql/15/bin"))
PG_USER = "postgres"


def free_fixed_port(rng: random.Random | None = None) -> int:
    """A port below 32768 that nothing listens on now."""
    rng = rng or random.Random()
    for _ in range(200):
        port = rng.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port below 32768")


def wait_for_port(port: int, *, timeout: float = 30.0, alive=lambda: True) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if not alive():
            raise RuntimeError(f"the server meant for port {port} exited")
        time.sleep(0.05)
    raise RuntimeError(f"nothing answered on 127.0.0.1:{port} within {timeout} s")


def stop_pid(pid: int, sig: int = signal.SIGTERM, *, timeout: float = 30.0) -> None:
    """Signal one process and wait until it is gone (SIGKILL after ``timeout``)."""
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            done, _ = os.waitpid(pid, os.WNOHANG)  # our child: reap it
            if done:
                return
        except ChildProcessError:
            pass  # not our child (a daemon): poll until it is gone
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.05)
    os.kill(pid, signal.SIGKILL)


def _as_service_user(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as the postgres user."""
    return ["runuser", "-u", PG_USER, "--", *cmd] if os.geteuid() == 0 else cmd


def _run(command: list[str], *, log: Path | None = None) -> None:
    """Run a server's command; on failure raise with what it printed (and the server log's end)."""
    done = subprocess.run(command, capture_output=True, text=True, cwd="/")
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-2000:] if log is not None and log.exists() else ""
        raise RuntimeError(f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}{done.stderr}{tail}")


class PostgresServer:
    """A PostgreSQL cluster of its own (initdb, pg_ctl start), trust auth on 127.0.0.1 only."""

    def __init__(self, root: str | Path, port: int | None = None):
        self.root = Path(root)
        self.data = self.root / "data"
        self.port = port or free_fixed_port()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://{PG_USER}@127.0.0.1:{self.port}/{database}"

    @property
    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        return int(pidfile.read_text().split()[0]) if pidfile.exists() else None

    def start(self, *, max_connections: int = 300, settings: dict[str, str] | None = None) -> PostgresServer:
        """initdb when the cluster is new, then start it and wait for it to accept connections."""
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL is not installed ({PG_BIN}/initdb missing): "
                               "scripts/system-packages.sh installs Debian's postgresql")
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, user=PG_USER)
        if not (self.data / "PG_VERSION").exists():
            _run(_as_service_user([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust",
                                   "-U", PG_USER, "-E", "UTF8", "--locale=C.UTF-8"]))
        # durability is the host's problem in tests: fsync off makes CREATE DATABASE and commits cheap
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off -c max_connections={max_connections}")
        options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
        _run(_as_service_user([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options,
                               "-l", str(self.root / "server.log"), "-w", "-t", "60", "start"]),
             log=self.root / "server.log")
        wait_for_port(self.port)
        return self

    def stop(self) -> None:
        """Fast shutdown (SIGINT to the postmaster) and wait for it to exit."""
        pid = self.pid
        if pid is not None:
            stop_pid(pid, signal.SIGINT)

    def execute(self, *statements: str, database: str = "postgres") -> None:
        """Run statements outside a transaction (CREATE DATABASE cannot run inside one)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=self.port, user=PG_USER, dbname=database,
                             autocommit=True) as con:
            for sql in statements:
                con.execute(sql)


class RedisServer:
    """Debian's redis-server without persistence, daemonized with a pidfile."""

    def __init__(self, root: str | Path, port: int | None = None):
        self.root = Path(root)
        self.port = port or free_fixed_port()
        self.pidfile = self.root / "redis.pid"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        server = shutil.which("redis-server") or "/usr/bin/redis-server"
        if not Path(server).exists():
            raise RuntimeError("redis-server is not installed: scripts/system-packages.sh installs it")
        self.root.mkdir(parents=True, exist_ok=True)
        _run([server, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
              "--daemonize", "yes", "--pidfile", str(self.pidfile), "--dir", str(self.root),
              "--logfile", str(self.root / "redis.log")], log=self.root / "redis.log")
        wait_for_port(self.port)
        deadline = time.monotonic() + 30
        # a daemonized redis-server may answer before it has written its pidfile, or while it is still empty
        while not (self.pidfile.exists() and self.pidfile.read_text().strip().isdigit()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"redis-server answers on {self.port} but wrote no {self.pidfile}")
            time.sleep(0.05)
        return self

    def stop(self) -> None:
        if self.pidfile.exists():
            stop_pid(int(self.pidfile.read_text().strip()))


class S3Server:
    """moto's S3 server (``moto[server]``) on 127.0.0.1: a real S3 endpoint (ranged GETs, multipart uploads,
    presigned URLs) that keeps its objects in memory, so they are gone when it stops."""

    ACCESS = {"S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing", "S3_REGION": "us-east-1"}

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.process: subprocess.Popen | None = None
        self.endpoint = ""

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def start(self, timeout: float = 60.0) -> S3Server:
        """Start on a free port below 32768 and wait until it answers; another port if one is taken first."""
        self.root.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        problems = []
        for _attempt in range(5):
            port = free_fixed_port()
            log = self.root / "s3.log"
            with open(log, "ab") as out:  # its request log: a pipe would fill and block it
                self.process = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                                                stdout=subprocess.DEVNULL, stderr=out, env=env, start_new_session=True)
            self.endpoint = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.process.poll() is None:
                try:
                    with urllib.request.urlopen(f"{self.endpoint}/moto-api/", timeout=2):
                        return self
                except OSError:
                    time.sleep(0.2)
            self.stop()
            problems.append(f"port {port}: exit {self.process.poll()}, {log.read_text(errors='replace')[-500:]}")
        raise RuntimeError("could not start moto's S3 server: " + "; ".join(problems))

    def client(self):
        """A boto3 client of this server."""
        import boto3

        return boto3.session.Session().client(
            "s3", endpoint_url=self.endpoint, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing")

    def new_bucket(self, name: str | None = None) -> str:
        """A new, empty bucket (a fresh name unless one is given)."""
        name = name or f"t-{uuid.uuid4().hex[:20]}"
        self.client().create_bucket(Bucket=name)
        return name

    def settings(self, bucket: str, **more) -> dict:
        """The OPENDATA_* settings (without the prefix) of an artifact store in ``bucket``."""
        return {"ARTIFACT_STORE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.endpoint, "S3_PART_MB": 5,
                **self.ACCESS, **more}

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_pid(self.process.pid, timeout=10)
