"""Hostile uploads against the production server (gunicorn): each fails alone, naming its limit,
the server's memory stays under 1 GB, and the other datasets keep answering, correctly.

One gunicorn server over a catalogue with a published dataset (budget). Each hostile file is
generated here (no large committed file) and sent through the upload API to another dataset
(subsidies): a header of 100,000 columns, a 1 GiB CSV on a single line, a 2 MB cell, JSON nested
100,000 deep, a 15 MB XLSX holding one 1.5 GB cell, a 2 MB XLSX holding one 200 MB cell, 200,000
rows repeating one primary key. Meanwhile one thread sums the resident memory of the server and
all its child processes every 20 ms, and another reads budget through the API, the page, CKAN and
/data.json and checks every answer. How fast those answers come is measured by
bench/hostile.py (docs/benchmarks.md), not asserted here.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import threading
import time
import zipfile
from pathlib import Path

import pytest

from opendata.services.publication import publish_if_clean
from opendata.services.versions import ingest_file
from opendata.store.models import Version
from tests.accounts_fixtures import make_token, seed_accounts
from tests.hostile_files import (
    SingleLine,
    deep_json,
    long_cell_csv,
    repeated_key_csv,
    wide_header_csv,
    xlsx_with_huge_cell,
)
from tests.live_server import LiveServer

GB = 1_000_000_000
PAGE = 4096
BUDGET = "id,name,amount\n" + "".join(f"{i},项目{i},{i * 1.5}\n" for i in range(1, 501))


def _rss_of_tree(root: int) -> int:
    """Resident bytes of ``root`` and every process below it (a sum: shared pages count in each).

    The tree is walked through /proc/PID/task/TID/children, so a sample reads a few small files.
    """
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
            tasks = list(Path(f"/proc/{pid}/task").iterdir())
        except (OSError, IndexError, ValueError):
            continue  # the process ended meanwhile
        for task in tasks:
            try:
                todo.extend(int(c) for c in (task / "children").read_text().split())
            except (OSError, ValueError):
                continue  # the thread ended meanwhile
    return total


class _Sampler(threading.Thread):
    """The peak resident memory of the server's process tree, sampled every 20 ms."""

    def __init__(self, root: int):
        super().__init__(daemon=True)
        self.root, self.peak, self.samples = root, 0, 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.02):
            self.peak = max(self.peak, _rss_of_tree(self.root))
            self.samples += 1


class _Reader(threading.Thread):
    """Reads the published dataset again and again; records every wrong answer."""

    def __init__(self, server: LiveServer, csv_sha: str):
        super().__init__(daemon=True)
        self.server, self.csv_sha = server, csv_sha
        self.stop = threading.Event()
        self.rounds, self.wrong = 0, []

    def run(self) -> None:
        while not self.stop.is_set():
            for path, check in self._checks():
                try:
                    status, body = self.server.get(path)
                    ok = status == 200 and check(body)
                except OSError as exc:
                    status, ok = repr(exc), False
                if not ok:
                    self.wrong.append((path, status))
            self.rounds += 1
            self.stop.wait(0.05)  # a reader, not a load generator

    def _checks(self):
        def rows(body: bytes) -> bool:
            got = json.loads(body)["rows"]
            return [(r["id"], r["name"]) for r in got] == [(i, f"项目{i}") for i in range(1, 6)]

        return [
            ("/api/v1/datasets/budget", lambda b: json.loads(b)["id"] == "budget"),
            ("/api/v1/datasets/budget/rows?limit=5", rows),
            ("/api/v1/datasets/budget/download.csv", lambda b: hashlib.sha256(b).hexdigest() == self.csv_sha),
            ("/datasets/budget", lambda b: "示例市财政预算".encode() in b),
            ("/api/3/action/package_show?id=budget", lambda b: json.loads(b)["result"]["name"] == "budget"),
            ("/data.json", lambda b: b'"budget"' in b or b"/budget" in b),
        ]


