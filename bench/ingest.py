"""Ingest benchmark: frictionless-py validate vs our validation vs our full ingest, same file.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/ingest.py                      # 1,000,000 rows (~140 MB)
    .venv/bin/python bench/ingest.py --rows 10000000      # ~1.4 GB
    .venv/bin/python bench/ingest.py --rows 10000000 --skip frictionless --write
    .venv/bin/python bench/ingest.py --pairs 5 --write     # 5 rounds, the tools taking turns

``ingest-child`` is the default full ingest as the server runs it: in a child process forked by
the fork server (opendata/core/childprocess.py), timed from the request to the answer back; its
peak RSS is the child's, sampled every 20 ms. The start-up cost of a child on its own (forking,
the memory limit, the answer through the pipe) is measured with ``--startup``.

The CSV is generated deterministically (numpy, seed 42) under bench/data/ (git-ignored) with
its Table Schema. Each measurement runs in its own subprocess, which reports its wall time and
its peak resident memory (VmHWM from /proc/self/status). ``--write`` puts the results into
the "Ingest" section of docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench" / "data"
DOC = ROOT / "docs" / "benchmarks.md"
CHUNK_ROWS = 500_000
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")
TOOLS = ("frictionless", "validate", "ingest", "ingest-excel", "ingest-child")

CATEGORIES = ["行政许可", "行政处罚", "行政强制", "行政征收", "行政给付", "行政检查", "行政确认", "其他"]
_ORG_PREFIX = ["北京市", "上海市", "杭州市", "广州市", "深圳市", "成都市", "武汉市", "南京市", "西安市", "重庆市"]
_ORG_MIDDLE = ["朝阳区", "海淀区", "浦东新区", "西湖区", "天河区", "南山区", "武侯区", "江汉区", "玄武区", "雁塔区"]
_ORG_SUFFIX = ["市场监督管理局", "生态环境局", "交通运输局", "卫生健康委员会", "教育局", "住房和城乡建设局",
               "城市管理局", "税务局", "应急管理局", "人力资源和社会保障局"]
_REMARKS = ["依法办理", "材料齐全，予以受理", "现场检查未发现问题", "责令限期整改", "已结案", "群众举报核实",
            "按期完成整改", "移送相关部门处理", "申请材料不全，需补正", "无异议", "已告知当事人陈述申辩权利",
            "经复核维持原决定"]
_DIVISIONS = ["110105", "110108", "310115", "330106", "440106", "440305", "510107", "420103", "320102",
              "610113", "500103", "120101", "210102", "370102", "430102", "350102"]

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "division", "type": "string", "constraints": {"pattern": "[0-9]{6}"}},
        {"name": "org", "type": "string", "constraints": {"required": True}},
        {"name": "date", "type": "date"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "category", "type": "string", "constraints": {"enum": CATEGORIES}},
        {"name": "lat", "type": "number", "constraints": {"minimum": 18, "maximum": 54}},
        {"name": "lon", "type": "number", "constraints": {"minimum": 73, "maximum": 136}},
        {"name": "remarks", "type": "string"},
    ],
    "primaryKey": "id",
}


def generate(rows: int) -> tuple[Path, Path]:
    """Write the benchmark CSV and its schema (once per row count); returns their paths."""
    import numpy as np
    import pyarrow as pa

    sys.path.insert(0, str(ROOT))
    from opendata.core.tableschema import load_table_schema
    from opendata.core.writers import CsvArtifactWriter

    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"ingest-{rows}.csv"
    schema_path = DATA / "ingest-schema.json"
    schema_path.write_text(json.dumps(SCHEMA, ensure_ascii=False, indent=2), encoding="utf-8")
    if csv_path.exists():
        return csv_path, schema_path
    schema = load_table_schema(SCHEMA)
    rng = np.random.default_rng(42)
    orgs = pa.array([p + m + s for p in _ORG_PREFIX for m in _ORG_MIDDLE for s in _ORG_SUFFIX])
    remarks = pa.array([a if b is None else f"{a}；{b}" for a in _REMARKS for b in (None, *_REMARKS[:5])])
    divisions, categories = pa.array(_DIVISIONS), pa.array(CATEGORIES)
    writer = CsvArtifactWriter(csv_path, schema.fields)
    start = np.datetime64("2015-01-01")
    for first in range(0, rows, CHUNK_ROWS):
        n = min(CHUNK_ROWS, rows - first)

        def pick(values: pa.Array, n: int = n) -> pa.Array:
            return values.take(pa.array(rng.integers(0, len(values), n)))

        dates = (start + rng.integers(0, 3650, n).astype("timedelta64[D]")).astype("datetime64[D]")
        batch = pa.record_batch([
            pa.array(np.arange(first + 1, first + n + 1), pa.int64()),
            pick(divisions), pick(orgs), pa.array(dates, pa.date32()),
            pa.array(np.round(rng.exponential(5000.0, n), 2)), pick(categories),
            pa.array(np.round(rng.uniform(18.0, 53.5, n), 6)),
            pa.array(np.round(rng.uniform(73.5, 135.0, n), 6)), pick(remarks),
        ], names=schema.field_names)
        writer.write_batch(batch)
    writer.close()
    return csv_path, schema_path


def _peak_rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(tool: str, csv_path: str, schema_path: str) -> dict:
    """Run one tool in this process; returns seconds, rows, validity and peak RSS.

    Imports happen before the clock starts: the figure is the work on the file.
    """
    sys.path.insert(0, str(ROOT))
    import frictionless

    from opendata.core.pipeline import run_pipeline
    from opendata.core.pipeline_child import PipelineOutcome
    from opendata.core.tableschema import load_table_schema
    from opendata.core.validation import validate_table

    descriptor = json.loads(Path(schema_path).read_text("utf-8"))
    if tool == "ingest-child":
        from opendata.core.childprocess import run_in_child

        run_in_child(os.getpid, memory_bytes=2 * 1024**3)  # the fork server has imported the pipeline
        children_cpu = _tree_cpu_seconds()
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu_before = usage.ru_utime + usage.ru_stime
    started = time.perf_counter()
    if tool == "frictionless":
        schema = frictionless.Schema.from_descriptor(descriptor)
        with frictionless.system.use_context(trusted=True):  # allow the absolute path
            report = frictionless.validate(csv_path, schema=schema)
        task = report.tasks[0] if report.tasks else None
        out = {"valid": report.valid, "rows": task.stats.get("rows") if task else None,
               "errors": report.stats.get("errors")}
    elif tool == "validate":
        report = validate_table(csv_path, load_table_schema(descriptor)).to_descriptor()
        out = {"valid": report["valid"], "rows": report["tasks"][0]["stats"]["rows"],
               "errors": report["stats"]["errors"]}
    else:
        with tempfile.TemporaryDirectory(dir=DATA) as out_dir:
            if tool == "ingest-child":
                result, child_peak = _in_child(csv_path, load_table_schema(descriptor), out_dir)
            else:
                result = PipelineOutcome.of(run_pipeline(csv_path, load_table_schema(descriptor), out_dir,
                                                         salt=os.urandom(16), excel_csv=tool == "ingest-excel"))
            out = {"valid": result.valid, "rows": result.row_count,
                   "errors": result.report["stats"]["errors"],
                   "outputs": {a.kind: a.bytes for a in result.artifacts},
                   "pii_findings": len((result.pii or {}).get("findings", []))}
    out["seconds"] = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    out["cpu_seconds"] = usage.ru_utime + usage.ru_stime - cpu_before
    out["peak_rss_mb"] = _peak_rss_mb()
    if tool == "ingest-child":
        out["cpu_seconds"] += _tree_cpu_seconds() - children_cpu  # the child, reaped by the fork server
        out["peak_rss_mb"] = child_peak
    return out


def _in_child(csv_path: str, schema, out_dir: str):
    """run_pipeline_in_child (the default outputs); (result, the child's peak RSS in MB)."""
    import threading

    from opendata.core.pipeline_child import run_pipeline_in_child

    peak, done = [0.0], threading.Event()

    def sample() -> None:
        while not done.wait(0.02):
            peak[0] = max(peak[0], _grandchildren_rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        result = run_pipeline_in_child(csv_path, schema, out_dir, memory_bytes=2 * 1024**3, salt=os.urandom(16))
    finally:
        done.set()
        sampler.join()
    return result, peak[0]


def _descendants() -> dict[int, int]:
    """pid -> depth below this process (1: children, 2: grandchildren...)."""
    parents = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
    depth, todo = {}, [(os.getpid(), 0)]
    while todo:
        pid, d = todo.pop()
        for child, parent in parents.items():
            if parent == pid and child not in depth:
                depth[child] = d + 1
                todo.append((child, d + 1))
    return depth


def _grandchildren_rss_mb() -> float:
    """The largest RSS of a process forked by the fork server (this process's grandchildren)."""
    best = 0.0
    for pid, depth in _descendants().items():
        if depth == 2:
            try:
                best = max(best, int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE / 2**20)
            except (OSError, IndexError, ValueError):
                continue
    return best


def _tree_cpu_seconds() -> float:
    """CPU seconds of this process's descendants, including their reaped children."""
    total = 0.0
    for pid in _descendants():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15]) / TICK
    return total


