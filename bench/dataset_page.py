"""Server time of the portal's dataset page (metadata, 20-row preview, charts, profiles) on the 1M-row
benchmark dataset, against Datasette's HTML table page of the same rows, measured with wrk.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/dataset_page.py                # 1M rows, 8 connections, 5 rounds of 10 s
    .venv/bin/python bench/dataset_page.py --rounds 3 --seconds 5

Needs ``wrk`` (apt-get install -y wrk; `scripts/system-packages.sh bench`) and Datasette in .venv
(pip install datasette). The dataset is bench/api.py's (bench/api_data.py: bench/ingest.py's 1M-row
CSV ingested and published through the services, so its row database and its column profile and
chart series are built at publication), in the same --workdir, reused between runs. opendata runs
under gunicorn (2 workers, gthread, 4 threads each), Datasette over the SQLite copy with an index
on the filter column; both on 127.0.0.1. In each round the two sides take turns (A B), each with
the same mix of pages: the first page, deeper preview pages, pages sorted by a column, and pages
filtered by a word. Reported: medians over rounds of p50/p95 and requests/s, the per-round ratio
of p95s (median, min-max), CPU seconds of each server's processes per 1,000 pages, load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from api import free_port, start_datasette, start_opendata, stop, wait_http, wrk  # noqa: E402
from api_data import build_sqlite, prepare_home  # noqa: E402

CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政检查"]
CONNECTIONS = 8


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children that are still running."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(entry.name) == pid or int(fields[1]) == pid:  # fields[1] is the parent pid
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def opendata_paths(rnd: random.Random) -> list[str]:
    paths = ["/datasets/bench"] * 50
    paths += [f"/datasets/bench?page={rnd.randint(2, 500)}" for _ in range(100)]
    paths += [f"/datasets/bench?sort={rnd.choice(['amount', '-amount', 'category'])}&page={rnd.randint(1, 50)}"
              for _ in range(50)]
    paths += [f"/datasets/bench?q={quote(c)}&page={rnd.randint(1, 20)}" for c in CATEGORIES for _ in range(10)]
    rnd.shuffle(paths)
    return paths


def datasette_paths(rnd: random.Random) -> list[str]:
    table = "/bench/rows"
    paths = [f"{table}?_size=20"] * 50
    paths += [f"{table}?_size=20&_next={rnd.randint(20, 10_000)}" for _ in range(100)]
    paths += [f"{table}?_size=20&{rnd.choice(['_sort=amount', '_sort_desc=amount', '_sort=category'])}"
              for _ in range(50)]
    paths += [f"{table}?_size=20&category={quote(c)}" for c in CATEGORIES for _ in range(10)]
    rnd.shuffle(paths)
    return paths


def measure(port: int, pid: int, paths: list[str], workdir: Path, seconds: int, name: str) -> dict:
    before = _cpu_seconds(pid)
    result = wrk(port, paths, workdir, seconds, name, connections=CONNECTIONS)
    result["cpu_per_1000"] = (_cpu_seconds(pid) - before) / max(1, result["requests"]) * 1000
    return result


def run(args) -> str:
    workdir = args.workdir
    home, parquet = prepare_home(workdir, args.rows, args.datasets)
    db = build_sqlite(parquet, workdir)
    rnd = random.Random(42)
    od_paths, ds_paths = opendata_paths(rnd), datasette_paths(rnd)
    od_port, ds_port = free_port(), free_port()
    load_before = os.getloadavg()[0]
    procs = []
    try:
        od = start_opendata(home, od_port, workdir / "gunicorn-page.log")
        procs.append(od)
        ds = start_datasette(db, ds_port, workdir / "datasette-page.log")
        procs.append(ds)
        wait_http(od_port, "/datasets/bench", od)
        for path in od_paths[:20]:  # warm both sides: engines, caches, the loaded profile
            wait_http(od_port, path, od)
        for path in ds_paths[:20]:
            wait_http(ds_port, path, ds)
        rounds = []
        for i in range(args.rounds):
            a = measure(od_port, od.pid, od_paths, workdir, args.seconds, f"page-od-{i}")
            b = measure(ds_port, ds.pid, ds_paths, workdir, args.seconds, f"page-ds-{i}")
            rounds.append((a, b))
            print(f"round {i + 1}: opendata p95 {a['p95']:.1f} ms, Datasette p95 {b['p95']:.1f} ms", flush=True)
    finally:
        for proc in procs:
            stop(proc)
    return report(rounds, args, (load_before, os.getloadavg()[0]))


def report(rounds: list[tuple[dict, dict]], args, load: tuple[float, float]) -> str:
    def med(side: int, key: str) -> float:
        return statistics.median(r[side][key] for r in rounds)

    ratios = [b["p95"] / a["p95"] for a, b in rounds]
    od_p95 = ", ".join(f"{a['p95']:.1f}" for a, _ in rounds)
    ds_p95 = ", ".join(f"{b['p95']:.1f}" for _, b in rounds)
    errors = sum(a["errors"] + b["errors"] for a, b in rounds)
    lines = [
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/dataset_page.py` on {platform.machine()}, "
        f"{os.cpu_count()} cores; Python {platform.python_version()}. {args.rows:,} rows (bench/api.py's dataset), "
        f"wrk {CONNECTIONS} connections, {args.seconds} s per side per round, {args.rounds} rounds (A B alternating). "
        f"Load average (1 min) before/after: {load[0]:.2f} / {load[1]:.2f}.",
        "",
        "| server | page | p50 ms | p95 ms | req/s | CPU s per 1,000 pages |",
        "|---|---|---:|---:|---:|---:|",
        f"| opendata (gunicorn 2×4) | `/datasets/bench`: metadata, 20-row preview (first, deeper, sorted, "
        f"filtered pages), 3 SVG charts, profiles, API examples | {med(0, 'p50'):.1f} | {med(0, 'p95'):.1f} | "
        f"{med(0, 'rps'):.0f} | {med(0, 'cpu_per_1000'):.1f} |",
        f"| Datasette | `/bench/rows?_size=20` table page (same mix) | {med(1, 'p50'):.1f} | {med(1, 'p95'):.1f} | "
        f"{med(1, 'rps'):.0f} | {med(1, 'cpu_per_1000'):.1f} |",
        "",
        f"p95 per round, opendata: {od_p95} ms; Datasette: {ds_p95} ms. Ratio of p95s (Datasette / opendata), median "
        f"{statistics.median(ratios):.2f}× (min {min(ratios):.2f}, max {max(ratios):.2f}). Errors: {errors}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--datasets", type=int, default=50_000, help="synthetic catalogue entries (as bench/api.py)")
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opendata-bench-api"))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(run(args))
    print(f"(whole run {time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