def _upload(server: LiveServer, token: str, body, filename: str, length: int) -> dict:
    """POST a body (bytes or a file-like object, streamed 1 MiB at a time); returns the job."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300, blocksize=1024 * 1024)
    try:
        conn.request("POST", f"/api/v1/datasets/subsidies/uploads?filename={filename}", body=body,
                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                              "Content-Length": str(length)})
        response = conn.getresponse()
        answer = json.loads(response.read())
        assert response.status == 202, answer
    finally:
        conn.close()
    deadline = time.monotonic() + 120
    while True:
        status, body = server.get(answer["url"], token)
        job = json.loads(body)
        if job["state"] in ("succeeded", "failed"):
            return job
        assert time.monotonic() < deadline, job
        time.sleep(0.05)


@pytest.fixture
def live(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    source = tmp_path / "budget.csv"
    source.write_text(BUDGET, encoding="utf-8")
    outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=source,
                          actor="tests")
    assert publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="tests").startswith("published")
    token = make_token(runtime, "finclerk", scopes=["publish"])
    server = LiveServer(runtime.config.home, gunicorn=True, OPENDATA_INGEST_WORKERS="1")
    with server:
        yield server, token


def test_hostile_uploads_fail_alone_within_1_gb_while_other_datasets_answer(live, runtime, tmp_path):
    server, token = live
    status, csv = server.get("/api/v1/datasets/budget/download.csv")
    assert status == 200
    worker = _gunicorn_worker(server.proc.pid)
    sampler, reader = _Sampler(server.proc.pid), _Reader(server, hashlib.sha256(csv).hexdigest())
    sampler.start()
    reader.start()
    huge_xlsx = xlsx_with_huge_cell(tmp_path / "huge.xlsx", 1_500_000_000)
    big_xlsx = xlsx_with_huge_cell(tmp_path / "big.xlsx", 200 * 1024 * 1024)
    timings = {"start": time.monotonic()}
    try:
        failures = {}
        for name, body in [("wide.csv", wide_header_csv()), ("cell.csv", long_cell_csv()),
                           ("deep.json", deep_json()), ("huge.xlsx", huge_xlsx.read_bytes()),
                           ("big.xlsx", big_xlsx.read_bytes())]:
            failures[name] = _upload(server, token, body, name, len(body))
            timings[name] = time.monotonic()
        line = SingleLine(1024**3)
        failures["line.csv"] = _upload(server, token, line, "line.csv", line.size)
        timings["line.csv"] = time.monotonic()
        repeated = _upload(server, token, repeated_key_csv(), "same-key.csv", len(repeated_key_csv()))
        timings["same-key.csv"] = time.monotonic()
    finally:
        reader.stop.set()
        sampler.stop.set()
        reader.join()
        sampler.join()

    marks = list(timings.items())  # shown when an assertion fails
    print("seconds per upload and job:", {name: round(t - marks[i][1], 1) for i, (name, t) in enumerate(marks[1:])})
    messages = {name: (job["state"], job["error"]["code"], job["error"]["message"])
                for name, job in failures.items()}
    with zipfile.ZipFile(huge_xlsx) as archive:
        unpacked = sum(info.file_size for info in archive.infolist())
    assert messages == {
        "wide.csv": ("failed", "limit-exceeded", "the file's row 1 has 100,000 columns; the limit is 2,000"),
        "cell.csv": ("failed", "limit-exceeded",
                     "the file's row 3, column 2 holds a cell of 2,000,000 bytes; the limit is 1,048,576"),
        "deep.json": ("failed", "limit-exceeded",
                      "the file's row 3 nests arrays and objects deeper than the limit of 64 levels"),
        "huge.xlsx": ("failed", "limit-exceeded",
                      f"huge.xlsx: the workbook unpacks to {unpacked:,} bytes; the limit is 1,073,741,824"),
        "big.xlsx": ("failed", "limit-exceeded", "big.xlsx: xl/sharedStrings.xml holds a cell of more than "
                                                 "6,291,520 bytes; the limit is 1,048,576"),
        "line.csv": ("failed", "limit-exceeded", "the file's row 1 is longer than the limit of 16,777,216 bytes"),
    }
    # a file that can be read, with 199,999 errors: the first 1,000 kept, all counted, a small report
    assert repeated["state"] == "succeeded" and repeated["version"]["state"] == "invalid"
    assert repeated["version"]["report"] == {"valid": False, "errors": 199_999, "warnings": 0}
    with runtime.sessions() as session:
        report = session.query(Version).filter_by(number=repeated["version"]["number"]).one().report
    assert len(json.dumps(report, ensure_ascii=False).encode()) < 1024 * 1024
    assert report["tasks"][0]["errorSummary"] == {"primary-key": 199_999}
    assert len(report["tasks"][0]["errors"]) == 1_000

    print(f"peak {sampler.peak / 1e6:,.0f} MB over {sampler.samples} samples; {reader.rounds} rounds of reads")
    assert sampler.samples > 100 and sampler.peak < GB, f"the server's processes reached {sampler.peak / 1e6:,.0f} MB"
    assert reader.rounds > 5 and reader.wrong == [], reader.wrong[:5]
    assert _gunicorn_worker(server.proc.pid) == worker, "the gunicorn worker was restarted"
    assert server.get("/api/v1/datasets/subsidies")[0] == 200


def _gunicorn_worker(arbiter: int) -> int:
    """The pid of the gunicorn worker (the arbiter's only Python child that is not a helper)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                command = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == arbiter and b"multiprocessing" not in command:
                return int(entry.name)
    raise AssertionError("no gunicorn worker")
