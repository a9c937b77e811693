"""The whole publish path as an operator runs it: `/usr/bin/time -v opendata sync --ingest` on a generated CSV.

Run by hand on a quiet machine (not part of the test suite)::

    .venv/bin/python bench/publish.py                      # 10,000,000 rows (~1.4 GB), one run
    .venv/bin/python bench/publish.py --rows 20000         # a small proof that it runs
    .venv/bin/python bench/publish.py --runs 3 --write     # record in docs/benchmarks.md

The CSV and its 9-field Table Schema are those of bench/ingest.py (generated once under
bench/data/). Each run starts from an empty OPENDATA_HOME (`opendata init`), then times
`opendata sync --ingest` under `/usr/bin/time -v`: reading the catalogue, validating and
converting the file, storing the version, publishing it (column profiles and the row engine's
database). Reported: wall and CPU seconds, the peak RSS /usr/bin/time gives and that of the whole
process tree sampled from /proc (the ingest and publish children are forked by a fork server the
command does not wait for, so /usr/bin/time leaves them out), the bytes
each artifact kind records, and the bytes really stored under artifacts/ (each file once, however
many artifacts point to it) against the source's size. Targets (issue 16): peak RSS <= 1 GB,
<= 60 s for 10M rows, stored bytes <= 2x the source, the row database <= 2x the Parquet file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Publish (whole process)"
sys.path.insert(0, str(ROOT / "bench"))

import ingest  # noqa: E402  (the generated CSV and its schema)

CATALOG = """catalog:
  title: 基准测试平台
  publisher: gov
organizations:
  - id: gov
    name: 示例市人民政府
    level: city
    division_code: "330100"
datasets:
  - id: bench
    code: "330100/00001"
    title: 行政执法事项基准数据
    publisher: gov
    theme: administrative-penalties
    license: CC-BY-4.0
    disclosure: unconditional
    frequency: daily
    schema: bench.json
    source: data/bench.csv
"""


def _home(workdir: Path, csv_path: Path, schema_path: Path) -> dict[str, str]:
    """A fresh OPENDATA_HOME and catalogue folder; the environment the commands run in."""
    shutil.rmtree(workdir, ignore_errors=True)
    (workdir / "schemas").mkdir(parents=True)
    (workdir / "data").mkdir()
    shutil.copy(schema_path, workdir / "schemas" / "bench.json")
    (workdir / "data" / "bench.csv").symlink_to(csv_path)
    (workdir / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    env = {**os.environ, "OPENDATA_HOME": str(workdir / "home"), "OPENDATA_CATALOG_FILE": "catalog.yaml",
           "OPENDATA_SCHEMAS_DIR": "schemas"}
    subprocess.run([str(BIN / "opendata"), "init"], cwd=workdir, env=env, check=True, capture_output=True)
    return env


def _time_v(text: str) -> dict[str, float]:
    """Wall, CPU and peak RSS from /usr/bin/time -v's report."""
    def field(label: str) -> str:
        return re.search(rf"^\s*{re.escape(label)}: (.+)$", text, flags=re.M).group(1).strip()

    wall = 0.0
    for part in field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":"):
        wall = wall * 60 + float(part)
    return {"wall": wall, "cpu": float(field("User time (seconds)")) + float(field("System time (seconds)")),
            "rss_mb": int(field("Maximum resident set size (kbytes)")) / 1024}


def _stored(home: Path) -> dict:
    """Bytes each artifact kind records, and the bytes stored on disk (each stored file once)."""
    con = sqlite3.connect(home / "opendata.db")
    try:
        rows = con.execute("SELECT a.kind, a.path, a.bytes FROM artifact a JOIN version v ON v.id = a.version_id "
                           "WHERE v.number = 1").fetchall()
    finally:
        con.close()
    by_kind = {kind: {"bytes": nbytes, "path": path} for kind, path, nbytes in rows}
    root = home / "artifacts"
    inodes = {}
    for _kind, path, _ in rows:
        st = (root / path).stat()
        inodes[(st.st_dev, st.st_ino)] = st.st_size
    on_disk = sum(f.stat().st_size for f in root.rglob("*") if f.is_file() and ".tmp" not in f.parts)
    return {"kinds": by_kind, "distinct_bytes": sum(inodes.values()), "artifacts_folder_bytes": on_disk}


