"""Uploads over real HTTP (`opendata serve`): a tus upload resumed after a HEAD, and two uploads at once."""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.request

from tests.accounts_fixtures import make_token, seed_accounts
from tests.api.write.conftest import csv_body
from tests.live_server import LiveServer


def _send(method: str, url: str, token: str, body: bytes | None = None, **headers: str):
    request = urllib.request.Request(url, data=body, method=method,
                                     headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(request, timeout=60) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as err:
        with err:
            return err.code, err.headers, err.read()


def _wait(srv: LiveServer, path: str, token: str) -> dict:
    deadline = time.monotonic() + 60
    while True:
        job = json.loads(srv.get(path, token)[1])
        if job["state"] in ("succeeded", "failed") or time.monotonic() > deadline:
            return job
        time.sleep(0.05)


def test_tus_and_parallel_uploads_over_real_http(runtime, tmp_path, server):
    seed_accounts(runtime, tmp_path / "project")
    token = make_token(runtime, "finclerk", scopes=["publish"])
    server.start()
    tus = {"Tus-Resumable": "1.0.0"}
    body = csv_body(5000)
    status, headers, _ = _send("POST", f"{server.base}/api/v1/datasets/budget/uploads/tus/", token, b"",
                               **tus, **{"Upload-Length": str(len(body)),
                                         "Upload-Metadata": "filename " + base64.b64encode(b"a.csv").decode()})
    assert status == 201 and headers["Location"].startswith(server.base + "/")
    url = headers["Location"]
    patch = {**tus, "Content-Type": "application/offset+octet-stream"}
    assert _send("PATCH", url, token, body[:1000], **patch, **{"Upload-Offset": "0"})[0] == 204
    status, headers, _ = _send("HEAD", url, token, **tus)
    assert status == 200 and headers["Upload-Offset"] == "1000"
    status, headers, _ = _send("PATCH", url, token, body[1000:], **patch, **{"Upload-Offset": "1000"})
    assert status == 204 and headers["Upload-Offset"] == str(len(body))
    assert _wait(server, headers["Location-Job"], token)["version"]["number"] == 1

    results = {}

    def upload(i: int) -> None:
        results[i] = _send("POST", f"{server.base}/api/v1/datasets/budget/uploads?filename=p{i}.csv", token,
                           csv_body(20_000, start=i * 100_000), **{"Content-Type": "text/csv"})

    threads = [threading.Thread(target=upload, args=(i,)) for i in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = [_wait(server, results[i][1]["Location"], token) for i in (1, 2)]
    assert sorted(j["version"]["number"] for j in jobs) == [2, 3]
    assert all(j["state"] == "succeeded" and j["version"]["row_count"] == 20_000 for j in jobs)
