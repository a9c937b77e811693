"""What each copy of the row database costs and buys: bench/rows.py's 1M rows prepared with one copy
at a time, the default set and the set the tree before issue 16 built, the same queries timed on each.

Run by hand: ``.venv/bin/python bench/copies.py [--rows N] [--rounds N] [--write]``.

Every layout is prepared from one Parquet file; the queries then run in rounds, each round visiting
every layout in turn (the order reversed every other round), and a figure is the median over the
rounds of each round's median (in-process, ``RowQueryEngine.query`` without the result cache).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api import machine, show  # noqa: E402
from rows import _DIVISIONS, CATEGORIES, SCHEMA, make_table, write_parquet  # noqa: E402

from opendata.core.rowquery import RowQueryEngine, prepare_version  # noqa: E402
from opendata.core.tableschema import load_table_schema  # noqa: E402

HEADING = "## Row database copies: what each costs and buys"
NONE = {"sort_columns": [], "cluster_columns": [], "thin_columns": []}
LAYOUTS = {
    "the row table alone": NONE,
    "+ a full copy sorted by amount": {**NONE, "sort_columns": ["amount"]},
    "+ a thin copy of amount and the row-id index": {**NONE, "thin_columns": ["amount"]},
    "+ a copy grouped by category": {**NONE, "cluster_columns": ["category"]},
    "+ a copy grouped by division": {**NONE, "cluster_columns": ["division"]},
    "**the default** (within 2x the Parquet file)": {},
    "the set before issue 16 (full copies by date and amount, grouped by category and division)":
        {"sort_columns": ["date", "amount"], "cluster_columns": ["category", "division"], "thin_columns": []},
}
QUERIES = {
    "category, sort amount": lambda i: {"category": CATEGORIES[i % 8], "sort": "amount"},
    "category, sort -amount": lambda i: {"category": CATEGORIES[i % 8], "sort": "-amount"},
    "category, sort org,-amount": lambda i: {"category": CATEGORIES[i % 8], "sort": "org,-amount"},
    "category, a page after a cursor, sort amount": None,  # built from each layout's own first page
    "division, group-by category, sum:amount": lambda i: {"group_by": "category", "agg": "count,sum:amount",
                                                          "division": _DIVISIONS[i % len(_DIVISIONS)]},
    "amount range, sort -amount": lambda i: {"amount__gte": str(1000 + i), "amount__lte": "5000",
                                             "sort": "-amount"},
    "category page, key order": lambda i: {"category": CATEGORIES[i % 8]},
}


def run(rows: int, rounds: int, calls: int, workdir: Path) -> dict:
    parquet = workdir / f"rows-{rows}.parquet"
    if not parquet.exists():
        write_parquet(make_table(rows), parquet)
    schema = load_table_schema(SCHEMA)
    built: dict[str, dict] = {}
    for name, kwargs in LAYOUTS.items():
        out = workdir / f"layout-{len(built)}.duckdb"
        out.unlink(missing_ok=True)
        started = time.perf_counter()
        prepare_version(parquet, schema, out, **kwargs)
        engine = RowQueryEngine(lambda v, out=out: out, b"bench-secret", result_cache=0, threads=2)
        cursors = [engine.query("v", {"category": c, "sort": "amount"}).next_cursor for c in CATEGORIES]
        built[name] = {"engine": engine, "mib": out.stat().st_size / 2**20, "build_s": time.perf_counter() - started,
                       "cursors": cursors, "ms": {q: [] for q in QUERIES}}
    order = list(built)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            layout = built[name]
            for query, make in QUERIES.items():
                def args(i: int, layout=layout, make=make) -> dict:
                    if make is None:
                        return {"category": CATEGORIES[i % 8], "sort": "amount", "next": layout["cursors"][i % 8]}
                    return make(i)
                for i in range(8):  # warm: the version open, its pages cached by DuckDB
                    layout["engine"].query("v", args(i))
                samples = []
                for i in range(calls):
                    started = time.perf_counter()
                    layout["engine"].query("v", args(i))
                    samples.append((time.perf_counter() - started) * 1000)
                layout["ms"][query].append(statistics.median(samples))
    for layout in built.values():
        layout["engine"].close()
    return {name: {"mib": b["mib"], "build_s": b["build_s"], "ms": {q: statistics.median(v) for q, v in b["ms"].items()}}
            for name, b in built.items()} | {"_parquet_mib": parquet.stat().st_size / 2**20}


def render(r: dict, rows: int, rounds: int, calls: int, load: tuple[float, float]) -> str:
    parquet = r.pop("_parquet_mib")
    lines = [
        HEADING, "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/copies.py` on {machine()}; load average (1 min) "
        f"{load[0]:.1f} before, {load[1]:.1f} after. {rows:,} rows of bench/rows.py (Parquet {parquet:.1f} MiB, so the "
        f"cap of twice its size is {2 * parquet:.1f} MiB), each layout prepared from it; in-process p50 ms, the median "
        f"of {rounds} rounds of {calls} calls a query, the layouts in turn.",
        "",
        "| layout | MiB | build s | " + " | ".join(QUERIES) + " |",
        "|---|---:|---:|" + "---:|" * len(QUERIES),
    ]
    for name, x in r.items():
        lines.append(f"| {name} | {x['mib']:.1f} | {x['build_s']:.1f} | "
                     + " | ".join(f"{x['ms'][q]:.2f}" for q in QUERIES) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=40, help="calls of each query per round")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "opendata-bench-copies")
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    before = os.getloadavg()[0]
    results = run(args.rows, args.rounds, args.calls, args.workdir)
    text = render(results, args.rows, args.rounds, args.calls, (before, os.getloadavg()[0]))
    show(text, args.write, HEADING)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
