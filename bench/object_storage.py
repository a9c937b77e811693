"""Downloads from the local folder, streamed from object storage, and redirected to a presigned URL.

Run by hand on a quiet machine (not part of the test suite)::

    .venv/bin/python bench/object_storage.py                      # 300,000 rows (~17 MB CSV), 7 rounds
    .venv/bin/python bench/object_storage.py --rows 2000 --rounds 2 --downloads 3   # a quick check

One published dataset is built twice with the real services: in a local OPENDATA_HOME, and with
every artifact in a bucket of moto's S3 server (``moto[server]``, started here on 127.0.0.1). Three
gunicorn servers (1 worker, 4 threads) then answer the same whole-CSV download: A the local folder
(sendfile), B the object streamed through the app (ranged GET), C a 302 to a presigned URL that the
client follows to the store. Each round measures the sides in turn (the order rotates), each side
``--downloads`` sequential downloads; reported: the median wall time per download, the median of the
per-round ratios to A (min-max), and CPU seconds per download of the app's processes and of the S3
server's. moto is a Python server: B and C measure the app's side faithfully, the store's side only
as moto serves it (a real S3 or MinIO sends bytes far cheaper).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.services import S3Server  # noqa: E402

URL = "/api/v1/datasets/budget/download.csv"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children still running (gunicorn's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def _children(pid: int) -> list[int]:
    try:
        found = [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []
    return found + [g for c in found for g in _children(c)]


def build_home(home: Path, rows: int, settings: dict[str, str]) -> None:
    """Sync one dataset and publish ``rows`` rows into ``home`` with the given store settings."""
    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.store.migrate import upgrade_to_head
    from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows

    rt = Runtime(load_config({f"OPENDATA_{k}": v for k, v in settings.items()}, HOME=str(home)))
    home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(rt.config.database_url)
    make_catalog(rt, home.parent / f"{home.name}-project",
                 datasets=[{"id": "budget", "title": "示例市财政预算", "keywords": ["预算"]}],
                 schemas={"rows.json": ROWS_SCHEMA})
    publish_rows(rt, "budget", generate_rows(rows, seed=7))
    rt.close()


def start_app(home: Path, settings: dict[str, str], log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    env = {**os.environ, "OPENDATA_HOME": str(home), "OPENDATA_RATE_LIMIT_ENABLED": "0",
           **{f"OPENDATA_{k}": str(v) for k, v in settings.items()}}
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-w", "1", "-k", "gthread", "--threads", "4",
                             "-b", f"127.0.0.1:{port}", "opendata.wsgi:app"], cwd=ROOT, env=env,
                            stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log}")
        try:
            con = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            con.request("GET", "/api/v1/status")
            con.getresponse().read()
            return proc, port
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"gunicorn on {port} did not answer; see {log}")


def download(port: int) -> int:
    """One whole download through the app (following a redirect to the store); its bytes."""
    con = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    con.request("GET", URL)
    answer = con.getresponse()
    body = answer.read()
    con.close()
    if answer.status == 302:
        with urllib.request.urlopen(answer.getheader("Location"), timeout=120) as stored:
            body = stored.read()
    elif answer.status != 200:
        raise SystemExit(f"download answered {answer.status}")
    return len(body)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--downloads", type=int, default=20, help="sequential downloads per side and round")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-objstore-"))
    s3 = S3Server(work / "s3-server").start()
    procs: list[subprocess.Popen] = []
    try:
        bucket = s3.new_bucket()
        s3_settings = {k: str(v) for k, v in s3.settings(bucket).items()}
        build_home(work / "local", args.rows, {})
        build_home(work / "s3", args.rows, s3_settings)
        sides = {}
        for name, home, settings in (("A local folder", work / "local", {}),
                                     ("B S3 streamed", work / "s3", s3_settings),
                                     ("C S3 presigned", work / "s3", {**s3_settings, "DOWNLOAD_REDIRECT_SECONDS": "300"})):
            proc, port = start_app(home, settings, work / f"{name[0]}.log")
            procs.append(proc)
            sides[name] = (proc, port)
            size = download(port)  # warm: caches, the bulk index, connections
        wall = {name: [] for name in sides}
        app_cpu = {name: [] for name in sides}
        store_cpu = {name: [] for name in sides}
        for r in range(args.rounds):
            names = list(sides)
            names = names[r % len(names):] + names[:r % len(names)]
            for name in names:
                proc, port = sides[name]
                cpu0, s0, t0 = cpu_seconds(proc.pid), cpu_seconds(s3.process.pid), time.perf_counter()
                for _ in range(args.downloads):
                    download(port)
                t1 = time.perf_counter()
                wall[name].append((t1 - t0) / args.downloads)
                app_cpu[name].append((cpu_seconds(proc.pid) - cpu0) / args.downloads)
                store_cpu[name].append((cpu_seconds(s3.process.pid) - s0) / args.downloads)
        base = wall["A local folder"]
        print(f"{dt.date.today()} · {platform.node()} · {os.cpu_count()} cores · load average "
              f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} · {args.rows:,} rows, CSV {size:,} bytes · "
              f"{args.rounds} rounds × {args.downloads} downloads per side\n")
        print("| side | wall ms per download (median) | ratio to A, median (min–max) | app CPU ms | S3 server CPU ms |")
        print("|---|---:|---:|---:|---:|")
        for name in sides:
            ratios = [w / b for w, b in zip(wall[name], base, strict=True)]
            print(f"| {name} | {statistics.median(wall[name]) * 1000:.1f} | {statistics.median(ratios):.2f} "
                  f"({min(ratios):.2f}–{max(ratios):.2f}) | {statistics.median(app_cpu[name]) * 1000:.1f} | "
                  f"{statistics.median(store_cpu[name]) * 1000:.1f} |")
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.kill(proc.pid, 15)
                proc.wait(30)
        s3.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
