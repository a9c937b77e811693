"""Fixtures of the write API tests: the basic catalogue with users, tokens, and a job-aware client."""

from __future__ import annotations

import time

import pytest

from opendata.config import load_config
from tests.accounts_fixtures import bearer, make_token, seed_accounts
from tests.conftest import running_app
from tests.live_server import LiveServer


@pytest.fixture
def app(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    config = load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_ENABLED=False, INGEST_WORKERS=2)
    with running_app(config) as app:
        yield app


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


@pytest.fixture
def server(runtime):
    srv = LiveServer(runtime.config.home, OPENDATA_INGEST_WORKERS="1")
    yield srv
    srv.stop()
