"""Requests benchmark: an organisation's queue of 100,000 requests over real HTTP, and deadlines in bulk.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/requests.py            # 100,000 requests, 400 queue calls per filter
    .venv/bin/python bench/requests.py --write    # also write the "Requests" section of docs/benchmarks.md

1. Queue: a fresh OPENDATA_HOME under --workdir gets the catalogue's organisations, a publisher with a
   token, and --n requests of one organisation (generated with random.Random(42): a year of receipt
   days, the states a real queue has, handlers, extensions and pauses; the clock fields computed by
   the same functions the services use, inserted in batches). gunicorn (2 gthread workers, as
   deployed) serves it on 127.0.0.1; each filter of FILTERS is asked --samples times over one
   keep-alive connection, and the latency of each whole HTTP request is recorded (p50, p95, max).
   Target: p95 < 50 ms.
2. Deadlines: reply_due + standing for --n requests (receipt day, extension, paused days), against
   chinese_calendar.find_workday for the same dates (the package's own function), in --rounds
   rounds taking turns (A B A B); median of per-round ratios with min-max, CPU beside wall seconds.
   Target: 100,000 in < 2 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proc import tree_cpu  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Requests for disclosure"
FILTERS = {
    "open, soonest due": "state=open&limit=50",
    "overdue": "overdue=true&limit=50",
    "due within 3 working days": "due_within=3&limit=50",
    "unassigned, awaiting correction": "handler=none&state=awaiting-correction&limit=50",
    "received in a month, newest": "received_from=2025-03-01&received_to=2025-03-31&sort=-received&limit=50",
    "subject words": "q=%E9%A2%84%E7%AE%97&state=open&limit=50",
    "page 20 of closed": "state=closed&page=20&limit=50",
}
SUBJECTS = ["预算执行情况", "行政处罚决定书", "征地补偿标准", "招生划片范围", "政府采购合同", "环境监测数据", "补贴发放名单"]
CATALOG = """\
catalog:
  title: 基准测试平台
  publisher: city
organizations:
  - id: city
    name: 示例市人民政府
    level: city
    division_code: "330100"
  - id: finance
    name: 示例市财政局
    level: city
    division_code: "330100"
    parent: city
