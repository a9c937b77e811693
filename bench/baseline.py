"""Is this tree slower than an earlier one on any row query? Both trees side by side, in turn.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/baseline.py --rev 3988642^            # compare with that commit
    .venv/bin/python bench/baseline.py --rev 3988642^ --write    # and write the section of docs/benchmarks.md

The earlier tree is checked out with ``git worktree`` under --workdir. Each tree prepares its own
data with its own code, from the same generated rows, so a change in what publication builds (the
row database's copies) is measured with the code that reads it:

- **In-process** (bench/rows.py's operations): each tree's ``prepare_version`` builds its database from
  one 1M-row Parquet file, and each tree's ``bench_engine`` times it in its own process; the processes
  alternate (A B, then B A), --pairs pairs.
- **Over HTTP** (bench/api.py's row queries): each tree publishes bench/ingest.py's 1M-row CSV through
  its own services into its own OPENDATA_HOME, and serves it with gunicorn (2 workers, 4 threads);
  wrk at 8 connections runs each query against one tree, then the other, --rounds rounds; then the
  sequential keyset walks of bench/api.py, the trees in turn.

Every figure is a median of per-pair ratios of speed (this tree's over the earlier tree's: above 1
is faster) with their min–max, beside each side's medians and the servers' CPU seconds.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from api import (  # noqa: E402
    OD_ROWS,
    free_port,
    machine,
    od_walk,
    row_query_paths,
    sequential_walks,
    show,
    spread,
    start_opendata,
    stop,
    wrk,
)
from proc import tree_cpu  # noqa: E402

HEADING = "## Against an earlier tree (row queries)"
SIDES = ("this tree", "earlier tree")
# run in each tree's own process, on its own code: prepare (once) and time bench/rows.py's operations
IN_PROCESS = r"""
import json, sys
from pathlib import Path
tree, parquet, db, runs = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
sys.path[:0] = [tree, tree + "/bench"]
from rows import SCHEMA, bench_engine
from opendata.core.rowquery import prepare_version
from opendata.core.tableschema import load_table_schema
if not db.exists():
    prepare_version(parquet, load_table_schema(SCHEMA), db)
print("RESULT " + json.dumps({k: v[0] for k, v in bench_engine(db, runs, result_cache=0, threads=2).items()}))
"""
# run in each tree's own process: publish bench/ingest.py's CSV into its own home (reused when ready)
HOME = r"""
import sys
from pathlib import Path
tree, workdir, rows = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
sys.path[:0] = [tree, tree + "/bench"]
from api_data import prepare_home
home, parquet = prepare_home(workdir, rows, 10)
print("RESULT", home)
"""


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True).stdout.strip()


def tree_key() -> str:
    """This tree's commit and uncommitted code changes, so its prepared data is rebuilt when they change."""
    changes = git("diff", "HEAD", "--", "opendata", "bench", "migrations")
    return hashlib.sha1((git("rev-parse", "HEAD") + changes).encode()).hexdigest()[:12]


