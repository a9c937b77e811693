"""Lighthouse scores of the portal's home, search and dataset pages (performance and accessibility).

Run by hand (not part of the test suite)::

    .venv/bin/python bench/lighthouse.py              # the sample catalogue under gunicorn, 3 runs per page
    .venv/bin/python bench/lighthouse.py --url http://127.0.0.1:5000 --runs 5

Lighthouse 12.2.3 from npm (`npm ci`) with Debian's chromium (CHROME_PATH). Without --url the sample
catalogue is initialised and ingested into a temporary OPENDATA_HOME and served by gunicorn
(1 worker, 4 threads) on 127.0.0.1. Each page is audited --runs times in turn, mobile (Lighthouse's
default: emulated phone, simulated slow 4G and 4x CPU slowdown) and desktop presets; the median score
and the median metrics are printed as a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.browser.lighthouse import lighthouse_report, scores  # noqa: E402
from tests.live_server import start_sample_portal  # noqa: E402

PAGES = {"home": "/", "search": "/catalog?q=%E9%A2%84%E7%AE%97", "dataset": "/datasets/qc-air-quality-hourly"}
METRICS = {"first-contentful-paint": "FCP", "largest-contentful-paint": "LCP", "total-blocking-time": "TBT",
           "cumulative-layout-shift": "CLS"}


def _audit(base: str, runs: int) -> list[dict]:
    rows = []
    for preset in ("mobile", "desktop"):
        results: dict[str, list[dict]] = {name: [] for name in PAGES}
        for _ in range(runs):
            for name, path in PAGES.items():  # pages take turns, so a burst of load hits them alike
                report = lighthouse_report(base + path, desktop=preset == "desktop")
                figures = dict(scores(report))
                for audit, label in METRICS.items():
                    figures[label] = report["audits"][audit]["numericValue"]
                results[name].append(figures)
        for name, runs_of_page in results.items():
            row = {"page": name, "path": PAGES[name], "preset": preset}
            for key in runs_of_page[0]:
                row[key] = statistics.median(r[key] for r in runs_of_page)
            row["perf_runs"] = [r["performance"] for r in runs_of_page]
            rows.append(row)
    return rows


def _markdown(rows: list[dict], runs: int, load: tuple[float, float]) -> str:
    out = [f"Run on {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `bench/lighthouse.py` (Lighthouse 12.2.3, "
           f"Debian chromium, {runs} runs per page and preset, medians); {platform.machine()}, "
           f"{os.cpu_count()} cores; load average (1 min) before/after {load[0]:.2f} / {load[1]:.2f}.", "",
           "| page | preset | performance | accessibility | FCP ms | LCP ms | TBT ms | CLS | performance per run |",
           "|---|---|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r['page']} (`{r['path']}`) | {r['preset']} | {r['performance']:.0f} | "
                   f"{r['accessibility']:.0f} | {r['FCP']:.0f} | {r['LCP']:.0f} | {r['TBT']:.0f} | "
                   f"{r['CLS']:.3f} | {', '.join(str(s) for s in r['perf_runs'])} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="audit a running portal instead of starting the sample one")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    before = os.getloadavg()[0]
    if args.url:
        rows = _audit(args.url.rstrip("/"), args.runs)
    else:
        with tempfile.TemporaryDirectory(prefix="opendata-lighthouse-") as tmp:
            server = start_sample_portal(Path(tmp) / "home")
            server.stop()
            server.gunicorn = True  # the production server for the measured run
            server.start()
            try:
                rows = _audit(server.base, args.runs)
            finally:
                server.stop()
    print(_markdown(rows, args.runs, (before, os.getloadavg()[0])))


if __name__ == "__main__":
    main()
