"""How fast a published dataset answers while hostile files are being uploaded and refused.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/hostile.py                  # 7 rounds: each hostile file once
    .venv/bin/python bench/hostile.py --rounds 14 --write --trace /tmp/hostile-trace.jsonl

One gunicorn server (the production server: 1 worker, gthread, 2 threads, as tests/live_server.py
starts it) over a fresh OPENDATA_HOME with a published dataset (budget, 500 rows). Each round
measures, alternating, A: reading budget while nothing else happens, and B: reading budget while
one hostile file (the generators of tests/hostile_files.py, the same as the live test's) is
uploaded and its job runs to its failure. A reading is one GET of each of: the API detail, a page
of rows, the CSV download, the HTML page, CKAN package_show and /data.json, one after the other
on one connection at a time. The figures are the latencies (median, 95th percentile, maximum) per
side, the median of the per-round ratios B/A with their range, and the server's CPU seconds (its
process tree) per side beside the wall seconds.

Every read is also traced: when it started, its endpoint, its latency as the client saw it and as
the server measured it (gunicorn's access log, ``%(D)s``), and, on side B, the phase of the hostile
upload it overlapped (``body``: the request body arriving; ``queued``; ``job``: the ingest job
running, with its child process; ``after``: the job has ended, the client has not seen it yet),
with the milliseconds since that phase began. The slowest reads are printed with their phase;
``--trace FILE`` writes every read as a JSON line. ``--only wide.csv,line.csv`` runs only some files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import itertools
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from proc import tree_cpu  # noqa: E402

from tests import hostile_files as hostile  # noqa: E402
from tests.live_server import LiveServer  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Hostile uploads"
READS = ["/api/v1/datasets/budget", "/api/v1/datasets/budget/rows?limit=5", "/api/v1/datasets/budget/download.csv",
         "/datasets/budget", "/api/3/action/package_show?id=budget", "/data.json"]
# the server's own time per request (microseconds), keyed by the read's number
ACCESS_LOG_FORMAT = "%({x-bench-read}i)s %(D)s"
PHASES = ("body", "queued", "job", "after")


def prepare(home: Path) -> str:
    """A migrated home with the basic catalogue, budget published; returns a publisher's token."""
    from opendata.config import load_config
    from opendata.services.publication import publish_if_clean
    from opendata.services.runtime import Runtime
    from opendata.services.versions import ingest_file
    from opendata.store.migrate import upgrade_to_head
    from tests.accounts_fixtures import make_token, seed_accounts

    runtime = Runtime(load_config({}, HOME=str(home)))
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    seed_accounts(runtime, home.parent / "project")
    source = home.parent / "budget.csv"
    source.write_text("id,name,amount\n" + "".join(f"{i},项目{i},{i * 1.5}\n" for i in range(1, 501)), "utf-8")
    outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="budget", path=source,
                          actor="bench")
    publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="bench")
    token = make_token(runtime, "finclerk", scopes=["publish"])
    runtime.close()
    return token


def hostile_bodies(folder: Path) -> list[tuple[str, object, int]]:
    """(file name, body, length) of each hostile upload; file-like bodies are streamed."""
    bodies = [("wide.csv", hostile.wide_header_csv()), ("cell.csv", hostile.long_cell_csv()),
              ("deep.json", hostile.deep_json()), ("same-key.csv", hostile.repeated_key_csv()),
              ("huge.xlsx", hostile.xlsx_with_huge_cell(folder / "huge.xlsx", 1_500_000_000).read_bytes()),
              ("big.xlsx", hostile.xlsx_with_huge_cell(folder / "big.xlsx", 200 * 1024 * 1024).read_bytes())]
    out: list[tuple[str, object, int]] = [(name, body, len(body)) for name, body in bodies]
    out.append(("line.csv", None, 1024**3))  # a fresh hostile.SingleLine per upload
    return out


def upload(server: LiveServer, token: str, name: str, body, length: int, phases: dict[str, float]) -> None:
    """Upload one body to the subsidies dataset and wait for its job to end; ``phases`` gets the
    start (epoch seconds) of each phase: body, queued, job, after (the job's own timestamps)."""
    body = hostile.SingleLine(length) if body is None else body
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300, blocksize=1024 * 1024)
    phases["body"] = time.time()
    conn.request("POST", f"/api/v1/datasets/subsidies/uploads?filename={name}", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/octet-stream",
                          "Content-Length": str(length)})
    job = json.loads(conn.getresponse().read())
    conn.close()
    while job["state"] not in ("succeeded", "failed"):
        time.sleep(0.05)
        job = json.loads(server.get(job["url"], token)[1])
    for phase, field in (("queued", "created_at"), ("job", "started_at"), ("after", "finished_at")):
        if job.get(field):
            phases[phase] = dt.datetime.fromisoformat(job[field]).timestamp()


