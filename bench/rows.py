"""Row-query engine benchmark (in-process): 1M generated rows, prepared once, queries timed.

Run by hand: ``.venv/bin/python bench/rows.py [--rows N] [--runs N] [--datasette] [--write]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from opendata.core.rowquery import RowQueryEngine, prepare_version  # noqa: E402
from opendata.core.tableschema import load_table_schema  # noqa: E402

CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认", "其他"]
_ORG_PREFIX = ["北京市", "上海市", "杭州市", "广州市", "深圳市", "成都市", "武汉市", "南京市", "西安市", "重庆市"]
_ORG_MIDDLE = ["朝阳区", "海淀区", "浦东新区", "西湖区", "天河区", "南山区", "武侯区", "江汉区", "玄武区", "雁塔区"]
_ORG_SUFFIX = ["市场监督管理局", "生态环境局", "交通运输局", "卫生健康委员会", "教育局", "住房和城乡建设局",
               "城市管理局", "税务局", "应急管理局", "人力资源和社会保障局"]
_REMARKS = ["依法办理", "材料齐全，予以受理", "现场检查未发现问题", "责令限期整改", "已结案", "群众举报核实",
            "按期完成整改", "移送相关部门处理", "申请材料不全，需补正", "无异议"]
_DIVISIONS = ["110105", "110108", "310115", "330106", "440106", "440305", "510107", "420103", "320102", "610113"]

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer"},
        {"name": "division", "type": "string"},
        {"name": "org", "type": "string"},
        {"name": "date", "type": "date"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "category", "type": "string", "constraints": {"enum": CATEGORIES}},
        {"name": "lat", "type": "number"},
        {"name": "lon", "type": "number"},
        {"name": "remarks", "type": "string"},
    ],
    "primaryKey": "id",
}


def make_table(n: int, seed: int = 42) -> pa.Table:
    """The benchmark table: n rows generated deterministically from ``seed``."""
    rng = np.random.default_rng(seed)
    orgs = np.array([p + m + s for p in _ORG_PREFIX for m in _ORG_MIDDLE for s in _ORG_SUFFIX])
    start = np.datetime64("2015-01-01")
    dates = start + rng.integers(0, 3650, n).astype("timedelta64[D]")
    ids = rng.permutation(n) + 1  # written out of order: prepare sorts by the primary key
    return pa.table({
        "id": pa.array(ids, pa.int64()),
        "division": pa.array(np.array(_DIVISIONS)[rng.integers(0, len(_DIVISIONS), n)]),
        "org": pa.array(orgs[rng.integers(0, len(orgs), n)]),
        "date": pa.array(dates.astype("datetime64[D]"), pa.date32()),
        "amount": pa.array(np.round(rng.exponential(5000.0, n), 2)),
        "category": pa.array(np.array(CATEGORIES)[rng.integers(0, len(CATEGORIES), n)]),
        "lat": pa.array(np.round(rng.uniform(18.0, 53.0, n), 6)),
        "lon": pa.array(np.round(rng.uniform(73.0, 135.0, n), 6)),
        "remarks": pa.array(np.array(_REMARKS)[rng.integers(0, len(_REMARKS), n)]),
    })


def write_parquet(table: pa.Table, path: Path) -> Path:
    pq.write_table(table, path, compression="zstd")
    return path


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def _time(fn, runs: int) -> tuple[float, float]:
    fn()  # warm up: open the version, fill caches a real server would already have
    samples = []
    for i in range(runs):
        started = time.perf_counter()
        fn(i)
        samples.append((time.perf_counter() - started) * 1000)
    return _percentiles(samples)


def bench_engine(db: Path, runs: int, *, result_cache: int, threads: int) -> dict[str, tuple[float, float]]:
    """p50/p95 in ms for each operation through ``RowQueryEngine.query``."""
    engine = RowQueryEngine(lambda v: db, b"bench-secret", result_cache=result_cache, threads=threads)
    out: dict[str, tuple[float, float]] = {}

    def cat(i: int) -> str:
        return CATEGORIES[i % len(CATEGORIES)] if result_cache == 0 else CATEGORIES[1]

    def walk(i: int = 0, sort: str = "") -> None:
        args = {"category": cat(i), "limit": "100", "sort": sort}
        for _ in range(100):
            args["next"] = engine.query("v", args).next_cursor
            if args["next"] is None:  # fewer than 10,000 matches (a small --rows): the walk ends early
                break

    ops = {
        "filter 1/8 + page of 100 + total": lambda i=0: engine.query("v", {"category": cat(i)}),
        "same, sorted by amount": lambda i=0: engine.query("v", {"category": cat(i), "sort": "amount"}),
        "same, sorted by -amount": lambda i=0: engine.query("v", {"category": cat(i), "sort": "-amount"}),
        "same, sorted by org,-amount (no sorted copy)":
            lambda i=0: engine.query("v", {"category": cat(i), "sort": "org,-amount"}),
        "group-by count over category": lambda i=0: engine.query("v", {"group_by": "category"}),
        "group-by category, sum:amount, filter division":
            lambda i=0: engine.query("v", {"group_by": "category", "agg": "count,sum:amount",
                                           "division": _DIVISIONS[i % len(_DIVISIONS) if not result_cache else 0]}),
        "q=整改 (full text) + page + total": lambda i=0: engine.query("v", {"q": "整改"}),
        "new filter each time (count not cached)":
            lambda i=0: engine.query("v", {"amount__gte": str(1000 + i + result_cache), "division": "110105"}),
    }
    if result_cache:
        ops = {k: v for k, v in ops.items() if not k.startswith("new filter")}
    for name, fn in ops.items():
        out[name] = _time(fn, runs)
    walk_runs = max(5, runs // 20)
    out["keyset walk 10,000 rows (100 pages), whole walk"] = _time(walk, walk_runs)
    out["keyset walk 10,000 rows sorted by amount, whole walk"] = _time(lambda i=0: walk(i, "amount"), walk_runs)
    engine.close()
    return out


def bench_throughput(db: Path, seconds: float, *, clients: int, result_cache: int, threads: int) -> dict[str, float]:
    """Requests per second and p95 with ``clients`` threads sharing one engine (one process)."""
    import threading

    engine = RowQueryEngine(lambda v: db, b"bench-secret", result_cache=result_cache, threads=threads)
    ops = {
        "filter 1/8 + page of 100 + total": lambda i: {"category": CATEGORIES[i % 8]},
        "same, sorted by amount": lambda i: {"category": CATEGORIES[i % 8], "sort": "amount"},
    }
    out: dict[str, float] = {}
    for name, make in ops.items():
        for i in range(8):
            engine.query("v", make(i))
        samples: list[float] = []
        stop = time.perf_counter() + seconds

        def client(k: int, make=make, stop=stop, samples=samples) -> None:
            i = k
            while time.perf_counter() < stop:
                started = time.perf_counter()
                engine.query("v", make(i if not result_cache else 0))
                samples.append((time.perf_counter() - started) * 1000)
                i += clients

        workers = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
        begun = time.perf_counter()
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        elapsed = time.perf_counter() - begun
        out[name] = (len(samples) / elapsed, _percentiles(samples)[1])
    engine.close()
    return out


def bench_datasette(table: pa.Table, workdir: Path, runs: int) -> dict[str, tuple[float, float]] | None:
    """The same operations through Datasette's in-process client on SQLite (index on category)."""
    try:
        import asyncio
        import sqlite3

        from datasette.app import Datasette
    except ImportError:
        return None
    db = workdir / "bench.db"
    if not db.exists():
        con = sqlite3.connect(db)
        frame = table.to_pandas()
        frame["date"] = frame["date"].astype(str)
        frame.to_sql("rows", con, index=False, dtype={"id": "INTEGER PRIMARY KEY"})
        con.execute("CREATE INDEX rows_category ON rows(category)")
        con.commit()
        con.close()
    ds = Datasette([str(db)], settings={"suggest_facets": False, "num_sql_threads": 3})
    out: dict[str, tuple[float, float]] = {}

    async def run() -> None:
        async def get(path: str) -> dict:
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
            return response.json()

        async def timed(make_path, n) -> tuple[float, float]:
            await get(make_path(0))
            samples = []
            for i in range(n):
                started = time.perf_counter()
                await get(make_path(i))
                samples.append((time.perf_counter() - started) * 1000)
            return _percentiles(samples)

        def cat(i: int) -> str:
            return CATEGORIES[i % len(CATEGORIES)]

        out["filter 1/8 + page of 100 + total"] = await timed(
            lambda i: f"/bench/rows.json?category={cat(i)}&_size=100", runs)
        out["same, sorted by amount"] = await timed(
            lambda i: f"/bench/rows.json?category={cat(i)}&_size=100&_sort=amount", max(10, runs // 10))
        out["group-by count over category"] = await timed(
            lambda i: "/bench.json?sql=select+category,count(*)+from+rows+group+by+category+order+by+category",
            max(10, runs // 4))

        async def walk(i: int) -> None:
            path = f"/bench/rows.json?category={cat(i)}&_size=100"
            for _ in range(100):
                body = await get(path)
                path = f"/bench/rows.json?category={cat(i)}&_size=100&_next={body['next']}"

        samples = []
        for i in range(max(3, runs // 40)):
            started = time.perf_counter()
            await walk(i)
            samples.append((time.perf_counter() - started) * 1000)
        out["keyset walk 10,000 rows (100 pages), whole walk"] = _percentiles(samples)

    asyncio.run(run())
    return out


def _machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import duckdb

    return (f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, pyarrow {pa.__version__}")


def write_report(path: Path, text: str) -> None:
    """Replace (or append) the "Row query engine (in-process)" section of docs/benchmarks.md."""
    heading = "## Row query engine (in-process)"
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    if heading in old:
        start = old.index(heading)
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + text + (old[nxt + 1:] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    path.write_text(new, encoding="utf-8")


def _table(rows: dict[str, tuple[float, float]], peer: dict[str, tuple[float, float]] | None = None) -> str:
    head = "| operation | p50 ms | p95 ms |" + (" Datasette p50 ms | Datasette p95 ms |" if peer else "")
    sep = "|---|---:|---:|" + ("---:|---:|" if peer else "")
    lines = [head, sep]
    for name, (p50, p95) in rows.items():
        line = f"| {name} | {p50:.2f} | {p95:.2f} |"
        if peer:
            theirs = peer.get(name)
            line += f" {theirs[0]:.1f} | {theirs[1]:.1f} |" if theirs else " – | – |"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--threads", type=int, default=2, help="DuckDB threads per open version")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "opendata-bench-rows")
    parser.add_argument("--datasette", action="store_true", help="also time Datasette in-process (SQLite)")
    parser.add_argument("--write", action="store_true", help="write the results to docs/benchmarks.md")
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    table = make_table(args.rows)
    parquet = write_parquet(table, args.workdir / f"rows-{args.rows}.parquet")
    started = time.perf_counter()
    db = prepare_version(parquet, load_table_schema(SCHEMA), args.workdir / f"rows-{args.rows}.duckdb",
                         threads=args.threads)
    prepare_s = time.perf_counter() - started
    sizes = f"Parquet {parquet.stat().st_size / 2**20:.1f} MiB, prepared DuckDB {db.stat().st_size / 2**20:.1f} MiB"
    copies = _copies(db)
    print(f"prepared in {prepare_s:.1f} s ({sizes}; {copies})", flush=True)
    cold = bench_engine(db, args.runs, result_cache=0, threads=args.threads)
    print(_table(cold), flush=True)
    warm = bench_engine(db, args.runs, result_cache=256, threads=args.threads)
    print(_table(warm), flush=True)
    load = {cache: bench_throughput(db, 10.0, clients=8, result_cache=cache, threads=args.threads)
            for cache in (0, 256)}
    for cache, figures in load.items():
        print(cache, figures, flush=True)
    peer = bench_datasette(table, args.workdir, args.runs) if args.datasette else None
    if peer:
        print(_table(peer), flush=True)
    report = f"""## Row query engine (in-process)

Run {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC with `.venv/bin/python bench/rows.py --rows {args.rows} --runs {args.runs} --threads {args.threads}{' --datasette' if peer else ''} --write`
on {_machine()}. Load average (1 min) before/after: {load_before:.2f} / {os.getloadavg()[0]:.2f} on 2 cores{_load_note(load_before)}.
These are single-query latencies measured in-process (no HTTP, one client thread); the HTTP-level comparison
with Datasette and nginx at 8 connections is `bench/api.py`.

Data: {args.rows:,} generated rows (seed 42): id (primary key, written shuffled), division code, Chinese organisation
name, date, amount ≥ 0, category (8 values), lat, lon, Chinese remarks. {sizes}; `prepare_version` took
{prepare_s:.1f} s (row table sorted by primary key, value counts, {copies}).

Every row-query call below is `RowQueryEngine.query(version, args)` and includes parsing, SQL, DuckDB, the total,
the signed `next` cursor and rendering the JSON body. The category rotates over all 8 values between runs.

### Without the result cache (every call runs DuckDB)

{_table(cold, peer)}

### With the result cache (identical requests, as a load test hitting one URL sees them)

{_table(warm)}

### Throughput: 8 client threads sharing one engine in one process, 10 s each

| operation | result cache | requests/s | p95 ms |
|---|---|---:|---:|
""" + "\n".join(f"| {name} | {'on, one URL' if cache else 'off, category rotates'} | {rps:.0f} | {p95:.1f} |"
                for cache, figures in load.items() for name, (rps, p95) in figures.items()) + "\n"
    if peer:
        report += f"""
The Datasette columns are Datasette {_datasette_version()} answering the same operations through its in-process client
(`datasette.client.get`, full request handling without a socket) on a SQLite copy of the same rows with an index on
`category`, `suggest_facets` off; the group-by is a SQL query; its walk follows its own `_next` tokens.
"""
    print(report)
    if args.write:
        write_report(Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md", report)
    return 0


def _load_note(before: float) -> str:
    """What the load before the run says of the figures (the load after counts the benchmark's own threads)."""
    if before < 1.0:
        return " (the load after is the benchmark's own threads)"
    return ": the machine was shared with other work, so every figure (ours and Datasette's alike) is inflated"


def _copies(db: Path) -> str:
    """The copies the prepared database holds and those its size cap left out, in words."""
    import duckdb

    from opendata.core.rowquery.prepare import read_meta

    con = duckdb.connect(str(db), read_only=True)
    try:
        meta = read_meta(con)
    finally:
        con.close()
    built = ([f"sorted by {c}" for c in meta["sorted"]] + [f"thin, sorted by {c}" for c in meta.get("thin") or {}]
             + [f"grouped by {c}" for c in meta["clustered"]])
    left = [f"{s['copy']} by {s['column']}" for s in meta.get("skipped_copies", [])]
    return (f"copies {', '.join(built) or 'none'}"
            + (f"; left out to stay within 2x the Parquet size: {', '.join(left)}" if left else ""))


def _datasette_version() -> str:
    try:
        from datasette.version import __version__
    except ImportError:
        return "?"
    return __version__


if __name__ == "__main__":
    sys.exit(main())
