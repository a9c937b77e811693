"""Whole-process benchmark: ``opendata validate`` against ``frictionless validate``, taking turns.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/validate.py                      # 1M rows, 5 pairs, clean and with errors
    .venv/bin/python bench/validate.py --pairs 7 --write    # record in docs/benchmarks.md
    .venv/bin/python bench/validate.py --memory             # also peak RSS of opendata on 10M rows

Each side runs as its own process, exactly as a user types it (``opendata validate FILE --schema
S --json`` and ``frictionless validate FILE --schema S --json``, relative paths in the data
folder), and the two alternate: opendata, frictionless, opendata, frictionless ... Wall seconds
come from this process's clock around each child, CPU seconds (user + system) and peak RSS from
``/usr/bin/time`` around the command. Each pair gives one ratio (frictionless' wall seconds over
ours); the figure is the median of those ratios with their min and max. Both JSON reports are
reduced to error counts by (type, field name), which must be identical.

Two files: the 1M-row benchmark CSV of bench/ingest.py (valid), and a copy with about 500 errors
of seven kinds (type, constraint, pattern, enum, required, primary key) at seeded places.
Start-up is measured on a 10-row file and ``opendata --help``, 15 runs each. ``--memory``
validates the 10M-row file once to compare its peak RSS with the 1M-row file's.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import platform
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Validate (whole processes)"
sys.path.insert(0, str(ROOT / "bench"))

import ingest  # noqa: E402  (bench/ingest.py: the generated file and its schema)


def with_errors(clean: Path, every: int = 2000, seed: int = 42) -> Path:
    """A copy of ``clean`` with one error in about every ``every`` rows, of seven kinds."""
    out = clean.with_name(clean.stem + "-errors.csv")
    if out.exists():
        return out
    rng = random.Random(seed)
    spoil = [
        lambda r, prev: r.__setitem__(4, "-" + r[4]),  # amount below its minimum
        lambda r, prev: r.__setitem__(5, "未知类别"),  # category not in the enum
        lambda r, prev: r.__setitem__(3, "2020-13-45"),  # not a date
        lambda r, prev: r.__setitem__(1, "11010X"),  # division against its pattern
        lambda r, prev: r.__setitem__(6, "99.5"),  # lat above its maximum
        lambda r, prev: r.__setitem__(2, ""),  # org is required
        lambda r, prev: r.__setitem__(0, prev[0]),  # the previous row's id: primary key
    ]
    tmp = out.with_suffix(".tmp")
    with open(clean, encoding="utf-8", newline="") as src, open(tmp, "w", encoding="utf-8", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst, lineterminator="\n")
        writer.writerow(next(reader))
        prev = None
        for row in reader:
            if prev is not None and rng.randrange(every) == 0:
                row = list(row)
                rng.choice(spoil)(row, prev)
            writer.writerow(row)
            prev = row
    tmp.replace(out)
    return out


def run_child(cmd: list[str], cwd: Path) -> dict:
    """One child process under /usr/bin/time: wall seconds (this clock), CPU seconds and peak RSS.

    /usr/bin/time reports the command's own peak RSS (a child forked from this Python process
    would inherit this process's size as its starting high-water mark).
    """
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        started = time.perf_counter()
        proc = subprocess.run(["/usr/bin/time", "-f", "%U %S %M", "-o", report.name, *cmd], cwd=cwd,
                              capture_output=True, check=False)
        wall = time.perf_counter() - started
        user, system, rss_kb = report.read().split()[-3:]
    return {"wall": wall, "cpu": float(user) + float(system), "rss_mb": int(rss_kb) / 1024,
            "code": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}


def error_counts(report_json: bytes) -> Counter:
    """Errors by (type, field name) in a Frictionless-shaped JSON report (ours or frictionless')."""
    report = json.loads(report_json)
    counts: Counter = Counter()
    for task in report.get("tasks", []):
        for e in task.get("errors", []):
            counts[(e.get("type"), e.get("fieldName"))] += 1
    return counts


def commands(csv_name: str, schema_name: str) -> dict[str, list[str]]:
    return {"opendata": [str(BIN / "opendata"), "validate", csv_name, "--schema", schema_name, "--json"],
            "frictionless": [str(BIN / "frictionless"), "validate", csv_name, "--schema", schema_name, "--json"]}


def pairs(csv_path: Path, schema_path: Path, n: int) -> dict:
    """n pairs of (opendata, frictionless) on one file; ratios, CPU, RSS and the error counts."""
    cmds = commands(csv_path.name, schema_path.name)
    runs: dict[str, list[dict]] = {"opendata": [], "frictionless": []}
    counts: dict[str, Counter] = {}
    for i in range(n):
        for side in ("opendata", "frictionless"):
            res = run_child(cmds[side], csv_path.parent)
            if res["code"] not in (0, 1):
                raise SystemExit(f"{side} failed ({res['code']}): {res['stderr'].decode()[-500:]}")
            found = error_counts(res["stdout"])
            if side in counts and counts[side] != found:
                raise SystemExit(f"{side} reported different errors from one run to the next")
            counts[side] = found
            runs[side].append({k: res[k] for k in ("wall", "cpu", "rss_mb")})
            print(f"  pair {i + 1} {side}: {res['wall']:.2f} s wall, {res['cpu']:.2f} s CPU, "
                  f"{res['rss_mb']:.0f} MB", flush=True)
    ratios = [f["wall"] / o["wall"] for o, f in zip(runs["opendata"], runs["frictionless"], strict=True)]
    cpu_ratios = [f["cpu"] / o["cpu"] for o, f in zip(runs["opendata"], runs["frictionless"], strict=True)]
    return {"runs": runs, "ratios": ratios, "cpu_ratios": cpu_ratios, "counts": counts,
            "identical": counts["opendata"] == counts["frictionless"]}


def startup(tmp: Path, runs: int = 15) -> dict:
    """Median wall and CPU seconds of `opendata --help` and of validating a 10-row file."""
    small = tmp / "ten-rows.csv"
    with open(ingest.DATA / f"ingest-{1_000_000}.csv", encoding="utf-8") as src:
        small.write_text("".join(next(src) for _ in range(11)), encoding="utf-8")
    cmds = {"opendata --help": [str(BIN / "opendata"), "--help"],
            "opendata validate (10 rows)": [str(BIN / "opendata"), "validate", small.name, "--schema",
                                            "ingest-schema.json"]}
    out = {}
    for name, cmd in cmds.items():
        samples = [run_child(cmd, tmp) for _ in range(runs)]
        walls = sorted(s["wall"] for s in samples)
        cpus = sorted(s["cpu"] for s in samples)
        out[name] = {"wall": statistics.median(walls), "wall_min": walls[0], "wall_max": walls[-1],
                     "cpu": statistics.median(cpus), "runs": runs}
        print(f"  {name}: median {out[name]['wall']:.3f} s wall, {out[name]['cpu']:.3f} s CPU", flush=True)
    return out


def memory(schema_path: Path) -> dict:
    """Peak RSS of opendata validate on the 1M- and 10M-row files (one run each)."""
    out = {}
    for rows in (1_000_000, 10_000_000):
        csv_path, _ = ingest.generate(rows)
        res = run_child(commands(csv_path.name, schema_path.name)["opendata"], csv_path.parent)
        out[rows] = {k: res[k] for k in ("wall", "cpu", "rss_mb")}
        print(f"  {rows:,} rows: {res['wall']:.1f} s, peak RSS {res['rss_mb']:.0f} MB", flush=True)
    return out


def versions() -> str:
    import frictionless
    import pyarrow

    model = re.search(r"Model name:\s*(.+)", subprocess.run(["lscpu"], capture_output=True, text=True).stdout)
    return (f"{model.group(1).strip() if model else platform.processor()}, {os.cpu_count()} cores, "
            f"Linux {platform.release()}; Python {platform.python_version()}, pyarrow {pyarrow.__version__}, "
            f"frictionless {frictionless.__version__}")


def _stats(values: list[float]) -> str:
    return f"{statistics.median(values):.1f}× (min {min(values):.1f}, max {max(values):.1f})"


def render(results: dict) -> str:
    """The markdown for one run."""
    lines = [SECTION, "",
             f"Run {results['when']} UTC by `bench/validate.py --pairs {results['pairs']}` on {results['machine']}. "
             f"Load average (1 min) before/after: {results['load'][0]:.2f} / {results['load'][1]:.2f} on "
             f"{os.cpu_count()} cores.", "",
             "Each side is a whole process as a user runs it (`opendata validate FILE --schema S --json`, "
             "`frictionless validate FILE --schema S --json`), the two alternating, opendata first in each "
             "pair; the ratio is frictionless' wall seconds over opendata's within a pair. CPU seconds are "
             "user + system of the process.", "",
             "| file | opendata wall s (median) | CPU s | peak RSS MB | frictionless wall s | CPU s | peak RSS MB "
             "| ratio, wall (median of pairs) | ratio, CPU | errors by type and field |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, res in results["files"].items():
        o, f = res["runs"]["opendata"], res["runs"]["frictionless"]
        med = lambda rs, k: statistics.median(r[k] for r in rs)  # noqa: E731
        total = sum(res["counts"]["opendata"].values())
        same = "identical" if res["identical"] else "DIFFERENT"
        lines.append(f"| {label} | {med(o, 'wall'):.2f} | {med(o, 'cpu'):.2f} | {med(o, 'rss_mb'):.0f} | "
                     f"{med(f, 'wall'):.2f} | {med(f, 'cpu'):.2f} | {med(f, 'rss_mb'):.0f} | "
                     f"**{_stats(res['ratios'])}** | {_stats(res['cpu_ratios'])} | {same} ({total:,} errors) |")
    lines.append("")
    for label, res in results["files"].items():
        per_pair = ", ".join(f"{r:.1f}×" for r in res["ratios"])
        lines.append(f"- {label}, ratio of each pair in order: {per_pair}.")
        if res["counts"]["opendata"]:
            kinds = ", ".join(f"{t} {fld or '(row)'} {n}" for (t, fld), n in
                              sorted(res["counts"]["opendata"].items(), key=lambda kv: (kv[0][0], kv[0][1] or "")))
            lines.append(f"  Errors (both sides): {kinds}.")
    s = results["startup"]
    lines += ["", f"Start-up, median of {s['opendata --help']['runs']} runs each: "
              + "; ".join(f"`{name}` {v['wall']:.3f} s wall (min {v['wall_min']:.3f}, max {v['wall_max']:.3f}), "
                          f"{v['cpu']:.3f} s CPU" for name, v in s.items()) + " (target < 0.3 s)."]
    if results.get("memory"):
        m = results["memory"]
        lines += ["", f"Memory: peak RSS of `opendata validate` on 1,000,000 rows {m[1_000_000]['rss_mb']:.0f} MB "
                  f"({m[1_000_000]['wall']:.1f} s), on 10,000,000 rows {m[10_000_000]['rss_mb']:.0f} MB "
                  f"({m[10_000_000]['wall']:.1f} s, {m[10_000_000]['cpu']:.1f} s CPU); target: the second at most "
                  "the first + 100 MB."]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or add it before the Ingest one)."""
    text = DOC.read_text("utf-8")
    match = re.search(rf"^{re.escape(SECTION)}\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        text = text[:match.start()] + section + "\n" + text[match.end():]
    else:
        at = text.find("## Ingest")
        text = (text[:at] + section + "\n" + text[at:]) if at >= 0 else text.rstrip() + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--memory", action="store_true", help="also validate the 10M-row file once")
    parser.add_argument("--write", action="store_true", help="record the results in docs/benchmarks.md")
    args = parser.parse_args(argv)
    clean, schema_path = ingest.generate(args.rows)
    spoiled = with_errors(clean)
    load_before = os.getloadavg()[0]
    results = {"when": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}", "pairs": args.pairs, "machine": versions(),
               "files": {}}
    print("start-up", flush=True)
    results["startup"] = startup(clean.parent)
    for label, path in ((f"{args.rows:,} rows, valid ({clean.stat().st_size / 1e6:,.0f} MB)", clean),
                        (f"{args.rows:,} rows with errors", spoiled)):
        print(label, flush=True)
        results["files"][label] = pairs(path, schema_path, args.pairs)
    if args.memory:
        print("memory", flush=True)
        results["memory"] = memory(schema_path)
    results["load"] = (load_before, os.getloadavg()[0])
    section = render(results)
    print()
    print(section)
    if args.write:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