datasets: []
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(workdir: Path, n: int) -> tuple[dict[str, str], str]:
    """The home with n requests of 'finance', and a publisher token; (environment, token)."""
    from opendata.config import load_config
    from opendata.core.catalog_file import load_catalog
    from opendata.services.access import system_viewer
    from opendata.services.accounts import role_grant, user_create
    from opendata.services.catalog_sync import sync_catalog
    from opendata.services.runtime import Runtime
    from opendata.services.tokens import token_create
    from opendata.store.db import transaction
    from opendata.store.migrate import upgrade_to_head

    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "schemas").mkdir(parents=True)
    (workdir / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    env = {"OPENDATA_HOME": str(workdir / "home"), "OPENDATA_RATE_LIMIT_ENABLED": "false",
           "OPENDATA_OUTBOX_INTERVAL_SECONDS": "0"}
    rt = Runtime(load_config(env))
    rt.config.home.mkdir(parents=True)
    upgrade_to_head(rt.config.database_url)
    operator = system_viewer("bench")
    with transaction(rt.sessions) as session:
        sync_catalog(session=session, spec=load_catalog(workdir / "catalog.yaml", schemas_dir=workdir / "schemas"))
        for i in range(5):
            user_create(session=session, actor=operator, username=f"clerk{i}", organization="finance")
            role_grant(session=session, actor=operator, username=f"clerk{i}", role="publisher")
        token = token_create(session=session, actor=operator, username="clerk0", name="bench", scopes=["publish"],
                             lifetime_days=30).plain
    insert_requests(rt, n)
    rt.close()
    return env, token


def reuse(workdir: Path) -> tuple[dict[str, str], str]:
    """The environment of a home prepared before, with a fresh token for clerk0."""
    from opendata.config import load_config
    from opendata.services.access import system_viewer
    from opendata.services.runtime import Runtime
    from opendata.services.tokens import token_create
    from opendata.store.db import transaction

    env = {"OPENDATA_HOME": str(workdir / "home"), "OPENDATA_RATE_LIMIT_ENABLED": "false",
           "OPENDATA_OUTBOX_INTERVAL_SECONDS": "0"}
    rt = Runtime(load_config(env))
    with transaction(rt.sessions) as session:
        token = token_create(session=session, actor=system_viewer("bench"), username="clerk0", name="bench",
                             scopes=["publish"], lifetime_days=30).plain
    rt.close()
    return env, token


def insert_requests(rt, n: int) -> None:
    """n requests of 'finance' with the clock fields the services would have stored."""
    import hashlib

    from sqlalchemy import insert, select

    from opendata.core.requests.applicant import contact_keys, new_tracking_code
    from opendata.core.requests.clock import ClockInput, correction_notice_due, reply_due
    from opendata.core.workdays import official_calendar
    from opendata.store.accounts import User
    from opendata.store.db import transaction
    from opendata.store.models import Organization
    from opendata.store.requests import DisclosureRequest

    rnd, cal = random.Random(42), official_calendar()
    states = ["closed"] * 60 + ["open"] * 25 + ["awaiting-correction"] * 5 + ["paused"] * 5 + ["awaiting-payment"] * 5
    with transaction(rt.sessions) as session:
        org = session.scalar(select(Organization.id).where(Organization.slug == "finance"))
        handlers = list(session.scalars(select(User.id))) + [None, None]
    start = dt.date(2025, 1, 2)
    rows = []
    for i in range(n):
        received = start + dt.timedelta(days=rnd.randrange(365))
        receipt = received if cal.is_workday(received) else cal.next_workday(received)
        ext, paused = rnd.choice([0] * 8 + [10, 20]), rnd.choice([0] * 8 + [3, 7])
        state = rnd.choice(states)
        email = f"applicant{i}@example.cn"
        rows.append({
            "code": new_tracking_code(), "organization_id": org, "kind": "disclosure",
            "subject": f"{rnd.choice(SUBJECTS)} {i}", "description": "请提供相关信息。", "delivery_medium": "electronic",
            "delivery_channel": "online", "applicant_type": "natural-person", "applicant_name": f"申请人{i}",
            "id_type": "passport", "id_number": f"E{i:08d}", "email": email,
            "contact_keys": contact_keys(email=email, phone=None),
            "applicant_key": hashlib.sha256(f"passport:E{i:08d}".encode()).hexdigest(),
            "content_sha256": hashlib.sha256(str(i).encode()).hexdigest(), "warnings": [], "state": state,
            "handler_id": rnd.choice(handlers),
            "received_at": dt.datetime.combine(received, dt.time(2, 0), tzinfo=dt.UTC),
            "receipt_date": receipt, "due_date": reply_due(cal, ClockInput(receipt, ext, paused)).date,
            "extension_days": ext, "paused_days": paused, "calendar_version": cal.version,
            "correction_notice_due": correction_notice_due(cal, receipt).date,
            "correction_due": cal.add_workdays(receipt, 20).date if state == "awaiting-correction" else None,
            "correction_requested_on": receipt if state == "awaiting-correction" else None,
            "pause_kind": "agency" if state == "paused" else None,
            "pause_started_on": receipt if state == "paused" else None, "pause_bound": 15 if state == "paused" else None,
            "pause_ends_by": cal.add_workdays(receipt, 15).date if state == "paused" else None,
            "outcome": rnd.choice(["disclosed", "partial", "unavailable-not-held", "other"]) if state == "closed" else None,
            "created_at": dt.datetime.now(dt.UTC), "modified_at": dt.datetime.now(dt.UTC)})
        if len(rows) == 5000 or i == n - 1:
            with transaction(rt.sessions) as session:
                session.execute(insert(DisclosureRequest), rows)
            rows = []


def queue_latencies(env: dict[str, str], token: str, samples: int) -> tuple[dict[str, dict], float, float]:
    """Per filter p50/p95/max in ms over real HTTP, and the server's CPU and wall seconds while measured."""
    port = free_port()
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "2", "-b",
                               f"127.0.0.1:{port}", "opendata.wsgi:app"], env=full_env, cwd=ROOT,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait(port)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Authorization": f"Bearer {token}"}
        for query in FILTERS.values():  # warm-up: the calendar table, statement caches
            _get(conn, f"/api/v1/requests/queue?organization=finance&{query}", headers)
        cpu_before, wall_before = tree_cpu(server.pid), time.monotonic()
        results = {}
        for name, query in FILTERS.items():
            times = []
            for _ in range(samples):
                t0 = time.perf_counter()
                body = _get(conn, f"/api/v1/requests/queue?organization=finance&{query}", headers)
                times.append((time.perf_counter() - t0) * 1000)
            times.sort()
            results[name] = {"p50": statistics.median(times), "p95": times[int(0.95 * len(times)) - 1],
                             "max": times[-1], "total": json.loads(body)["total"]}
        return results, tree_cpu(server.pid) - cpu_before, time.monotonic() - wall_before
    finally:
        server.terminate()
        server.wait(10)


def queue_cpu(env: dict[str, str], token: str, calls: int) -> dict[str, float]:
    """Per filter, CPU ms per queue call through the WSGI app in this process (no HTTP, no queueing):
    what a call costs the server, which moves far less than wall time on a busy machine."""
    os.environ.update(env)
    from opendata.app import close_app, create_app

    app = create_app()
    client, headers = app.test_client(), {"Authorization": f"Bearer {token}"}
    out = {}
    try:
        for name, query in FILTERS.items():
            path = f"/api/v1/requests/queue?organization=finance&{query}"
            for _ in range(5):  # warm-up: statement caches, the calendar table
                client.get(path, headers=headers)
            t0 = time.process_time()
            for _ in range(calls):
                if client.get(path, headers=headers).status_code != 200:
                    raise SystemExit(f"{path}: not 200")
            out[name] = (time.process_time() - t0) / calls * 1000
    finally:
        close_app(app)
    return out


def _get(conn, path: str, headers: dict) -> bytes:
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    body = response.read()
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {body[:300]!r}")
    return body