def _label(pid: int) -> str:
    """A process's name for the peak's breakdown: its command line's last words, else its name."""
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        name = Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return str(pid)
    shown = " ".join(Path(w).name if w.startswith("/") else w for w in words if w)[:60]
    return f"{pid} {name}: {shown}" if shown else f"{pid} {name}"


class TreeSampler:
    """Samples every 0.1 s the processes descending from one pid (/proc): the peak of their summed
    proportional set size (PSS: shared pages split between the processes sharing them), and each
    one's CPU seconds as last seen. The ingest and publish children are forked by a
    fork server that the command does not wait for, so /usr/bin/time's figures leave them out."""

    def __init__(self, root: int):
        self.root, self.peak_sum_mb, self.peak_one_mb, self.cpu = root, 0.0, 0.0, {}
        self.peak_parts: list[tuple[str, float]] = []  # (process, PSS MB) at the peak of the sum
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._tick = os.sysconf("SC_CLK_TCK")
        self._thread.start()

    def _tree(self) -> list[int]:
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    stat = Path(f"/proc/{entry}/stat").read_text()
                except OSError:
                    continue
                parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
        found, frontier = [], [self.root]
        while frontier:
            pid = frontier.pop()
            found.append(pid)
            frontier += [child for child, parent in parents.items() if parent == pid]
        return found

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            total, parts = 0.0, []
            for pid in self._tree():
                try:
                    # PSS: pages the fork server's children share with it are counted once, not per process
                    rss = int(re.search(r"Pss:\s+(\d+)", Path(f"/proc/{pid}/smaps_rollup").read_text()).group(1)) / 1024
                    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                except (OSError, AttributeError):
                    continue
                self.cpu[pid] = (int(fields[11]) + int(fields[12])) / self._tick
                total += rss
                parts.append((_label(pid), rss))
                self.peak_one_mb = max(self.peak_one_mb, rss)
            if total > self.peak_sum_mb:
                self.peak_sum_mb, self.peak_parts = total, sorted(parts, key=lambda p: -p[1])

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        return {"tree_rss_mb": self.peak_sum_mb, "tree_max_one_mb": self.peak_one_mb, "peak_parts": self.peak_parts,
                "tree_cpu": sum(self.cpu.values())}


def one_run(workdir: Path, csv_path: Path, schema_path: Path) -> dict:
    env = _home(workdir, csv_path, schema_path)
    started = time.perf_counter()
    child = subprocess.Popen(["/usr/bin/time", "-v", str(BIN / "opendata"), "sync", "--ingest"], cwd=workdir,
                             env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(child.pid)
    stdout, stderr = child.communicate()
    elapsed = time.perf_counter() - started
    tree = sampler.stop()
    proc = subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr)
    if proc.returncode != 0:
        raise SystemExit(f"opendata sync --ingest failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}")
    out = _time_v(proc.stderr)
    out.update(tree)
    out["wall_here"] = elapsed
    out["stdout"] = proc.stdout.strip().splitlines()[-1:]
    out.update(_stored(workdir / "home"))
    print(f"  {out['wall']:.1f} s wall, {out['cpu']:.1f} s CPU ({out['tree_cpu']:.1f} s with the fork server's "
          f"children), peak RSS {out['rss_mb']:.0f} MB (process tree, PSS: {out['tree_rss_mb']:.0f} MB), "
          f"stored {out['artifacts_folder_bytes'] / 1e6:,.0f} MB", flush=True)
    return out


