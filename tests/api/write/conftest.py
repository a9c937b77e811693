"""Fixtures of the write API tests: the basic catalogue with users, tokens, and a job-aware client."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opendata.app import create_app
from opendata.config import load_config
from tests.accounts_fixtures import bearer, make_token, seed_accounts

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def app(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    config = load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_ENABLED=False, INGEST_WORKERS=2)
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    app.extensions["opendata.jobs"].shutdown()
    app.extensions["opendata"].close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def fin(runtime):
    """Headers of a finance publisher (finance has no sub-organizations)."""
    return bearer(make_token(runtime, "finclerk", scopes=["publish"]))


@pytest.fixture
def city(runtime):
    """Headers of a city publisher (city and its sub-organization finance)."""
    return bearer(make_token(runtime, "cityclerk", scopes=["publish"]))


def csv_body(n: int, *, start: int = 1, seed: int = 42) -> bytes:
    """A valid CSV for the basic catalogue's simple.json schema (id, name, amount)."""
    import random

    rnd = random.Random(seed)
    lines = ["id,name,amount"]
    lines += [f"{i},项目{rnd.randint(1, 999)},{rnd.randint(0, 10_000) / 100}" for i in range(start, start + n)]
    return ("\n".join(lines) + "\n").encode("utf-8")


def wait_for_job(client, url: str, headers, *, timeout: float = 60.0) -> dict:
    """Poll a job until it has finished; returns its last state."""
    deadline = time.monotonic() + timeout
    while True:
        body = client.get(url, headers=headers).json
        if body["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def error_of(response, status: int) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == {"code", "status", "message", "errors"} and body["status"] == status
    return body


class GeneratedBody:
    """A seekable virtual file of ``size`` bytes, made on read (a large body that is never in memory)."""

    def __init__(self, size: int, pattern: bytes = b"0123456789abcdef" * 4096):
        self.size, self.pattern, self.pos = size, pattern, 0

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def read(self, n: int = -1) -> bytes:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        start = self.pos % len(self.pattern)
        out = (self.pattern[start:] + self.pattern * (n // len(self.pattern) + 1))[:n]
        self.pos += n
        return out


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
