"""The real server: `opendata serve` in a subprocess answers a resumable download over HTTP."""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.request

import pytest

from tests.live_server import LiveServer


@pytest.fixture
def server(site):
    with LiveServer(site.runtime.config.home) as srv:
        yield srv.base


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
