"""A large upload is streamed to disk: the server's memory does not grow with the body."""

from __future__ import annotations

import os
import threading

from tests.api.write.conftest import GeneratedBody, wait_for_job

SIZE = 200 * 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * PAGE


class _PeakRss:
    """Samples this process's resident memory every few milliseconds while active."""

    def __init__(self):
        self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def test_200_mb_upload_does_not_grow_memory_by_more_than_a_few_tens_of_mb(client, fin, runtime):
    # a damaged XLSX (ZIP) body: the ingest job refuses it quickly, so the test measures the upload
    body = GeneratedBody(SIZE, pattern=b"PK\x03\x04" + b"\x00\x01 not a zip " * 4096)
    baseline = _rss()
    with _PeakRss() as sampler:
        response = client.post("/api/v1/datasets/budget/uploads?filename=big.xlsx", input_stream=body,
                               headers={**fin, "Content-Type": "application/octet-stream"})
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.json["progress"]["total_bytes"] == SIZE
    growth = sampler.peak - baseline
    assert growth < 40 * 1024 * 1024, f"memory grew by {growth / 2**20:.0f} MiB during a 200 MiB upload"
    job = wait_for_job(client, response.headers["Location"], fin, timeout=300)
    assert job["state"] == "failed" and job["error"]["code"] == "source-error"
    assert job["error"]["message"].startswith("big.xlsx: ")  # the client's name, not the server's temp file