def phase_of(at: float, phases: dict[str, float]) -> tuple[str, float]:
    """The upload phase under way at ``at`` and the milliseconds since it began."""
    current = ("before", 0.0)
    for phase in PHASES:
        if phase in phases and phases[phase] <= at:
            current = (phase, (at - phases[phase]) * 1000)
    return current


def timed_get(server: LiveServer, path: str, number: int) -> int:
    """GET ``path`` on a new connection (as LiveServer.get), tagged with the read's number."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=30)
    try:
        conn.request("GET", path, headers={"X-Bench-Read": str(number)})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


_NUMBERS = itertools.count(1)


def read_while(server: LiveServer, busy: threading.Thread | None, minimum: int, trace: list[dict] | None = None,
               **labels: object) -> list[float]:
    """Latencies (ms) of the reads, repeated until ``busy`` ends (and at least ``minimum`` rounds);
    each read is also appended to ``trace`` with its start (epoch seconds), endpoint and ``labels``."""
    latencies, rounds = [], 0
    while rounds < minimum or (busy is not None and busy.is_alive()):
        for path in READS:
            number, at = next(_NUMBERS), time.time()
            started = time.perf_counter()
            status = timed_get(server, path, number)
            latencies.append((time.perf_counter() - started) * 1000)
            if status != 200:
                raise SystemExit(f"{path} answered {status}")
            if trace is not None:
                trace.append({"read": number, "at": at, "path": path, "ms": round(latencies[-1], 2), **labels})
        rounds += 1
    return latencies


def server_times(log: Path) -> dict[int, float]:
    """Milliseconds the server spent on each traced read, from its access log."""
    times = {}
    for line in log.read_text(errors="replace").splitlines():
        number, _, micros = line.partition(" ")
        if number.isdigit() and micros.strip().isdigit():
            times[int(number)] = int(micros) / 1000
    return times


def run(rounds: int, only: list[str] | None = None) -> dict:
    with tempfile.TemporaryDirectory(prefix="opendata-hostile-") as tmp:
        folder = Path(tmp)
        token = prepare(folder / "home")
        bodies = [b for b in hostile_bodies(folder) if not only or b[0] in only]
        result = {"A": [], "B": [], "ratios": [], "cpu": {"A": 0.0, "B": 0.0}, "wall": {"A": 0.0, "B": 0.0},
                  "trace": []}
        access_log = folder / "access.log"
        flags = f"--access-logfile {access_log} --access-logformat '{ACCESS_LOG_FORMAT}'"
        with LiveServer(folder / "home", gunicorn=True, OPENDATA_INGEST_WORKERS="1", GUNICORN_CMD_ARGS=flags) as server:
            read_while(server, None, 3)  # warm: caches, the fork server, the row database
            for n in range(rounds):
                name, body, length = bodies[n % len(bodies)]
                sides = {}
                for side in ("A", "B"):
                    phases: dict[str, float] = {}
                    busy = threading.Thread(target=upload, args=(server, token, name, body, length, phases)) \
                        if side == "B" else None
                    cpu, wall = tree_cpu(server.proc.pid), time.perf_counter()
                    if busy is not None:
                        busy.start()
                    reads: list[dict] = []
                    sides[side] = read_while(server, busy, 5, reads, round=n + 1, side=side, file=name)
                    if busy is not None:
                        busy.join()
                    for read in reads:
                        read["phase"], read["phase_ms"] = phase_of(read["at"], phases) if busy else ("idle", 0.0)
                        read["phase_ms"] = round(read["phase_ms"], 1)
                    result["trace"].extend(reads)
                    result["cpu"][side] += tree_cpu(server.proc.pid) - cpu
                    result["wall"][side] += time.perf_counter() - wall
                    result[side].extend(sides[side])
                ratio = statistics.median(sides["B"]) / statistics.median(sides["A"])
                result["ratios"].append((name, ratio))
                print(f"round {n + 1} ({name}): A median {statistics.median(sides['A']):.1f} ms, "
                      f"B median {statistics.median(sides['B']):.1f} ms, max {max(sides['B']):.1f} ms", flush=True)
        times = server_times(access_log)
        for read in result["trace"]:
            read["server_ms"] = times.get(read["read"])
        return result


def slowest(trace: list[dict], count: int = 12) -> str:
    """The slowest reads with what the hostile upload was doing at the time."""
    lines = ["| read | side | round | file | endpoint | client ms | server ms | phase | ms into phase |",
             "|---:|---|---:|---|---|---:|---:|---|---:|"]
    for r in sorted(trace, key=lambda r: r["ms"], reverse=True)[:count]:
        server_ms = "" if r.get("server_ms") is None else f"{r['server_ms']:.1f}"
        lines.append(f"| {r['read']} | {r['side']} | {r['round']} | {r['file']} | `{r['path']}` | {r['ms']:.1f} | "
                     f"{server_ms} | {r['phase']} | {r['phase_ms']:.0f} |")
    return "\n".join(lines) + "\n"


def by_phase(trace: list[dict]) -> str:
    """Reads per upload phase: count, median, p95, maximum and how many passed 100 ms."""
    lines = ["| phase | reads | median ms | p95 ms | max ms | over 100 ms |", "|---|---:|---:|---:|---:|---:|"]
    for phase in ("idle", "before", *PHASES):
        values = [r["ms"] for r in trace if r["phase"] == phase]
        if values:
            lines.append(f"| {phase} | {len(values)} | {statistics.median(values):.1f} | {_pct(values, 0.95):.1f} | "
                         f"{max(values):.1f} | {sum(v > 100 for v in values)} |")
    return "\n".join(lines) + "\n"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))]


def render(result: dict, load_before: str) -> str:
    ratios = [r for _, r in result["ratios"]]
    lines = [
        f"### {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {len(ratios)} rounds",
        "",
        f"Machine: {os.cpu_count()} CPUs, {platform.platform()}, Python {platform.python_version()}. "
        f"Load average (1 min) before/after: {load_before} / {os.getloadavg()[0]:.2f}.",
        "",
        "| side | reads | median ms | p95 ms | max ms | server CPU s | wall s |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for side, label in (("A", "A: idle"), ("B", "B: during a hostile upload and its job")):
        values = result[side]
        lines.append(f"| {label} | {len(values)} | {statistics.median(values):.1f} | {_pct(values, 0.95):.1f} | "
                     f"{max(values):.1f} | {result['cpu'][side]:.2f} | {result['wall'][side]:.2f} |")
    lines += ["", f"Median of the per-round ratios B/A (median latency): {statistics.median(ratios):.2f} "
                  f"(min {min(ratios):.2f}, max {max(ratios):.2f}); rounds: "
              + ", ".join(f"{name} {r:.2f}" for name, r in result["ratios"]) + ".",
              "", "Reads by phase of the hostile upload (body arriving, queued, job running, job ended):", "",
              by_phase(result["trace"]), "Slowest reads (server ms: gunicorn's own time for the request):", "",
              slowest(result["trace"], 8)]
    return "\n".join(lines)


def write_doc(section: str) -> None:
    text = DOC.read_text("utf-8")
    intro = (f"{HEADING}\n\nGenerated by `bench/hostile.py`: a published dataset read through the API, a "
             "page of rows, the CSV download, the HTML page, CKAN `package_show` and `/data.json`, while "
             "nothing else happens (A) and while a hostile file of tests/hostile_files.py is uploaded and "
             "refused (B), alternating A B per round. Target: every read of another dataset under 100 ms "
             "during hostile uploads.\n\n")
    match = re.search(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        body = match.group(0).rstrip() + "\n\n" + section
        text = text[:match.start()] + body + ("\n" + text[match.end():] if text[match.end():] else "")
    else:
        text = text.rstrip() + "\n\n" + intro + section
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7, help="rounds (each hostile file once per 7)")
    parser.add_argument("--write", action="store_true", help="record the results in docs/benchmarks.md")
    parser.add_argument("--only", help="comma-separated hostile files to use (default: all seven)")
    parser.add_argument("--trace", type=Path, help="write every read as a JSON line to this file")
    args = parser.parse_args(argv)
    load_before = f"{os.getloadavg()[0]:.2f}"
    result = run(args.rounds, args.only.split(",") if args.only else None)
    section = render(result, load_before)
    print()
    print(section)
    print(slowest(result["trace"], 25))
    if args.trace:
        with open(args.trace, "w", encoding="utf-8") as out:
            for read in result["trace"]:
                out.write(json.dumps(read) + "\n")
    if args.write:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
