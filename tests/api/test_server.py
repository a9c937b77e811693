"""The real server: `opendata serve` in a subprocess answers a resumable download over HTTP."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(site):
    port = _free_port()
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "OPENDATA_HOME": str(site.runtime.config.home), "OPENDATA_RATE_LIMIT_ENABLED": "false",
           "PYTHONPATH": str(root)}
    # the `opendata` command, run by this interpreter with the project on the path
    command = [sys.executable, "-c", "from opendata.cli import run; run()"]
    proc = subprocess.Popen([*command, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env, cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{base}/api/v1/status", timeout=1):
                break
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise AssertionError(f"server did not start: {proc.stderr.read().decode()[-2000:]}") from None
            time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stderr.close()


def test_download_resumes_with_range_over_real_http(server):
    url = f"{server}/api/v1/datasets/budget/download.csv"
    with urllib.request.urlopen(url, timeout=10) as r:
        full = r.read()
        etag = r.headers["ETag"]
        assert r.status == 200 and etag == f'"{hashlib.sha256(full).hexdigest()}"'
    first = 1000
    request = urllib.request.Request(url, headers={"Range": f"bytes={first}-", "If-Range": etag})
    with urllib.request.urlopen(request, timeout=10) as r:
        assert r.status == 206
        assert r.headers["Content-Range"] == f"bytes {first}-{len(full) - 1}/{len(full)}"
        assert full[:first] + r.read() == full
    bad = urllib.request.Request(url, headers={"Range": f"bytes={len(full) + 1}-"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(bad, timeout=10)
    assert err.value.code == 416
    err.value.close()
