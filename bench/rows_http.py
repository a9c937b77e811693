"""Rows API at scale over real HTTP: filter + sort pages of a 10,000,000-row dataset, 8 connections.

Run by hand on a quiet machine (not part of the test suite)::

    .venv/bin/python bench/rows_http.py                          # 10M rows, 3 rounds of 10 s per query
    .venv/bin/python bench/rows_http.py --rows 20000 --seconds 2 # a small proof that it runs
    .venv/bin/python bench/rows_http.py --write                  # record in docs/benchmarks.md
    .venv/bin/python bench/rows_http.py --cpu path/to/rows.duckdb # CPU ms per query in-process, no HTTP

The benchmark CSV of bench/ingest.py (9 fields, government-style) is ingested and published
through the real services into a fresh OPENDATA_HOME under --workdir (kept for later runs: the
10M-row home takes minutes to build), then served by gunicorn exactly as bench/api.py serves it
(2 workers, gthread, 4 threads each). Each query kind is measured with wrk at 8 connections over
4,000 distinct URLs (the filter values vary, so no answer is a repeat of the one before), in
--rounds rounds; the figure is the median of the rounds' p95, with every round shown. Target
(issue 16): p95 < 100 ms for a filter + sort page.

``--cpu`` runs the same query kinds through ``RowQueryEngine`` against one prepared row database
(e.g. the ``duckdb`` artifact of the home above), with no result or count cache: the median CPU ms
per query (DuckDB's threads included) of --runs queries each, to compare two trees or two prepared
databases on a busy machine, where CPU time moves far less than latency.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import statistics
import sys
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from api import free_port, get_json, machine, start_opendata, stop, wrk  # noqa: E402
from api_data import prepare_home  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Rows API at scale (HTTP)"
CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认", "其他"]
DIVISIONS = ["110105", "110108", "310115", "330106", "440106", "440305", "510107", "420103"]
ROWS = "/api/v1/datasets/bench/rows"


def query_kinds(n: int = 4000) -> dict[str, list[str]]:
    """The measured queries: each kind is n URLs whose filter values vary (random.Random(7))."""
    rnd = random.Random(7)

    def cat() -> str:
        return quote(rnd.choice(CATEGORIES))

    def day() -> str:
        return (dt.date(2015, 1, 1) + dt.timedelta(days=rnd.randrange(3650))).isoformat()

    return {
        "equality filter + sort by amount (desc)":
            [f"{ROWS}?category={cat()}&sort=-amount&limit=100" for _ in range(n)],
        "equality + range filter + sort by amount (desc)":
            [f"{ROWS}?category={cat()}&amount__gte={rnd.uniform(0, 20000):.2f}&sort=-amount&limit=100"
             for _ in range(n)],
        "range filter + sort by date":
            [f"{ROWS}?date__gte={day()}&sort=date&limit=100" for _ in range(n)],
        "two equality filters + sort by date (desc)":
            [f"{ROWS}?category={cat()}&division={rnd.choice(DIVISIONS)}&sort=-date&limit=100" for _ in range(n)],
        "equality filter, primary-key order":
            [f"{ROWS}?division={rnd.choice(DIVISIONS)}&limit=100" for _ in range(n)],
    }


def run(args) -> dict:
    home, _parquet = prepare_home(args.workdir, args.rows, 0)
    port = free_port()
    server = start_opendata(home, port, args.workdir / "gunicorn.log")
    results: dict = {"rows": args.rows, "load_before": os.getloadavg()[0], "kinds": {}}
    try:
        kinds = query_kinds()
        for paths in kinds.values():  # every URL shape answers 200 with rows before it is timed
            for path in paths[:3]:
                if not get_json(port, path)["rows"]:
                    raise SystemExit(f"no rows for {path}")
        for _ in range(10):  # both workers open the row database
            get_json(port, kinds["equality filter, primary-key order"][0])
        for name, paths in kinds.items():
            rounds = [wrk(port, paths, args.workdir, args.seconds, f"rows-{i}") for i in range(args.rounds)]
            bad = sum(r["errors"] for r in rounds)
            if bad:
                raise SystemExit(f"{name}: {bad} requests failed (see {args.workdir / 'gunicorn.log'})")
            results["kinds"][name] = rounds
            print(f"{name}: p95 " + ", ".join(f"{r['p95']:.1f}" for r in rounds) + " ms", flush=True)
        results["load_after"] = os.getloadavg()[0]
    finally:
        stop(server)
    return results


def cpu_per_query(db: Path, runs: int) -> dict[str, float]:
    """Median CPU ms per query of each kind, in-process, every total counted (no cache)."""
    import time
    from urllib.parse import parse_qs, urlsplit

    from opendata.core.rowquery import RowQueryEngine

    engine = RowQueryEngine(lambda v: db, b"bench-secret", result_cache=0, count_cache=0, timeout=60)
    out = {}
    try:
        for name, paths in query_kinds(runs + 5).items():
            args = [parse_qs(urlsplit(p).query) for p in paths]
            for a in args[:5]:  # warm up: the version opened, its blocks read once
                engine.query("v", a)
            samples = []
            for a in args[5:]:
                started = time.process_time()
                engine.query("v", a)
                samples.append((time.process_time() - started) * 1000)
            out[name] = statistics.median(samples)
            print(f"{name}: {out[name]:.2f} CPU ms", flush=True)
    finally:
        engine.close()
    return out


def render(r: dict, seconds: int) -> str:
    lines = [HEADING, "",
             f"Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/rows_http.py --rows {r['rows']}` on "
             f"{machine()}. Load average (1 min) before/after: {r['load_before']:.2f} / {r['load_after']:.2f}.", "",
             f"{r['rows']:,} rows of the 9-field benchmark CSV, ingested and published through the services; "
             "gunicorn with 2 workers (gthread, 4 threads); wrk with 8 connections over 4,000 distinct URLs per "
             f"query kind, {seconds} s per round. Target: p95 < 100 ms for a filter + sort page.", "",
             "| query (100 rows a page) | p50 ms | p95 ms (median of rounds) | p95 of each round | requests/s |",
             "|---|---:|---:|---|---:|"]
    for name, rounds in r["kinds"].items():
        lines.append(f"| {name} | {statistics.median(x['p50'] for x in rounds):.1f} | "
                     f"**{statistics.median(x['p95'] for x in rounds):.1f}** | "
                     f"{', '.join(format(x['p95'], '.1f') for x in rounds)} | "
                     f"{statistics.median(x['rps'] for x in rounds):.0f} |")
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or append it)."""
    text = DOC.read_text("utf-8")
    match = re.search(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        text = text[:match.start()] + section + "\n" + text[match.end():]
    else:
        text = text.rstrip() + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=None,
                        help="where the published home is kept (default bench/data/rows-http-<rows>)")
    parser.add_argument("--write", action="store_true", help="record the results in docs/benchmarks.md")
    parser.add_argument("--cpu", type=Path, default=None, metavar="DB",
                        help="instead: CPU ms per query in-process against this prepared row database")
    parser.add_argument("--runs", type=int, default=100, help="queries per kind with --cpu")
    args = parser.parse_args(argv)
    if args.cpu:
        sys.path.insert(0, str(ROOT))
        cpu_per_query(args.cpu, args.runs)
        return 0
    args.workdir = args.workdir or ROOT / "bench" / "data" / f"rows-http-{args.rows}"
    results = run(args)
    section = render(results, args.seconds)
    print()
    print(section)
    if args.write:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
