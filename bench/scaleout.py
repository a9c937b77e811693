"""Scale-out mode against the embedded mode, in one run on the same data.

Both serve the same catalogue and the same published version (N generated rows) with the same
gunicorn settings: the embedded mode on SQLite with one data folder; the scale-out mode as
`make scaleout` starts it (PostgreSQL, Redis rate-limit storage and job queue, two replicas, one
worker, nginx in front), its artifacts in the shared folder (``--store folder``, the default here:
nginx sends downloads) or in a bucket of moto's S3 server (``--store s3``: the replicas stream them).
Each read path is timed in rounds that alternate the two (A B, then B A), K requests per side per
round; the figure is the median of the per-round ratios (scale-out rate / embedded rate) with its
min-max, with the server-side CPU seconds of each side beside the wall seconds. Ingest is
`opendata ingest` of one file, alternating, and an API upload until its job succeeded (the
embedded server's own runner against the scale-out queue and worker), alternating. Publish-to-visible: `opendata publish` through the CLI,
then the time until the other replica's search finds the new title.

Run on a quiet machine: ``.venv/bin/python bench/scaleout.py [--rows 200000] [--rounds 7] [--requests 200]``
(rate limits are counted on both sides, in memory and in Redis; nothing else should run).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from proc import tree_cpu  # noqa: E402

from scripts.scaleout import down, up  # noqa: E402
from scripts.services import free_fixed_port, stop_pid, wait_for_port  # noqa: E402

OPENDATA = [sys.executable, "-c", "from opendata.cli import run; run()"]
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"},
                     {"name": "amount", "type": "number"}], "primaryKey": "id"}
CATALOG = """\
catalog: {title: 基准目录, publisher: city}
organizations:
  - {id: city, name: 基准市人民政府, level: city, division_code: "330100"}
datasets:
  - id: budget
    code: "330100/00001"
    title: 基准市财政预算
    publisher: city
    theme: fiscal
    keywords: [预算, 财政]
    license: CC-BY-4.0
    disclosure: unconditional
    frequency: 每年
    schema: rows.json
