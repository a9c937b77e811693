"""Read API benchmark over real HTTP: opendata (gunicorn, 2 workers) vs Datasette vs nginx, measured with wrk.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/api.py            # 1M rows, 50,000 catalogue entries, 10 s per measurement
    .venv/bin/python bench/api.py --write    # also write the "Read API (HTTP)" section of docs/benchmarks.md

Needs ``wrk`` and ``nginx`` (apt-get install -y nginx wrk) and Datasette in .venv (pip install datasette).
The 1M-row CSV of bench/ingest.py is ingested and published through the real services into a
fresh OPENDATA_HOME under --workdir (reused on later runs); the same rows go into SQLite (index
on the filter column) for Datasette, and the published Parquet file is served by nginx. Every
server listens on 127.0.0.1 only. Each HTTP measurement is wrk with 8 connections. Search and
downloads run in --rounds rounds, the sides taking turns in each round, and are reported as medians
with every round's figure: the machine is shared, and a burst of other work moves a single run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api_data import SEARCH_WORDS, build_search_index, build_sqlite, prepare_home  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
ACCEL_PREFIX = "/_opendata_files/"
HEADING = "## Read API (HTTP)"
CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认", "其他"]
LUA = r"""
local paths = {}
for line in io.lines("%(paths)s") do paths[#paths + 1] = line end
local i = 0
function setup(thread) end
request = function()
  i = i + 1
  return wrk.format("GET", paths[((i * 7919) %% #paths) + 1])
end
done = function(summary, latency, requests)
  local errors = summary.errors.status + summary.errors.connect + summary.errors.read
                 + summary.errors.write + summary.errors.timeout
  io.write(string.format("RESULT %%.3f %%.3f %%.1f %%d %%d %%d %%.3f\n", latency:percentile(50) / 1000,
           latency:percentile(95) / 1000, summary.requests / (summary.duration / 1e6), summary.requests,
           errors, summary.bytes, summary.duration / 1e6))
end
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server on port {port} exited with {proc.returncode}")
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            con.request("GET", path)
            con.getresponse().read()
            con.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"server on port {port} did not answer {path}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


# -- servers ---------------------------------------------------------------------------------------
GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"]


def start_opendata(home: Path, port: int, log: Path, root: Path = ROOT) -> subprocess.Popen:
    """opendata from the tree at ``root`` (this one by default) over ``home``."""
    env = {**os.environ, "OPENDATA_HOME": str(home), "OPENDATA_RATE_LIMIT_ENABLED": "false",
           "OPENDATA_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": str(root)}
    return _gunicorn(env, port, log, "opendata.app:create_app()", "/api/v1/status", root)


def start_bare_file(parquet: Path, port: int, log: Path) -> subprocess.Popen:
    """bench/wsgi_file.py under the same gunicorn settings: the ceiling for a download through gunicorn."""
    env = {**os.environ, "BENCH_FILE": str(parquet), "PYTHONPATH": str(ROOT / "bench")}
    return _gunicorn(env, port, log, "wsgi_file:app", "/")


def _gunicorn(env: dict, port: int, log: Path, target: str, ready: str, root: Path = ROOT) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(gunicorn), *GUNICORN, "-b", f"127.0.0.1:{port}", target],
                                env=env, cwd=root, stdout=out, stderr=subprocess.STDOUT)
    wait_http(port, ready, proc)
    return proc


def start_datasette(db: Path, port: int, log: Path) -> subprocess.Popen:
    datasette = Path(sys.executable).with_name("datasette")
    with open(log, "ab") as out:
        proc = subprocess.Popen([str(datasette), "serve", str(db), "-h", "127.0.0.1", "-p", str(port),
                                 "--setting", "suggest_facets", "off", "--setting", "sql_time_limit_ms", "10000"],
                                stdout=out, stderr=subprocess.STDOUT)
    wait_http(port, "/-/versions.json", proc)
    return proc


def start_opendata_accel(home: Path, port: int, log: Path) -> subprocess.Popen:
    """opendata as deployed behind nginx: downloads answered with X-Accel-Redirect (docs/deployment.md)."""
    env = {**os.environ, "OPENDATA_HOME": str(home), "OPENDATA_RATE_LIMIT_ENABLED": "false",
           "OPENDATA_ACCEL_REDIRECT_PREFIX": ACCEL_PREFIX, "OPENDATA_TRUSTED_PROXIES": "1", "PYTHONPATH": str(ROOT)}
    return _gunicorn(env, port, log, "opendata.app:create_app()", "/api/v1/status")


def start_nginx(parquet: Path, workdir: Path, port: int, proxy_port: int | None = None, app_port: int | None = None,
                home: Path | None = None) -> subprocess.Popen:
    """nginx serving the Parquet file on ``port``; with ``proxy_port``, also in front of the app on ``app_port``."""
    root = workdir / "nginx-root"
    root.mkdir(exist_ok=True)
    target = root / "bench.parquet"
    if not target.exists():
        shutil.copy(parquet, target)
    prefix = workdir / "nginx"
    prefix.mkdir(exist_ok=True)
    conf = prefix / "nginx.conf"
    conf.write_text(f"""worker_processes 2;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    types {{ application/vnd.apache.parquet parquet; }}
    server {{ listen 127.0.0.1:{port}; root {root}; }}
{_proxy_server(proxy_port, app_port, home) if proxy_port else ""}
}}
""")
    proc = subprocess.Popen(["nginx", "-p", str(prefix), "-c", str(conf)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    wait_http(port, "/bench.parquet", proc)
    return proc


def _proxy_server(port: int, app_port: int, home: Path) -> str:
    """The deployment of docs/deployment.md: nginx proxies to gunicorn, the app's location sends files."""
    from opendata.api.files import nginx_location

    location = "\n".join("        " + line for line in nginx_location(ACCEL_PREFIX, home).splitlines())
    return f"""    upstream opendata {{ server 127.0.0.1:{app_port}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://opendata;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        }}
{location}
    }}"""


# -- measuring -------------------------------------------------------------------------------------
def wrk(port: int, paths: list[str], workdir: Path, seconds: int, name: str, connections: int = 8) -> dict:
    """wrk with 8 connections (by default) over ``paths``; p50/p95 ms, requests/s, MB/s."""
    plist = workdir / f"{name}.paths"
    plist.write_text("\n".join(paths) + "\n")
    script = workdir / f"{name}.lua"
    script.write_text(LUA % {"paths": plist})
    out = subprocess.run(["wrk", "-t", str(min(2, connections)), "-c", str(connections), "-d", f"{seconds}s", "--timeout", "10s", "-s", str(script),
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\S+) (\S+) (\S+) (\d+) (\d+) (\d+) (\S+)", out)
    p50, p95, rps, n, errors, nbytes, duration = match.groups()
    return {"p50": float(p50), "p95": float(p95), "rps": float(rps), "requests": int(n), "errors": int(errors),
            "mb_s": int(nbytes) / float(duration) / 1e6}


def get_json(port: int, path: str) -> dict:
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    con.request("GET", path)
    r = con.getresponse()
    body = r.read()
    con.close()
    if r.status != 200:
        raise SystemExit(f"GET {path} on {port}: {r.status} {body[:300]!r}")
    return json.loads(body)


def walk_paths(port: int, first: str, next_path, pages: int = 100) -> tuple[list[str], float]:
    """Follow a keyset walk of ``pages`` pages sequentially; (the page URLs, ms for the whole walk)."""
    paths, path = [], first
    started = time.perf_counter()
    for _ in range(pages):
        paths.append(path)
        body = get_json(port, path)
        if not body.get("next"):
            break
        path = next_path(body["next"])
    return paths, (time.perf_counter() - started) * 1000


def _rnd_amounts(n: int) -> list[str]:
    rnd = random.Random(7)
    return [f"{rnd.random():.6f}" for _ in range(n)]


OD_ROWS = "/api/v1/datasets/bench/rows"


def row_query_paths(rows: str) -> dict[str, list[str]]:
    """The row queries every read-API benchmark times, as opendata paths under ``rows``: a near-no-op
    ``amount__gte`` varies each so that no side answers from a result cache."""
    amounts, cats = _rnd_amounts(4000), [quote(c) for c in CATEGORIES]
    return {
        "sorted page": [f"{rows}?category={cats[i % 8]}&amount__gte={a}&sort=-amount&limit=100"
                        for i, a in enumerate(amounts)],
        "filtered page": [f"{rows}?category={cats[i % 8]}&amount__gte={a}&limit=100" for i, a in enumerate(amounts)],
        "group-by count": [f"{rows}?group_by=category"],
    }


def datasette_paths() -> dict[str, list[str]]:
    """The same queries as Datasette asks them."""
    amounts, cats = _rnd_amounts(4000), [quote(c) for c in CATEGORIES]
    return {
        "sorted page": [f"/bench/rows.json?category={cats[i % 8]}&amount__gte={a}&_sort_desc=amount&_size=100"
                        for i, a in enumerate(amounts)],
        "filtered page": [f"/bench/rows.json?category={cats[i % 8]}&amount__gte={a}&_size=100"
                          for i, a in enumerate(amounts)],
        "group-by count": ["/bench.json?" + urlencode({"sql": "select category, count(*) from rows group by category "
                                                                 "order by category"})],
    }


def od_walk(category: str, cursor: str | None = None, rows: str = OD_ROWS) -> str:
    """A page of opendata's keyset walk through one category (the first without ``cursor``)."""
    return f"{rows}?category={quote(category)}&limit=100" + (f"&next={quote(cursor)}" if cursor else "")


def ds_walk(category: str, cursor: str | None = None) -> str:
    return f"/bench/rows.json?category={quote(category)}&_size=100" + (f"&_next={quote(cursor)}" if cursor else "")


def sequential_walks(sides: dict[str, tuple[int, object]], rounds: int) -> dict:
    """Keyset walks of 100 pages through each of 4 categories, one connection, the sides in turn (the
    first side first in even rounds, last in odd ones). Each walk is timed whole; a pair is the same
    category walked by every side. Returns each side's walk times and its page URLs (replayed by wrk),
    and the per-pair ratios of the first side's speed to each other side's."""
    names = list(sides)
    times: dict[str, list[float]] = {n: [] for n in names}
    paths: dict[str, list[str]] = {n: [] for n in names}
    for r in range(max(rounds, 2)):
        for c in CATEGORIES[:4]:
            for n in (names if r % 2 == 0 else names[::-1]):
                port, page = sides[n]
                walked, ms = walk_paths(port, page(c), lambda cursor, c=c, page=page: page(c, cursor))
                times[n].append(ms)
                if r == 0:
                    paths[n] += walked
    first = names[0]
    return {"ms": times, "ratios": {n: [b / a for a, b in zip(times[first], times[n], strict=True)]
                                    for n in names[1:]},
            "paths": tuple(paths[n] for n in names)}


def run(args) -> dict:
    workdir = args.workdir
    home, parquet = prepare_home(workdir, args.rows, args.datasets)
    db = build_sqlite(parquet, workdir)
    build_search_index(home)
    results: dict = {"load_before": os.getloadavg()[0], "rows": args.rows, "datasets": args.datasets, "parquet_bytes": parquet.stat().st_size}
    od_port, ds_port, ng_port, accel_port, front_port = (free_port() for _ in range(5))
    procs = []
    try:
        procs.append(start_opendata(home, od_port, workdir / "gunicorn.log"))
        procs.append(start_datasette(db, ds_port, workdir / "datasette.log"))
        procs.append(start_opendata_accel(home, accel_port, workdir / "gunicorn-accel.log"))
        procs.append(start_nginx(parquet, workdir, ng_port, front_port, accel_port, home))
        # warm both workers and both servers
        for _ in range(20):
            get_json(od_port, od_walk(CATEGORIES[0]))
            get_json(ds_port, ds_walk(CATEGORIES[0]))
        for word in SEARCH_WORDS:  # each worker builds its facet snapshot once
            get_json(od_port, "/api/v1/datasets?" + urlencode({"q": word}))
        s = args.seconds
        od_paths, ds_paths = row_query_paths(OD_ROWS), datasette_paths()

        def alternate(name: str) -> dict:
            """Both sides in turn, --rounds times: median figures and the per-round ratio of requests/s."""
            rounds = [{"opendata": wrk(od_port, od_paths[name], workdir, s, f"od-{name}"),
                       "datasette": wrk(ds_port, ds_paths[name], workdir, s, f"ds-{name}")} for _ in range(args.rounds)]
            med = {side: {k: statistics.median(x[side][k] for x in rounds) for k in ("p50", "p95", "rps")}
                   for side in ("opendata", "datasette")}
            return {**med, "rounds": rounds,
                    "ratios": [x["opendata"]["rps"] / max(x["datasette"]["rps"], 1e-9) for x in rounds]}

        for name in ("sorted page", "filtered page", "group-by count"):
            results[name] = alternate(name)
        walks = sequential_walks({"opendata": (od_port, od_walk), "datasette": (ds_port, ds_walk)}, args.rounds)
        od_paths["keyset walk"], ds_paths["keyset walk"] = walks.pop("paths")
        results["keyset walk"] = {**alternate("keyset walk"), "sequential": walks}
        rnd = random.Random(3)
        search = []
        for _ in range(500):
            params = {"q": rnd.choice(SEARCH_WORDS)}
            if rnd.random() < 0.3:
                params["theme"] = rnd.choice(["fiscal", "environment", "health", "transport", "employment"])
            if rnd.random() < 0.2:
                params["sort"] = rnd.choice(["modified", "title", "downloads"])
            if rnd.random() < 0.2:
                params["page"] = str(rnd.randint(2, 5))
            search.append("/api/v1/datasets?" + urlencode(params))
        search += ["/api/v1/datasets", "/api/v1/datasets?disclosure=unconditional&sort=modified"]
        # Search and downloads are measured in rounds, each side in turn, so that a burst of other
        # work on this shared machine hits every side alike; the report gives medians and the spread.
        results["search"] = {"rounds": [wrk(od_port, search, workdir, s, "od-search") for _ in range(args.rounds)],
                             "one_connection": wrk(od_port, search, workdir, s, "od-search-1", connections=1)}
        bare_port = free_port()
        procs.append(start_bare_file(workdir / "nginx-root" / "bench.parquet", bare_port, workdir / "bare.log"))
        rounds = []
        for _ in range(args.rounds):
            rounds.append({"opendata": wrk(od_port, ["/api/v1/datasets/bench/download.parquet"], workdir, s,
                                           "od-download"),
                           "behind nginx": wrk(front_port, ["/api/v1/datasets/bench/download.parquet"], workdir, s,
                                               "front-download"),
                           "nginx": wrk(ng_port, ["/bench.parquet"], workdir, s, "ng-download"),
                           "bare": wrk(bare_port, ["/"], workdir, s, "bare-download")})
        results["download"] = {"rounds": rounds}
        results["load_after"] = os.getloadavg()[0]
    finally:
        for p in reversed(procs):
            stop(p)
    return results


# -- report ----------------------------------------------------------------------------------------
def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{model}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"


def _versions() -> str:
    def ver(cmd: list[str]) -> str:
        try:
            out = subprocess.run(cmd, capture_output=True, text=True)
            return (out.stdout + out.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"

    import duckdb

    gunicorn = Path(sys.executable).with_name("gunicorn")
    datasette = Path(sys.executable).with_name("datasette")
    return (f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, {ver([str(gunicorn), '--version'])}, "
            f"{ver([str(datasette), '--version'])}, {ver(['nginx', '-v'])}, {ver(['wrk', '--version'])}")


def spread(values: list[float], unit: str = "", digits: int = 0) -> str:
    """The median of ``values`` with their min–max."""
    return (f"{statistics.median(values):.{digits}f}{unit} ({min(values):.{digits}f}–"
            f"{max(values):.{digits}f})")


def render(r: dict, seconds: int) -> str:
    def line(name: str, key: str, peer: str) -> str:
        ours, theirs, per_round = r[key]["opendata"], r[key][peer], sorted(r[key]["ratios"])
        return (f"| {name} | {ours['p50']:.1f} | {ours['p95']:.1f} | {ours['rps']:.0f} | {theirs['p50']:.1f} | "
                f"{theirs['p95']:.1f} | {theirs['rps']:.0f} | {statistics.median(per_round):.1f}× "
                f"({per_round[0]:.1f}–{per_round[-1]:.1f}) |")

    walk = r["keyset walk"]["sequential"]
    p95s = sorted(x["p95"] for x in r["search"]["rounds"])
    search = {k: statistics.median(x[k] for x in r["search"]["rounds"]) for k in ("p50", "p95", "rps")}
    dl = {side: statistics.median(x[side]["mb_s"] for x in r["download"]["rounds"])
          for side in ("opendata", "behind nginx", "nginx", "bare")}

    def ratios(side: str) -> str:
        return ", ".join(f"{v:.0f}%" for v in sorted(x[side]["mb_s"] / x["nginx"]["mb_s"] * 100
                                                     for x in r["download"]["rounds"]))
    n = len(r["download"]["rounds"])
    lines = [
        HEADING, "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/api.py` on {machine()}; {_versions()}.",
        f"{r['rows']:,} rows (bench/ingest.py's generated file, ingested and published through the services; "
        f"Parquet {r['parquet_bytes'] / 1e6:.1f} MB), {r['datasets']:,} extra catalogue entries. opendata: gunicorn, "
        "2 workers (gthread, 4 threads each). Datasette: SQLite with an index on `category`, facet suggestions off. "
        f"nginx: 2 workers, sendfile. wrk: 2 threads, 8 connections, {seconds} s per row, loopback only. Row queries "
        "vary a near-no-op `amount__gte` filter so neither side answers from a result cache.",
        "",
        f"Row queries: both sides in turn, {len(r['sorted page']['rounds'])} rounds; medians of the rounds, and the "
        "median of the per-round ratios of requests/s with their min–max.",
        "",
        "| operation | opendata p50 ms | p95 ms | req/s | Datasette p50 ms | p95 ms | req/s | ratio (req/s) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
        line("filter (1/8 of rows) + sort by amount, page of 100, total", "sorted page", "datasette"),
        line("filter (1/8 of rows), page of 100, total", "filtered page", "datasette"),
        line("group-by count over category", "group-by count", "datasette"),
        line("keyset walk pages (100 rows each, cursor URLs replayed)", "keyset walk", "datasette"),
        "",
        f"- Keyset walk through 10,000 rows (100 sequential pages, one connection), {len(walk['ms']['opendata'])} "
        f"walks a side, the sides in turn, whole walk: opendata {spread(walk['ms']['opendata'], ' ms')}, Datasette "
        f"{spread(walk['ms']['datasette'], ' ms')}; median of the per-pair ratios of speed "
        f"{spread(walk['ratios']['datasette'], '×', 2)}.",
        f"- Catalogue search over {r['datasets'] + 1:,} datasets (q with a Chinese word, some with a theme filter, "
        f"another sort or page), median of {len(p95s)} rounds: p50 {search['p50']:.1f} ms, p95 {search['p95']:.1f} ms, "
        f"{search['rps']:.0f} req/s (target p95 < 50 ms); p95 of each round: "
        f"{', '.join(f'{x:.1f}' for x in p95s)} ms. With one connection (service time without queueing): p50 "
        f"{r['search']['one_connection']['p50']:.1f} ms, p95 {r['search']['one_connection']['p95']:.1f} ms.",
        f"- Whole-file Parquet download, median of {n} rounds (each round runs every side in turn), target ≥ 90% "
        f"of nginx's MB/s (nginx: {dl['nginx']:.0f} MB/s, the static file, sendfile):",
        f"  - opendata deployed behind nginx (docs/deployment.md: the app answers, then `X-Accel-Redirect` and nginx "
        f"sends the bytes; the same nginx proxies to gunicorn): {dl['behind nginx']:.0f} MB/s, "
        f"**{dl['behind nginx'] / dl['nginx'] * 100:.0f}%** of nginx; each round: {ratios('behind nginx')}.",
        f"  - opendata alone (gunicorn sends the file with sendfile): {dl['opendata']:.0f} MB/s, "
        f"{dl['opendata'] / dl['nginx'] * 100:.0f}% of nginx; each round: {ratios('opendata')}.",
        f"  - For scale, a bare WSGI callable (bench/wsgi_file.py: the same file through `wsgi.file_wrapper` under the "
        f"same gunicorn settings, no framework, no database): {dl['bare']:.0f} MB/s, "
        f"{dl['bare'] / dl['nginx'] * 100:.0f}% of nginx; each round: {ratios('bare')}. This is the ceiling of any "
        "app whose downloads gunicorn sends.",
        f"- Load average (1 min) of the machine before and after the run: {r.get('load_before', 0):.1f} and "
        f"{r.get('load_after', 0):.1f} on {os.cpu_count()} cores; other work on the machine competes for the CPU.",
        f"- Errors (non-2xx or socket errors) across all runs: "
        f"{_errors(r)}.",
        "",
    ]
    return "\n".join(lines)


def _errors(r: dict) -> int:
    """Non-2xx and socket errors across every wrk run in the results."""
    def walk(node) -> int:
        if isinstance(node, dict):
            return node.get("errors", 0) + sum(walk(v) for v in node.values() if isinstance(v, dict | list))
        if isinstance(node, list):
            return sum(walk(v) for v in node)
        return 0
    return walk(r)


def write_doc(text: str, heading: str = HEADING) -> None:
    """Replace (or append) the section of docs/benchmarks.md under ``heading``."""
    old = DOC.read_text(encoding="utf-8") if DOC.exists() else "# Benchmarks\n"
    if heading in old:
        start = old.index(heading)
        nxt = old.find("\n## ", start + len(heading))
        new = old[:start] + text.rstrip("\n") + "\n\n" + (old[nxt + 1:] if nxt != -1 else "")
    else:
        new = old.rstrip("\n") + "\n\n" + text
    DOC.write_text(new, encoding="utf-8")


def show(text: str, write: bool, heading: str = HEADING) -> None:
    """Print a benchmark's section, and with ``write`` put it into docs/benchmarks.md."""
    print(text)
    if write:
        write_doc(text, heading)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--datasets", type=int, default=50_000, help="synthetic catalogue entries for search")
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per measurement")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every measurement, the sides taking turns")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opendata-bench-api"))
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    args = parser.parse_args(argv)
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is not installed (apt-get install -y nginx wrk)")
    results = run(args)
    (args.workdir / "results.json").write_text(json.dumps(results, indent=1))
    text = render(results, args.seconds)
    print(text)
    if args.write:
        write_doc(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