def checkout(rev: str, workdir: Path) -> tuple[Path, str]:
    """A worktree of ``rev`` under ``workdir`` (reused); (its path, the full commit)."""
    try:
        commit = git("rev-parse", "--verify", f"{rev}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"--rev {rev!r} is not a commit of this repository") from None
    tree = workdir / f"tree-{commit[:12]}"
    if not (tree / "opendata").is_dir():
        shutil.rmtree(tree, ignore_errors=True)
        git("worktree", "prune")
        git("worktree", "add", "--detach", str(tree), commit)
    for needed in ("bench/rows.py", "bench/api_data.py"):
        if not (tree / needed).exists():
            raise SystemExit(f"{rev} has no {needed}: pick a later commit")
    return tree, commit


def run_side(code: str, tree: Path, *args: object) -> tuple[str, float]:
    """``code`` in a fresh interpreter on ``tree``'s code; (its RESULT line, its CPU seconds)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run([sys.executable, "-c", code, str(tree), *map(str, args)], cwd=tree, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(tree)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    line = next((x for x in out.stdout.splitlines() if x.startswith("RESULT ")), None)
    if out.returncode or line is None:
        raise SystemExit(f"{tree}: {out.stderr[-2000:] or out.stdout[-2000:]}")
    return line[len("RESULT "):], (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def in_process(trees: dict[str, Path], workdir: Path, keys: dict[str, str], pairs: int, runs: int) -> dict:
    """bench/rows.py's operations on each tree's own database, the processes in turn."""
    # this tree's generator: both trees read the same file
    from rows import make_table, write_parquet

    parquet = workdir / "rows-1000000.parquet"
    if not parquet.exists():
        write_parquet(make_table(1_000_000), parquet)
    dbs = {side: workdir / f"rows-{keys[side]}.duckdb" for side in trees}
    ms: dict[str, list[dict[str, float]]] = {side: [] for side in trees}
    cpu: dict[str, list[float]] = {side: [] for side in trees}
    for i in range(pairs):
        for side in (SIDES if i % 2 == 0 else SIDES[::-1]):
            line, seconds = run_side(IN_PROCESS, trees[side], parquet, dbs[side], runs)
            ms[side].append(json.loads(line))
            cpu[side].append(seconds)
    ops = [k for k in ms[SIDES[0]][0] if k in ms[SIDES[1]][0]]
    return {"ops": {op: {"ms": {side: [x[op] for x in ms[side]] for side in trees},
                         "ratios": [b[op] / a[op] for a, b in zip(ms[SIDES[0]], ms[SIDES[1]], strict=True)]}
                    for op in ops},
            "cpu": cpu, "db_bytes": {side: dbs[side].stat().st_size for side in trees}}


def over_http(trees: dict[str, Path], workdir: Path, keys: dict[str, str], rows: int, rounds: int,
              seconds: int) -> dict:
    """bench/api.py's row queries against each tree's gunicorn, wrk at 8 connections, the trees in turn."""
    homes = {}
    for side, tree in trees.items():
        line, _ = run_side(HOME, tree, workdir / f"home-{keys[side]}", rows)
        homes[side] = Path(line.strip())
    ports = {side: free_port() for side in trees}
    procs = {}
    try:
        for side in trees:
            procs[side] = start_opendata(homes[side], ports[side], workdir / f"gunicorn-{keys[side]}.log", trees[side])
        walks = sequential_walks({side: (ports[side], od_walk) for side in SIDES}, rounds)
        # a cursor is signed by its home and pins its version: each tree replays its own walks' pages
        paths = {name: dict.fromkeys(SIDES, plist) for name, plist in row_query_paths(OD_ROWS).items()}
        paths["keyset walk"] = dict(zip(SIDES, walks.pop("paths"), strict=True))
        out: dict = {"sequential walk": walks}
        for name, plists in paths.items():
            measured: dict[str, list[dict]] = {side: [] for side in trees}
            for r in range(rounds):
                for side in (SIDES if r % 2 == 0 else SIDES[::-1]):
                    cpu = tree_cpu(procs[side].pid)
                    measured[side].append({**wrk(ports[side], plists[side], workdir, seconds, f"{keys[side]}-{name}"),
                                           "cpu_s": tree_cpu(procs[side].pid) - cpu})
            out[name] = {"rounds": measured, "ratios": [a["rps"] / b["rps"] for a, b in
                                                        zip(measured[SIDES[0]], measured[SIDES[1]], strict=True)]}
        return out
    finally:
        for proc in procs.values():
            stop(proc)


def render(r: dict) -> str:
    http, inproc = r["http"], r["in_process"]
    names = {"sorted page": "filter (1/8 of rows) + sort by amount, page of 100, total",
             "filtered page": "filter (1/8 of rows), page of 100, total",
             "group-by count": "group-by count over category",
             "keyset walk": "keyset walk pages (100 rows each, cursor URLs replayed)"}
    lines = [
        HEADING, "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/baseline.py --rev {r['rev']}` on {machine()}. "
        f"This tree: {r['head']}{' with uncommitted changes' if r['dirty'] else ''}; earlier tree: {r['commit'][:12]}. "
        f"Load average (1 min) {r['load_before']:.1f} before, {r['load_after']:.1f} after, on {os.cpu_count()} cores. "
        "Ratios are of speed, this tree's over the earlier tree's (above 1 is faster): the median of the per-pair "
        "ratios with their min–max.",
        "",
        f"Over HTTP: each tree published bench/ingest.py's {r['rows']:,}-row CSV through its own services and served it "
        f"with gunicorn (2 workers, 4 threads); wrk, 8 connections, {r['seconds']} s a run, {r['rounds']} rounds, the "
        "trees in turn (A B, then B A). CPU is the gunicorn master's and workers' per run.",
        "",
        "| query | this tree p50 ms | req/s | CPU s | earlier p50 ms | req/s | CPU s | speed ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for key, label in names.items():
        med = {side: {k: statistics.median(x[k] for x in http[key]["rounds"][side]) for k in ("p50", "rps", "cpu_s")}
               for side in SIDES}
        lines.append(f"| {label} | {med[SIDES[0]]['p50']:.1f} | {med[SIDES[0]]['rps']:.0f} | {med[SIDES[0]]['cpu_s']:.1f} "
                     f"| {med[SIDES[1]]['p50']:.1f} | {med[SIDES[1]]['rps']:.0f} | {med[SIDES[1]]['cpu_s']:.1f} | "
                     f"{spread(http[key]['ratios'], '×', 2)} |")
    walk = http["sequential walk"]
    lines += [
        "",
        f"- Keyset walk through 10,000 rows of one category (100 sequential pages, one connection), "
        f"{len(walk['ms'][SIDES[0]])} walks a tree, in turn: this tree {spread(walk['ms'][SIDES[0]], ' ms')}, earlier "
        f"tree {spread(walk['ms'][SIDES[1]], ' ms')}; speed ratio {spread(walk['ratios'][SIDES[1]], '×', 2)}.",
        "",
        f"In-process (bench/rows.py's operations through `RowQueryEngine.query`, {r['runs']} runs each, p50 ms; "
        f"each tree prepared its own database from one {1_000_000:,}-row Parquet file: this tree's "
        f"{inproc['db_bytes'][SIDES[0]] / 2**20:.1f} MiB, the earlier tree's {inproc['db_bytes'][SIDES[1]] / 2**20:.1f} "
        f"MiB), {r['pairs']} processes a tree, in turn; CPU seconds a process: this tree "
        f"{spread(inproc['cpu'][SIDES[0]], ' s', 1)}, earlier {spread(inproc['cpu'][SIDES[1]], ' s', 1)}.",
        "",
        "| operation | this tree p50 ms | earlier p50 ms | speed ratio |",
        "|---|---:|---:|---:|",
    ]
    for op, x in inproc["ops"].items():
        lines.append(f"| {op} | {statistics.median(x['ms'][SIDES[0]]):.2f} | {statistics.median(x['ms'][SIDES[1]]):.2f} "
                     f"| {spread(x['ratios'], '×', 2)} |")
    slower = [k for k in names if statistics.median(http[k]["ratios"]) < 1 and max(http[k]["ratios"]) < 1]
    slower += [op for op, x in inproc["ops"].items() if max(x["ratios"]) < 1]
    lines += ["", "Slower in every pair: " + (", ".join(slower) if slower else "none") + ".", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rev", required=True, help="the earlier commit (anything git rev-parse takes)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the dataset served over HTTP")
    parser.add_argument("--rounds", type=int, default=5, help="rounds over HTTP, the trees in turn")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per run")
    parser.add_argument("--pairs", type=int, default=4, help="in-process runs of each tree, in turn")
    parser.add_argument("--runs", type=int, default=60, help="timed runs of each in-process operation")
    parser.add_argument("--only", choices=("http", "in-process"), help="run one half (not with --write)")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opendata-bench-baseline"))
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args(argv)
    if args.only and args.write:
        parser.error("--write needs both halves")
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (apt-get install -y wrk)")
    args.workdir.mkdir(parents=True, exist_ok=True)
    tree, commit = checkout(args.rev, args.workdir)
    trees = dict(zip(SIDES, (ROOT, tree), strict=True))
    keys = dict(zip(SIDES, (tree_key(), commit[:12]), strict=True))
    for old in [*args.workdir.glob("home-*"), *args.workdir.glob("rows-*.duckdb")]:  # data of trees gone since
        if not any(key in old.name for key in keys.values()):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    results = {"rev": args.rev, "commit": commit, "head": git("rev-parse", "--short=12", "HEAD"),
               "dirty": bool(git("status", "--porcelain", "--untracked-files=no", "--", "opendata", "bench")),
               "rows": args.rows,
               "rounds": args.rounds, "seconds": args.seconds, "pairs": args.pairs, "runs": args.runs,
               "load_before": os.getloadavg()[0]}
    if args.only != "http":
        results["in_process"] = in_process(trees, args.workdir, keys, args.pairs, args.runs)
    if args.only != "in-process":
        results["http"] = over_http(trees, args.workdir, keys, args.rows, args.rounds, args.seconds)
    results["load_after"] = os.getloadavg()[0]
    (args.workdir / "results.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    if args.only:
        print(json.dumps(results, indent=1, ensure_ascii=False))
        return 0
    text = render(results)
    show(text, args.write, HEADING)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