"""
PATHS = {"rows": "/api/v1/datasets/budget/versions/1/rows?limit=100&offset=1000",
         "search": "/api/v1/datasets?q=" + urllib.parse.quote("预算"),
         "download (streamed)": "/api/v1/datasets/budget/download.csv"}


def _project(folder: Path, rows: int) -> Path:
    (folder / "schemas").mkdir(parents=True)
    (folder / "schemas" / "rows.json").write_text(json.dumps(SCHEMA))
    (folder / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    for seed in (1, 2):  # two versions: ingest is timed twice per side
        _data(folder / f"data-{seed}.csv", rows, seed)
    return folder


def _data(path: Path, rows: int, seed: int) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as out:
        out.write("id,name,amount\n")
        for i in range(1, rows + 1):
            out.write(f"{i},项目{rng.randrange(10**6)},{rng.randrange(10**7) / 100}\n")


def _cli(env: dict[str, str], cwd: Path, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run([*OPENDATA, *args], env={**os.environ, **env}, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def _cli_out(env: dict[str, str], cwd: Path, *args: str) -> str:
    done = subprocess.run([*OPENDATA, *args], env={**os.environ, **env}, cwd=cwd, check=True, capture_output=True,
                          text=True)
    return done.stdout


def _upload_to_succeeded(base: str, token: str, path: Path) -> float:
    """Seconds from an API upload's first byte until its job has succeeded (the jobs path: the server's
    own runner in the embedded mode, the queue and a worker in the scale-out mode)."""
    started = time.perf_counter()
    with open(path, "rb") as fh:
        request = urllib.request.Request(f"{base}/api/v1/datasets/budget/uploads?filename={path.name}", data=fh,
                                         method="POST", headers={"Authorization": f"Bearer {token}",
                                                                 "Content-Type": "text/csv",
                                                                 "Content-Length": str(path.stat().st_size)})
        with urllib.request.urlopen(request, timeout=600) as r:
            job_url = json.loads(r.read())["url"]
    while True:
        with urllib.request.urlopen(urllib.request.Request(
                base + job_url, headers={"Authorization": f"Bearer {token}"}), timeout=60) as r:
            state = json.loads(r.read())["state"]
        if state in ("succeeded", "failed"):
            if state == "failed":
                raise RuntimeError(f"the bench upload failed on {base}")
            return time.perf_counter() - started
        time.sleep(0.02)


def _burst(base: str, path: str, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        with urllib.request.urlopen(base + path, timeout=60) as r:
            r.read()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description="scale-out vs embedded, same data, alternating rounds")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--store", choices=("folder", "s3"), default="folder",
                        help="where the scale-out topology keeps artifacts (scripts/scaleout.py --store)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="opendata-bench-scaleout-"))
    work.chmod(0o755)
    project = _project(work / "project", args.rows)
    # limits on at both sides (counted in memory / in Redis), high enough never to refuse the bench
    limits = {f"OPENDATA_RATE_LIMIT_{kind}": "10000000 per minute"
              for kind in ("ANONYMOUS_READ", "ANONYMOUS_WRITE", "TOKEN_READ", "TOKEN_WRITE", "PAGES")}
    state = up(work / "scaleout", None, limits, args.store)
    embedded_home, port = work / "embedded", free_fixed_port()
    embedded_env = {"OPENDATA_HOME": str(embedded_home), **limits}
    gunicorn = None
    try:
        scaleout_env = {"OPENDATA_HOME": state["home"], "OPENDATA_DATABASE_URL": state["database_url"],
                        **state.get("store_settings", {})}
        _cli(embedded_env, project, "init")
        for env in (embedded_env, scaleout_env):
            _cli(env, project, "sync")
        ingest_ratios, ingest_seconds = [], {"embedded": [], "scale-out": []}
        for seed in (1, 2):  # A B, then B A
            order = [("embedded", embedded_env), ("scale-out", scaleout_env)][::1 if seed == 1 else -1]
            took = {name: _cli(env, project, "ingest", "budget", str(project / f"data-{seed}.csv"), "--publish")
                    for name, env in order}
            ingest_ratios.append(took["embedded"] / took["scale-out"])
            for name, seconds in took.items():
                ingest_seconds[name].append(seconds)
        tokens = {}
        for name, env in (("embedded", embedded_env), ("scale-out", scaleout_env)):
            _cli(env, project, "users", "create", "bench", "--organization", "city", "--role", "publisher")
            tokens[name] = _cli_out(env, project, "tokens", "create", "bench", "--name", "bench",
                                    "--scope", "publish").splitlines()[0].strip()
        gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "2", "-k", "gthread", "--threads", "4",
                                     "-b", f"127.0.0.1:{port}", "opendata.wsgi:app"],
                                    env={**os.environ, **embedded_env, "PYTHONPATH": str(ROOT)}, cwd=ROOT,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for_port(port, timeout=60)
        sides = {"embedded": (f"http://127.0.0.1:{port}", [gunicorn.pid]),
                 "scale-out": (state["url"], [state["pids"][k] for k in ("nginx", "replica-0", "replica-1",
                                                                         "postgresql", "s3") if k in state["pids"]])}
        # the jobs path: API upload until the job succeeded, A B then B A, files the versions do not have yet
        upload_ratios, upload_seconds = [], {"embedded": [], "scale-out": []}
        _data(project / "warm.csv", 10, 5)
        for name in sides:  # the embedded runner starts its threads and fork server on its first job
            _upload_to_succeeded(sides[name][0], tokens[name], project / "warm.csv")
        for seed in (3, 4):
            _data(project / f"data-{seed}.csv", args.rows, seed)
            order = list(sides) if seed == 3 else list(sides)[::-1]
            took = {name: _upload_to_succeeded(sides[name][0], tokens[name], project / f"data-{seed}.csv")
                    for name in order}
            upload_ratios.append(took["embedded"] / took["scale-out"])
            for name, seconds in took.items():
                upload_seconds[name].append(seconds)
        results = []
        for label, path in PATHS.items():
            for base, _ in sides.values():
                _burst(base, path, 5)  # warm caches on both sides
            ratios, walls, cpus = [], {k: 0.0 for k in sides}, {k: 0.0 for k in sides}
            for r in range(args.rounds):
                rates = {}
                for name in (list(sides) if r % 2 == 0 else list(sides)[::-1]):
                    base, pids = sides[name]
                    cpu0 = tree_cpu(*pids)
                    wall = _burst(base, path, args.requests)
                    cpus[name] += tree_cpu(*pids) - cpu0
                    walls[name] += wall
                    rates[name] = args.requests / wall
                ratios.append(rates["scale-out"] / rates["embedded"])
            results.append((label, statistics.median(ratios), min(ratios), max(ratios), walls, cpus))
        # publish-to-visible on the other replica: a sync changes the title through the CLI
        (project / "catalog.yaml").write_text(CATALOG.replace("基准市财政预算", "基准市交通预算"), encoding="utf-8")
        _cli(scaleout_env, project, "sync")
        published = time.perf_counter()
        other = state["replicas"][1] + "/api/v1/datasets?q=" + urllib.parse.quote("交通")
        while json.loads(urllib.request.urlopen(other, timeout=30).read())["total"] == 0:
            time.sleep(0.02)
        visible = time.perf_counter() - published
    finally:
        if gunicorn is not None:
            stop_pid(gunicorn.pid)
        down(work / "scaleout")
    load = os.getloadavg()
    print(f"# scale-out vs embedded — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, "
          f"{os.cpu_count()} CPUs, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"{args.rows} rows, {args.rounds} rounds x {args.requests} requests per side, alternating; "
          f"scale-out artifacts: {'S3 bucket (moto)' if args.store == 's3' else 'shared folder'}\n")
    print("| path | scale-out / embedded (median) | min-max | wall s embedded / scale-out | "
          "server CPU s embedded / scale-out |")
    print("|---|---|---|---|---|")
    for label, median, low, high, walls, cpus in results:
        print(f"| {label} | {median:.2f} | {low:.2f}-{high:.2f} | {walls['embedded']:.1f} / {walls['scale-out']:.1f} "
              f"| {cpus['embedded']:.1f} / {cpus['scale-out']:.1f} |")
    print(f"| ingest (`opendata ingest --publish`, {args.rows} rows) | {statistics.median(ingest_ratios):.2f} | "
          f"{min(ingest_ratios):.2f}-{max(ingest_ratios):.2f} | {sum(ingest_seconds['embedded']):.1f} / "
          f"{sum(ingest_seconds['scale-out']):.1f} | (CLI process) |")
    print(f"| ingest through the API (upload until its job succeeded; scale-out: queue + worker), {args.rows} rows | "
          f"{statistics.median(upload_ratios):.2f} | {min(upload_ratios):.2f}-{max(upload_ratios):.2f} | "
          f"{sum(upload_seconds['embedded']):.1f} / {sum(upload_seconds['scale-out']):.1f} | (wall only) |")
    print(f"\npublish-to-visible on the other replica (sync, then search polled every 20 ms): {visible:.2f} s")


if __name__ == "__main__":
    main()
