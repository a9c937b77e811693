"""Catalogue search at scale over real HTTP: a generated catalogue (1,000,000 datasets by default).

Run by hand (not part of the test suite), on a quiet machine::

    .venv/bin/python bench/search.py                 # build (or reuse) the catalogue, index, measure
    .venv/bin/python bench/search.py --write         # also write the section of docs/benchmarks.md
    .venv/bin/python bench/search.py --prepare-only  # only build the catalogue (about a minute for 1M)
    .venv/bin/python bench/search.py --in-process    # CPU ms per search through the service, no HTTP
    .venv/bin/python bench/search.py --through-app   # CPU ms per request through the Flask app, no HTTP

Needs ``wrk`` (apt-get install -y wrk) and GNU time (/usr/bin/time). The catalogue comes from
tests/search_catalogue.py (seeded), bulk-inserted into a fresh OPENDATA_HOME under --workdir and
reused (migrated to this tree's head) on later runs. The index is built by ``opendata reindex`` run as its own process under
``/usr/bin/time -v`` (wall time, CPU seconds, peak RSS). Then gunicorn serves the API as
deployed (2 workers, gthread, 4 threads each) and wrk runs 8 connections over a few thousand
distinct searches (more than the answer cache keeps, so answers are computed), in --rounds rounds;
the servers' resident and proportional memory are read from /proc afterwards. Targets (issue 16):
p95 < 50 ms at 8 connections, index built in < 5 minutes, RSS < 2 GB.

The peer (unless --no-peer) is SQLite FTS5 over the same datasets (bench/wsgi_fts.py: jieba-cut
titles, English titles and keywords, OR of the query's words, bm25 order, a count of matches),
built by its own process under GNU time and served by the same gunicorn settings; wrk runs the
two alternately, ours then the peer's, once per round, with the same searches.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from api import _gunicorn, free_port, get_json, machine, start_opendata, stop, wrk  # noqa: E402

from tests.search_catalogue import PLACES, SUBJECTS, generate, insert_generated  # noqa: E402

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Catalogue search at scale (HTTP)"
SYNONYMS = {"公交站点": "公共汽车站", "最低生活保障": "低保", "医疗机构": "医院", "养老机构": "养老院",
            "公共停车场": "停车位", "财政预算": "预决算", "义务教育招生": "入学"}
THEMES = ["fiscal", "environment", "transport", "health", "public-services", "livelihood"]


def prepare(workdir: Path, n: int) -> Path:
    """OPENDATA_HOME with ``n`` generated datasets (reused when already built, migrated to this tree's head)."""
    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.store.migrate import upgrade_to_head

    home = workdir / "home"
    marker = workdir / f"ready-{n}"
    if marker.exists():  # a catalogue made by an older tree: its database follows this tree's migrations
        upgrade_to_head(load_config({}, HOME=str(home)).database_url)
        return home
    shutil.rmtree(workdir, ignore_errors=True)
    home.mkdir(parents=True)
    runtime = Runtime(load_config({}, HOME=str(home), RATE_LIMIT_ENABLED=False))
    upgrade_to_head(runtime.config.database_url)
    started = time.perf_counter()
    cpu = time.process_time()  # the bulk insert takes about 40 CPU seconds for a million datasets
    insert_generated(runtime, generate(n))
    runtime.close()
    print(f"inserted {n:,} datasets in {time.perf_counter() - started:.0f} s "
          f"({time.process_time() - cpu:.0f} s CPU)", flush=True)
    marker.touch()
    return home


def build_index(home: Path, workdir: Path) -> dict:
    """`opendata reindex` as its own process under GNU time: wall and CPU seconds, peak RSS."""
    (home / "search.sqlite3").unlink(missing_ok=True)
    opendata = Path(sys.executable).with_name("opendata")
    figures = timed([str(opendata), "reindex"], {"OPENDATA_HOME": str(home)}, workdir)
    return {**figures, "index_mb": sum(f.stat().st_size for f in home.glob("search*")) / 2**20}


def build_peer(home: Path, workdir: Path) -> dict:
    """The peer's FTS5 database, built by bench/wsgi_fts.py as its own process under GNU time."""
    db = workdir / "peer.sqlite3"
    figures = timed([sys.executable, str(ROOT / "bench" / "wsgi_fts.py"), "build", str(home / "opendata.db"),
                     str(db)], {}, workdir)
    return {**figures, "index_mb": db.stat().st_size / 2**20, "db": db}


def timed(command: list[str], env: dict, workdir: Path) -> dict:
    """Run ``command`` under ``/usr/bin/time -v`` with this tree's code: wall and CPU seconds, peak RSS."""
    env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(["/usr/bin/time", "-v", *command], env=env, cwd=workdir, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{proc.stdout}\n{proc.stderr}")
    out = proc.stderr

    def field(name: str) -> str:
        return re.search(rf"{re.escape(name)}: (.+)", out).group(1).strip()

    wall = sum(float(p) * 60 ** i for i, p in enumerate(reversed(field("Elapsed (wall clock) time "
                                                                         "(h:mm:ss or m:ss)").split(":"))))
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    print(proc.stdout.strip(), f"(wall {wall:.0f} s, CPU {cpu:.0f} s)", flush=True)
    return {"wall": wall, "cpu": cpu, "rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024}


def search_paths(count: int, seed: int = 5) -> list[str]:
    """Distinct searches as people make them: place and subject typed together, English, pinyin,
    synonyms, some with a facet filter, another sort or a later page."""
    rnd = random.Random(seed)
    paths: set[str] = set()
    while len(paths) < count:
        place, place_en = rnd.choice(PLACES)
        subject = rnd.choice(SUBJECTS)
        kind = rnd.random()
        if kind < 0.35:
            q = f"{place}{subject.zh}"
        elif kind < 0.5:
            q = subject.zh if rnd.random() < 0.5 else f"{place}{rnd.randint(2015, 2025)}年{subject.zh}"
        elif kind < 0.65:
            q = f"{place_en} {subject.en}"
        elif kind < 0.8:
            q = f"{place}{SYNONYMS.get(subject.zh, subject.keywords[0])}"
        else:
            from pypinyin import lazy_pinyin

            q = "".join(lazy_pinyin(place[:2])) + " " + "".join(lazy_pinyin(subject.zh))
        params = {"q": q}
        if rnd.random() < 0.2:
            params["theme"] = rnd.choice(THEMES)
        if rnd.random() < 0.1:
            params["disclosure"] = "unconditional"
        if rnd.random() < 0.15:
            params["sort"] = rnd.choice(["modified", "title"])
        if rnd.random() < 0.15:
            params["page"] = str(rnd.randint(2, 5))
        paths.add("/api/v1/datasets?" + urlencode(params))
    out = sorted(paths)
    rnd.shuffle(out)
    return out + ["/api/v1/datasets", "/api/v1/datasets?theme=fiscal&sort=modified"]


def in_process(home: Path, paths: list[str]) -> dict:
    """Each search once through ``search_datasets`` in this process: CPU and wall ms per search.

    The service as the API calls it (filters, sort, page as the API maps them; summaries decoded),
    without HTTP, after a warm-up that loads the index; each search is distinct, so its answer is
    computed (a later search may reuse the text matches of an earlier one with the same words, as a
    server does). Labelled in-process: it leaves out gunicorn, Flask and JSON encoding.
    """
    from urllib.parse import parse_qsl, urlsplit

    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.services.search import FACETS, search_datasets

    runtime = Runtime(load_config({}, HOME=str(home), RATE_LIMIT_ENABLED=False))
    started = time.perf_counter()
    search_datasets(runtime=runtime, q="ready")
    warm = time.perf_counter() - started
    cpu_ms, wall_ms = [], []
    try:
        for path in paths:
            args = dict(parse_qsl(urlsplit(path).query))
            page = int(args.get("page", 1))
            c, w = time.thread_time(), time.perf_counter()
            search_datasets(runtime=runtime, q=args.get("q"), filters={k: [args[k]] for k in FACETS if k in args},
                            sort=args.get("sort", "relevance"), offset=(page - 1) * 20, limit=20)
            cpu_ms.append((time.thread_time() - c) * 1000)
            wall_ms.append((time.perf_counter() - w) * 1000)
    finally:
        runtime.close()

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    return {"searches": len(paths), "load_s": warm, **{f"cpu_{k}": pct(cpu_ms, q) for k, q in
                                                       (("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("max", 1.0))},
            "cpu_mean": statistics.mean(cpu_ms), "wall_p50": pct(wall_ms, 0.5), "wall_p95": pct(wall_ms, 0.95)}


def through_app(home: Path, paths: list[str]) -> dict:
    """CPU ms per request through the Flask app in this process (its test client), twice over.

    First each search once (its answer computed), then the same searches three times more, whose
    answers the index now has cached (``paths`` fewer than its 512): what those cost is the app's own
    work around the index (routing, the caller, the query arguments, the JSON of the page) plus
    the test client's, which a real server replaces with its own. Rate limits off, as served by run().
    """
    from opendata.app import close_app, create_app, freeze_startup_objects

    app = create_app(HOME=str(home), RATE_LIMIT_ENABLED=False)
    client = app.test_client()
    started = time.perf_counter()
    client.get("/api/v1/datasets?q=ready")
    warm = time.perf_counter() - started
    freeze_startup_objects()

    def cpu_ms(some: list[str]) -> list[float]:
        out = []
        for path in some:
            c = time.thread_time()
            status = client.get(path).status_code
            out.append((time.thread_time() - c) * 1000)
            if status != 200:
                raise SystemExit(f"{path}: {status}")
        return out

    try:
        first = cpu_ms(paths)
        cached = cpu_ms(paths * 3)
    finally:
        close_app(app)

    def pct(xs: list[float], q: float) -> float:
        return sorted(xs)[min(len(xs) - 1, int(q * len(xs)))]

    return {"searches": len(paths), "load_s": warm,
            **{f"{name}_{k}": pct(xs, q) for name, xs in (("first", first), ("cached", cached))
               for k, q in (("p50", 0.5), ("p95", 0.95))}}


def memory(pids: list[int]) -> dict:
    """Resident and proportional set size (MB) of the server processes, summed."""
    rss = pss = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss += int(line.split()[1])
            elif line.startswith("Pss:"):
                pss += int(line.split()[1])
    return {"rss_mb": rss / 1024, "pss_mb": pss / 1024, "processes": len(pids)}


def _server_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [master, *map(int, children)]


def start_peer(db: Path, port: int, log: Path):
    """bench/wsgi_fts.py under the same gunicorn settings as opendata."""
    env = {**os.environ, "BENCH_FTS_DB": str(db), "PYTHONPATH": str(ROOT / "bench")}
    return _gunicorn(env, port, log, "wsgi_fts:app", "/search?q=ready")


def peer_path(path: str) -> str:
    """The peer's URL for one of ours: the same query string."""
    return path.replace("/api/v1/datasets", "/search", 1)


def run(args) -> dict:
    results: dict = {"datasets": args.datasets, "load_before": os.getloadavg()}
    home = prepare(args.workdir, args.datasets)
    results["build"] = build_index(home, args.workdir)
    if args.peer:
        results["peer_build"] = build_peer(home, args.workdir)
    paths = search_paths(args.searches)
    port, peer_port = free_port(), free_port()
    procs = [start_opendata(home, port, args.workdir / "gunicorn.log")]
    try:
        if args.peer:
            procs.append(start_peer(results["peer_build"]["db"], peer_port, args.workdir / "peer.log"))
        started = time.perf_counter()
        for path in paths[:40]:  # both workers load the index and answer a few
            get_json(port, path)
        results["warm_s"] = time.perf_counter() - started
        results["rounds"], results["peer_rounds"] = [], []
        for _ in range(args.rounds):  # A B A B: ours, then the peer, over the same searches
            results["rounds"].append(wrk(port, paths, args.workdir, args.seconds, "search"))
            if args.peer:
                results["peer_rounds"].append(wrk(peer_port, [peer_path(p) for p in paths], args.workdir,
                                                  args.seconds, "peer"))
        results["one_connection"] = wrk(port, paths, args.workdir, args.seconds, "search-1", connections=1)
        results["memory"] = memory(_server_pids(procs[0].pid))
        if args.peer:
            results["peer_memory"] = memory(_server_pids(procs[1].pid))
        results["load_after"] = os.getloadavg()
    finally:
        for proc in reversed(procs):
            stop(proc)
    return results


def render(r: dict, args) -> str:
    rounds = r["rounds"]
    med = {k: statistics.median(x[k] for x in rounds) for k in ("p50", "p95", "rps")}
    b, m, one = r["build"], r["memory"], r["one_connection"]
    errors = sum(x["errors"] for x in rounds) + one["errors"]
    per_round = ", ".join(f"{x['p95']:.1f}" for x in rounds)
    return "\n".join([
        HEADING, "",
        f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/search.py` on {machine()}; "
        f"Python {sys.version.split()[0]}.",
        f"{r['datasets']:,} generated datasets (tests/search_catalogue.py: 20 places x 40 subjects x 11 years, "
        "Chinese titles and descriptions, English titles, keywords, 1 in 5 not fully open), "
        "bulk-inserted into SQLite. Load average (1, 5, 15 min) before: "
        + ", ".join(f"{x:.1f}" for x in r["load_before"]) + "; after: "
        + ", ".join(f"{x:.1f}" for x in r["load_after"]) + " (2 cores shared with other work).",
        "",
        "| measure | figure | target |",
        "|---|---:|---|",
        f"| index build, `opendata reindex` (whole process, /usr/bin/time -v) | {b['wall']:.0f} s wall, "
        f"{b['cpu']:.0f} s CPU | < 5 min |",
        f"| peak RSS of the build | {b['rss_mb']:.0f} MB | |",
        f"| search p95 at 8 connections, median of {len(rounds)} rounds | {med['p95']:.1f} ms | < 50 ms |",
        f"| search p50 at 8 connections | {med['p50']:.1f} ms | |",
        f"| throughput at 8 connections | {med['rps']:.0f} req/s | |",
        f"| one connection (service time): p50 / p95 | {one['p50']:.1f} / {one['p95']:.1f} ms | |",
        f"| server memory after the run ({m['processes']} processes): RSS / PSS | {m['rss_mb']:.0f} / "
        f"{m['pss_mb']:.0f} MB | RSS < 2 GB |",
        f"| index on disk | {b['index_mb']:.0f} MB | |",
        "",
        f"- p95 of each round: {per_round} ms; wrk: 2 threads, 8 "
        f"connections, {args.seconds} s per round, loopback, cycling through {args.searches:,} distinct "
        "searches (place and subject typed together, English, pinyin, synonyms; 1 in 5 with a theme "
        "filter, some sorted by date or title or on a later page), more than the 512 answers a process "
        "caches. gunicorn: 2 workers, gthread, 4 threads each.",
        f"- Both workers were ready {r['warm_s']:.1f} s after the first request (loading the index and "
        f"answering 40 searches). Errors (non-2xx or socket): {errors}.",
        "",
        *(peer_lines(r) if r["peer_rounds"] else []),
    ])


def peer_lines(r: dict) -> list[str]:
    """The peer's figures and the per-round ratios (the peer's p95 over ours, same round)."""
    peer, b, m = r["peer_rounds"], r["peer_build"], r["peer_memory"]
    ratios = sorted(p["p95"] / max(o["p95"], 1e-9) for o, p in zip(r["rounds"], peer, strict=True))
    throughput = sorted(o["rps"] / max(p["rps"], 1e-9) for o, p in zip(r["rounds"], peer, strict=True))
    med = {k: statistics.median(x[k] for x in peer) for k in ("p50", "p95", "rps")}
    errors = sum(x["errors"] for x in peer)
    per_round = ", ".join(f"{x['p95']:.1f}" for x in peer)
    return [
        "Peer, alternating with the rounds above (ours, then the peer, per round): SQLite "
        f"{sqlite3.sqlite_version} FTS5 over the same datasets (`bench/wsgi_fts.py`: titles, English titles "
        "and keywords cut by the same jieba, unicode61 tokenizer, the query's words OR-ed, bm25 with the same "
        "field weights, then newest; filter, sort and page as asked, and the count of matches; no synonyms, "
        "pinyin, facets or descriptions), a bare WSGI callable under the same gunicorn settings.",
        "",
        "| measure | peer | ours / peer |",
        "|---|---:|---|",
        f"| index build (whole process, /usr/bin/time -v) | {b['wall']:.0f} s wall, {b['cpu']:.0f} s CPU, "
        f"peak RSS {b['rss_mb']:.0f} MB, {b['index_mb']:.0f} MB on disk | |",
        f"| search p95 at 8 connections, median of {len(peer)} rounds | {med['p95']:.1f} ms | peer p95 / ours, "
        f"median of the per-round ratios: **{statistics.median(ratios):.1f}×** (min {ratios[0]:.1f}, "
        f"max {ratios[-1]:.1f}) |",
        f"| search p50 at 8 connections | {med['p50']:.1f} ms | |",
        f"| throughput at 8 connections | {med['rps']:.0f} req/s | ours / peer, median of per-round ratios "
        f"{statistics.median(throughput):.1f}× ({throughput[0]:.1f}-{throughput[-1]:.1f}) |",
        f"| server memory after the run ({m['processes']} processes): RSS / PSS | {m['rss_mb']:.0f} / "
        f"{m['pss_mb']:.0f} MB | |",
        "",
        f"- Peer p95 of each round: {per_round} ms. Errors (non-2xx or socket): {errors}.",
        "",
    ]


def write_doc(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if HEADING in doc:
        start = doc.index(HEADING)
        rest = doc[start + len(HEADING):]
        end = rest.find("\n## ")
        doc = doc[:start] + text + (rest[end + 1:] if end >= 0 else "")
    else:
        first = doc.index("\n## ") + 1
        doc = doc[:first] + text + "\n" + doc[first:]
    DOC.write_text(doc, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--datasets", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=3000, help="distinct searches wrk cycles through")
    parser.add_argument("--seconds", type=int, default=20, help="wrk duration per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/opendata-bench-search"))
    parser.add_argument("--no-peer", dest="peer", action="store_false", help="skip the SQLite FTS5 peer")
    parser.add_argument("--write", action="store_true", help="write the section into docs/benchmarks.md")
    parser.add_argument("--in-process", action="store_true",
                        help="only time each search through the service in this process (CPU ms), no HTTP")
    parser.add_argument("--through-app", action="store_true",
                        help="only time requests through the Flask app in this process (CPU ms), first and cached")
    parser.add_argument("--prepare-only", action="store_true",
                        help="only build (or migrate) the generated catalogue under --workdir, for a later run")
    args = parser.parse_args(argv)
    if args.prepare_only:
        prepare(args.workdir, args.datasets)
        return 0
    if args.in_process or args.through_app:
        home = prepare(args.workdir, args.datasets)
        if not (home / "search.sqlite3").exists():
            build_index(home, args.workdir)
        if args.through_app:  # fewer searches than the answers the index caches, so the repeats are cached
            figures = through_app(home, search_paths(args.searches)[:400])
            print("through the app, CPU ms per request: " + ", ".join(f"{k} {v:.2f}" for k, v in figures.items()),
                  flush=True)
            return 0
        figures = in_process(home, search_paths(args.searches))
        print("in-process, per search: " + ", ".join(f"{k} {v:.1f}" for k, v in figures.items()), flush=True)
        return 0
    results = run(args)
    text = render(results, args)
    print(text)
    if args.write:
        write_doc(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