def _wait(port: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


def deadlines(n: int, rounds: int, peer_n: int) -> dict:
    """Our reply_due + standing vs chinese_calendar.find_workday, taking turns; seconds and ratios."""
    import chinese_calendar

    from opendata.core.requests.clock import ClockInput, reply_due, standing
    from opendata.core.workdays import official_calendar

    rnd, cal = random.Random(42), official_calendar()
    days = [dt.date(2025, 1, 2) + dt.timedelta(days=rnd.randrange(300)) for _ in range(n)]
    # receipt days are working days (the office-hours rule moves the others), as find_workday assumes
    inputs = [ClockInput(d if cal.is_workday(d) else cal.next_workday(d), rnd.choice([0, 0, 0, 10, 20]),
                         rnd.choice([0, 0, 3, 7])) for d in days]
    today = dt.date(2025, 11, 3)

    def ours():
        for c in inputs:
            standing(cal, today, reply_due(cal, c).date)

    def peer():
        for c in inputs[:peer_n]:
            chinese_calendar.find_workday(20 + c.extension_days + c.paused_days, c.receipt)

    assert all(reply_due(cal, c).date == chinese_calendar.find_workday(20 + c.extension_days + c.paused_days,
                                                                       c.receipt) for c in inputs[:2000])
    runs = {"ours": [], "peer": []}
    for _ in range(rounds):
        for name, fn in (("ours", ours), ("peer", peer)):
            c0, w0 = time.process_time(), time.perf_counter()
            fn()
            runs[name].append((time.perf_counter() - w0, time.process_time() - c0))
    # per deadline: the peer runs on the first peer_n inputs only (it walks day by day)
    ratios = [(p[0] / peer_n) / (o[0] / n) for o, p in zip(runs["ours"], runs["peer"], strict=True)]
    return {"runs": runs, "ratio": statistics.median(ratios), "ratio_range": (min(ratios), max(ratios)),
            "peer_n": peer_n}


def render(n: int, samples: int, queue: dict, cpu: float, wall: float, dl: dict, per_call: dict) -> str:
    """The docs/benchmarks.md section."""
    load = os.getloadavg()
    ours = dl["runs"]["ours"]
    lines = [HEADING, "",
             f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {platform.machine()} with {os.cpu_count()} cores, "
             f"load average {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} at the end (the machine is shared: "
             "re-run on a quiet machine before comparing). `bench/requests.py`, "
             f"{n:,} requests of one organisation.", "",
             "### The queue over HTTP (gunicorn, 2 gthread workers, one keep-alive client)", "",
             f"Target p95 < 50 ms. {samples} calls per filter; server CPU {cpu:.1f} s over {wall:.1f} s wall. "
             "CPU per call: the same call through the app in one process (no HTTP), after the HTTP run.", "",
             "| filter | matching | p50 ms | p95 ms | max ms | CPU ms per call |", "|---|---:|---:|---:|---:|---:|"]
    for name, r in queue.items():
        lines.append(f"| {name} | {r['total']:,} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} | "
                     f"{per_call[name]:.1f} |")
    lines += ["", "### Deadlines in bulk", "",
              f"Target: {n:,} deadlines in < 2 s. reply_due + standing (ours, all {n:,}) against "
              "`chinese_calendar.find_workday` (the package's own function, the due date only, which walks day by "
              f"day: the first {dl['peer_n']:,} of the same dates), {len(ours)} rounds taking turns; the first "
              "2,000 answers are checked equal.", "",
              f"| round | ours wall s ({n:,}) | ours CPU s | find_workday wall s ({dl['peer_n']:,}) | find_workday CPU s |",
              "|---:|---:|---:|---:|---:|"]
    for i, (o, p) in enumerate(zip(ours, dl["runs"]["peer"], strict=True), 1):
        lines.append(f"| {i} | {o[0]:.3f} | {o[1]:.3f} | {p[0]:.3f} | {p[1]:.3f} |")
    low, high = dl["ratio_range"]
    lines += ["", f"Per deadline, find_workday takes {dl['ratio']:.0f}× as long as ours (median of per-round ratios; "
                  f"{low:.1f}–{high:.1f}).", ""]
    return "\n".join(lines)


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if HEADING in doc:
        start = doc.index(HEADING)
        rest = doc[start + len(HEADING):]
        nxt = rest.find("\n## ")
        doc = doc[:start] + text + (rest[nxt + 1:] if nxt >= 0 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--peer-n", type=int, default=5_000, help="deadlines the day-by-day peer computes per round")
    parser.add_argument("--reuse", action="store_true", help="keep the prepared home of an earlier run")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opendata-bench-requests"))
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    t0 = time.perf_counter()
    env, token = reuse(args.workdir) if args.reuse else prepare(args.workdir, args.n)
    print(f"prepared {args.n:,} requests in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    queue, cpu, wall = queue_latencies(env, token, args.samples)
    per_call = queue_cpu(env, token, min(args.samples, 100))
    dl = deadlines(args.n, args.rounds, min(args.peer_n, args.n))
    text = render(args.n, args.samples, queue, cpu, wall, dl, per_call)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