def render(results: dict) -> str:
    runs, source = results["runs"], results["source_bytes"]
    med = lambda key: statistics.median(r[key] for r in runs)  # noqa: E731
    last = runs[-1]
    kinds = last["kinds"]
    stored = med("artifacts_folder_bytes")
    parquet, rows_db = kinds.get("parquet", {}).get("bytes"), kinds.get("duckdb", {}).get("bytes")
    lines = [HEADING, "",
             f"Run {results['when']} UTC by `bench/publish.py --rows {results['rows']} --runs {len(runs)}` on "
             f"{results['machine']}. Load average (1 min) before/after: {results['load'][0]:.2f} / "
             f"{results['load'][1]:.2f}.", "",
             f"`/usr/bin/time -v opendata sync --ingest` on a fresh home: {results['rows']:,} rows, source "
             f"{source / 1e6:,.0f} MB (the 9-field CSV of bench/ingest.py). Median of {len(runs)} run(s). /usr/bin/time "
             "counts the command and the processes it waited for, not the children of the fork server that "
             "ingest and publish run in; the tree figures sample every process under the command every 0.1 s "
             "(summed PSS at its peak, so pages a child shares with the fork server count once; CPU seconds as last "
             "seen, so a child's final 0.1 s may be missing).", "",
             "| wall s | CPU s (whole tree) | peak RSS MB (/usr/bin/time) | peak memory MB (tree, PSS) "
             "| stored MB | stored / source | row database / Parquet |",
             "|---:|---:|---:|---:|---:|---:|---:|",
             f"| **{med('wall'):.1f}** | {med('tree_cpu'):.1f} | {med('rss_mb'):.0f} | **{med('tree_rss_mb'):.0f}** | "
             f"{stored / 1e6:,.0f} | "
             f"**{stored / source:.2f}×** | "
             + (f"**{rows_db / parquet:.2f}×** |" if parquet and rows_db else "- |"), "",
             "Targets: wall <= 60 s for 10M rows, peak RSS <= 1 GB, stored <= 2× the source, row database <= 2× "
             "the Parquet file.", "",
             "| artifact | bytes it records (MB) | stored file |", "|---|---:|---|"]
    seen: dict[str, str] = {}
    for kind, info in sorted(kinds.items()):
        first = seen.setdefault(info["path"], kind)
        where = "its own" if first == kind else f"the {first} file (stored once)"
        lines.append(f"| {kind} | {info['bytes'] / 1e6:,.1f} | {where} |")
    if last.get("peak_parts"):
        lines += ["", "At the peak of the tree's memory (last run), by process (PSS MB): "
                  + "; ".join(f"{label} {mb:.0f}" for label, mb in last["peak_parts"]) + "."]
    if len(runs) > 1:
        lines += ["", "Each run: " + "; ".join(f"{r['wall']:.1f} s, {r['tree_cpu']:.1f} s CPU, {r['tree_rss_mb']:.0f} MB"
                                               for r in runs) + "."]
    return "\n".join(lines) + "\n"


def write_doc(section: str) -> None:
    """Replace this benchmark's section of docs/benchmarks.md (or add it before the Ingest one)."""
    text = DOC.read_text("utf-8")
    match = re.search(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", text, flags=re.S | re.M)
    if match:
        text = text[:match.start()] + section + "\n" + text[match.end():]
    else:
        at = text.find("## Ingest")
        text = (text[:at] + section + "\n" + text[at:]) if at >= 0 else text.rstrip() + "\n\n" + section
    DOC.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=None, help="default bench/data/publish-<rows>")
    parser.add_argument("--write", action="store_true", help="record the results in docs/benchmarks.md")
    args = parser.parse_args(argv)
    workdir = args.workdir or ROOT / "bench" / "data" / f"publish-{args.rows}"
    csv_path, schema_path = ingest.generate(args.rows)
    results = {"when": f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}", "rows": args.rows,
               "source_bytes": csv_path.stat().st_size, "machine": ingest_machine(), "runs": []}
    load_before = os.getloadavg()[0]
    for i in range(args.runs):
        print(f"run {i + 1}", flush=True)
        results["runs"].append(one_run(workdir, csv_path, schema_path))
    results["load"] = (load_before, os.getloadavg()[0])
    section = render(results)
    print()
    print(section)
    print(json.dumps({k: v for k, v in results["runs"][-1].items() if k != "kinds"}, default=str))
    if args.write:
        write_doc(section)
    return 0


def ingest_machine() -> str:
    info = ingest.machine()
    return (f"{info['cpus']} CPUs ({info['cpu']}), {info['memory']} RAM; Python {info['python']}, "
            f"pyarrow {info['pyarrow']}, duckdb {info['duckdb']}")


if __name__ == "__main__":
    raise SystemExit(main())