def measure_startup(runs: int = 30) -> dict:
    """Milliseconds from asking for a child to its answer (os.getpid), once the fork server runs."""
    sys.path.insert(0, str(ROOT))
    from opendata.core.childprocess import run_in_child

    run_in_child(os.getpid, memory_bytes=2 * 1024**3)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run_in_child(os.getpid, memory_bytes=2 * 1024**3)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"runs": runs, "median_ms": times[runs // 2], "min_ms": times[0], "max_ms": times[-1]}


def run_child(tool: str, csv_path: Path, schema_path: Path) -> dict:
    cmd = [sys.executable, __file__, "--measure", tool, str(csv_path), str(schema_path)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"failed": proc.stderr.strip().splitlines()[-1:] or ["exit " + str(proc.returncode)]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def combine(rs: list[dict], base: list[dict] | None) -> dict:
    """A tool's rounds as one result: its median run, and the ratios to frictionless' run of the same round."""
    ok = [r for r in rs if "failed" not in r]
    if not ok:
        return rs[0]
    out = dict(sorted(ok, key=lambda r: r["seconds"])[len(ok) // 2])
    out["rounds"] = len(ok)
    if base and len(base) == len(rs):
        pairs = [(b, r) for b, r in zip(base, rs, strict=True) if "failed" not in b and "failed" not in r]
        out["ratios"] = [b["seconds"] / r["seconds"] for b, r in pairs]
        out["cpu_ratios"] = [b["cpu_seconds"] / r["cpu_seconds"] for b, r in pairs]
    return out


def _ratio(values: list[float] | None) -> str:
    if not values:
        return "-"
    ordered = sorted(values)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    return f"{median:.1f}× ({ordered[0]:.1f}–{ordered[-1]:.1f})"


def machine() -> dict:
    def sh(*cmd: str) -> str:
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    model = re.search(r"Model name:\s*(.+)", sh("lscpu"))
    mem = re.search(r"Mem:\s+(\S+)", sh("free", "-h"))
    import duckdb
    import frictionless
    import pyarrow

    return {
        "cpus": sh("nproc").strip(), "cpu": model.group(1).strip() if model else platform.processor(),
        "memory": mem.group(1) if mem else "?", "python": platform.python_version(),
        "pyarrow": pyarrow.__version__, "frictionless": frictionless.__version__,
        "duckdb": duckdb.__version__, "os": platform.platform(),
    }


def results_rounds(results: dict) -> int:
    return max((r.get("rounds", 1) for r in results.values()), default=1)


def render(rows: int, size: int, results: dict, info: dict, startup: dict | None = None) -> str:
    """The markdown for one run."""
    lines = [
        f"### {rows:,} rows ({size / 1e6:,.0f} MB), {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
        "",
        f"Machine: {info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM, {info['os']}; "
        f"Python {info['python']}, pyarrow {info['pyarrow']}, frictionless {info['frictionless']}, "
        f"duckdb {info['duckdb']}.",
        "",
        f"Load average (1 min) before/after: {info['load_before']} / {os.getloadavg()[0]:.2f} "
        "(the machine is shared; CPU seconds are less sensitive to other work than wall time).",
        "",
        f"The tools take turns, {results_rounds(results)} round(s); each figure is a tool's median run, each "
        "ratio the median of frictionless' time over ours within a round (min–max over the rounds). These are "
        "in-process times (imports excluded); the whole-command comparison is bench/validate.py.",
        "",
        "| run | seconds | CPU s | MB/s | rows/s | peak RSS (MB) | vs frictionless (wall) | (CPU) | valid |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    names = {"frictionless": "frictionless-py `validate`", "validate": "opendata validation (`validate_table`)",
             "ingest": "opendata full ingest (`run_pipeline`: CSV + Parquet)",
             "ingest-excel": "opendata full ingest + Excel CSV (the default)",
             "ingest-child": "the same in a child process, as the server runs it"}
    for tool, res in results.items():
        if "failed" in res:
            lines.append(f"| {names[tool]} | failed: {res['failed'][0]} | | | | | | | |")
            continue
        secs, cpu = res["seconds"], res["cpu_seconds"]
        ratio, cpu_ratio = _ratio(res.get("ratios")), _ratio(res.get("cpu_ratios"))
        lines.append(f"| {names[tool]} | {secs:.2f} | {cpu:.2f} | {size / 1e6 / secs:,.1f} | "
                     f"{rows / secs:,.0f} | {res['peak_rss_mb']:,.0f} | {ratio} | {cpu_ratio} | {res['valid']} |")
    ingest = results.get("ingest-excel") or results.get("ingest") or {}
    if ingest.get("outputs"):
        sizes = ", ".join(f"{k} {v / 1e6:,.1f} MB" for k, v in ingest["outputs"].items())
        lines += ["", f"Full ingest wrote: {sizes}; PII findings: {ingest.get('pii_findings')}."]
    if startup:
        lines += ["", f"Starting a child once the fork server runs (fork, memory limit, answer back): median "
                      f"{startup['median_ms']:.1f} ms (min {startup['min_ms']:.1f}, max {startup['max_ms']:.1f}) "
                      f"over {startup['runs']} runs."]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Add this run to the "Ingest" section of docs/benchmarks.md, leaving other sections alone."""
    text = DOC.read_text("utf-8") if DOC.exists() else "# Benchmarks\n"
    intro = ("## Ingest\n\nGenerated by `bench/ingest.py` (seeded, government-style CSV with its Table "
             "Schema). Each run is a separate process on the same file; throughput ratios are "
             "frictionless-py's time divided by ours. Targets: validation ≥ 30×, full ingest "
             "(validation, PII scan, canonical CSV + Parquet + datapackage.json written) ≥ 20×, peak RSS "
             "< 500 MB on 10M rows.\n\n")
    match = re.search(r"^## Ingest\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        body = match.group(0).rstrip() + "\n\n" + section
        text = text[:match.start()] + body + ("\n" + text[match.end():] if text[match.end():] else "")
    else:
        text = text.rstrip() + "\n\n" + intro + section
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip", action="append", default=[], choices=TOOLS)
    parser.add_argument("--pairs", type=int, default=3, help="rounds in which the tools take turns")
    parser.add_argument("--write", action="store_true", help="record the results in docs/benchmarks.md")
    parser.add_argument("--startup", action="store_true", help="also measure the start-up of a child process")
    parser.add_argument("--measure", nargs=3, metavar=("TOOL", "CSV", "SCHEMA"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure_startup() if args.measure[0] == "startup" else measure(*args.measure)))
        return 0
    t0 = time.perf_counter()
    load_before = f"{os.getloadavg()[0]:.2f}"
    csv_path, schema_path = generate(args.rows)
    size = csv_path.stat().st_size
    print(f"data: {csv_path} ({size / 1e6:,.1f} MB, {args.rows:,} rows; ready in {time.perf_counter() - t0:.1f} s)")
    tools = [t for t in TOOLS if t not in args.skip]
    runs: dict[str, list[dict]] = {t: [] for t in tools}
    for i in range(args.pairs):  # the tools take turns, round after round: other work hits them alike
        for tool in tools:
            runs[tool].append(res := run_child(tool, csv_path, schema_path))
            print(f"round {i + 1} {tool}: {json.dumps(res)}", flush=True)
    results = {tool: combine(rs, runs.get("frictionless")) for tool, rs in runs.items()}
    startup = run_child("startup", csv_path, schema_path) if args.startup else None
    if startup:
        print(f"startup: {json.dumps(startup)}", flush=True)
    section = render(args.rows, size, results, {**machine(), "load_before": load_before}, startup)
    print()
    print(section)
    if args.write:
        write_doc(section)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
