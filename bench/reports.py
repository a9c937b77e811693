"""Reports benchmark: a government's annual report over 200 organisations and 200,000 requests, and the
timeliness board over 50,000 datasets.

Run by hand on a quiet machine (not part of the test suite)::

    .venv/bin/python bench/reports.py                 # 200 organisations, 200,000 requests, 50,000 datasets
    .venv/bin/python bench/reports.py --reuse         # time again on the home prepared before
    .venv/bin/python bench/reports.py --write         # also write the "Reports" section of docs/benchmarks.md

A fresh OPENDATA_HOME under --workdir gets a city government with --orgs - 1 departments under it,
--requests disclosure requests spread over them and over 2024-2025 (random.Random(42): applicant
types, outcomes, a fifth still open at the end of a year, so table 三 carries over), and --datasets
datasets with every update frequency, four in five published on a day of the last 400. Then, taking
turns (A B A B, --rounds rounds), each as a whole command (a new process, as staff run it):

1. ``opendata reports show city 2025 --draft --json`` (the government's report: table 三 from the
   requests of the 200 organisations, the platform's figures, the checks), against the peer: the
   same table counted by loading every request of the tree as an ORM object and placing each with
   the reference function (opendata.core.reports.requests_table.count_requests). Target: < 5 s.
2. ``opendata timeliness --json`` (the board of every dataset), against the peer: every dataset
   loaded with its versions through the ORM and placed one by one. Target: < 1 s.

Wall and CPU seconds (the child's user + system) of each command; the median of the per-round
ratios (peer / ours) with min-max; the load average, date and machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Annual reports and timeliness"
FREQUENCIES = ["daily", "weekly", "monthly", "quarterly", "semiannual", "annual", "irregular"]
APPLICANTS = ["natural-person", "commercial-enterprise", "research-institution", "public-interest-organization",
              "legal-services", "other-organization"]
OUTCOMES = ["disclosed", "partial", "withheld-third-party", "unavailable-not-held", "not-processed-repeat", "other"]

PEER_REPORT = """
import sys, time
from sqlalchemy import select
from opendata.config import load_config
from opendata.core.reports.requests_table import RequestFacts, count_requests
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.reports.policy import ReportPolicy
from opendata.services.runtime import Runtime
from opendata.store.requests import DisclosureRequest as R
rt, policy = Runtime(load_config()), ReportPolicy()
with rt.sessions() as s:
    tree = load_org_tree(s)
    ids = tree.subtree_ids(find_organization(tree, "city").id)
    facts = [RequestFacts(r.applicant_type, r.first_receipt_date,
                          policy.local_date(r.decided_at) if r.decided_at else None, r.outcome)
             for r in s.scalars(select(R).where(R.organization_id.in_(ids)))]
table = count_requests(facts, 2025)
print(table["new"]["total"])
"""
PEER_TIMELINESS = """
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from opendata.config import load_config
from opendata.core import lifecycle
from opendata.core.timeliness import standing
from opendata.services.runtime import Runtime
from opendata.services.timeliness.policy import TimelinessPolicy
from opendata.store.models import Dataset
rt, policy = Runtime(load_config()), TimelinessPolicy()
today, late = policy.today(), 0
with rt.sessions() as s:
    for ds in s.scalars(select(Dataset).options(selectinload(Dataset.versions))):
        times = [v.published_at for v in ds.versions if v.state == lifecycle.PUBLISHED and v.published_at]
        last = policy.local_date(max(times)) if times else None
        late += standing(ds.frequency, last, policy.local_date(ds.created_at), today, 7).status == "overdue"
print(late)
"""


def catalog(orgs: int) -> str:
    lines = ["catalog:", "  title: 基准测试平台", "  publisher: city", "organizations:",
             "  - id: city", "    name: 示例市人民政府", "    level: city", '    division_code: "330100"']
    for i in range(1, orgs):
        lines += [f"  - id: dept{i:03d}", f"    name: 示例市第{i}局", "    level: city", '    division_code: "330100"',
                  "    parent: city"]
    lines += ["datasets:", "  - id: seed", "    code: 330100/0000000001", "    title: 种子数据集", "    publisher: city",
              "    theme: fiscal", "    license: CC-BY-4.0", "    disclosure: unconditional", "    frequency: annual",
              "    schema: rows.json"]
    return "\n".join(lines) + "\n"


def prepare(workdir: Path, orgs: int, requests: int, datasets: int) -> dict[str, str]:
    """A home with the organisations, requests and datasets; its environment."""
    from opendata.config import load_config
    from opendata.core.catalog_file import load_catalog
    from opendata.services.catalog_sync import sync_catalog
    from opendata.services.runtime import Runtime
    from opendata.store.db import transaction
    from opendata.store.migrate import upgrade_to_head

    if workdir.exists():
        shutil.rmtree(workdir)
    (workdir / "schemas").mkdir(parents=True)
    (workdir / "schemas" / "rows.json").write_text(json.dumps(
        {"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]}), encoding="utf-8")
    (workdir / "catalog.yaml").write_text(catalog(orgs), encoding="utf-8")
    env = environment(workdir)
    rt = Runtime(load_config(env))
    rt.config.home.mkdir(parents=True)
    upgrade_to_head(rt.config.database_url)
    with transaction(rt.sessions) as session:
        sync_catalog(session=session, spec=load_catalog(workdir / "catalog.yaml", schemas_dir=workdir / "schemas"))
    insert_requests(rt, requests)
    insert_datasets(rt, datasets)
    rt.close()
    return env


def environment(workdir: Path) -> dict[str, str]:
    # this checkout first on the path: the commands measure its code whatever the editable install points at
    return {"OPENDATA_HOME": str(workdir / "home"), "OPENDATA_RATE_LIMIT_ENABLED": "false",
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}


def insert_requests(rt, n: int) -> None:
    """n requests over every organisation, received in 2024-2025; four in five decided within 40 days."""
    import hashlib

    from sqlalchemy import insert, select

    from opendata.store.db import transaction
    from opendata.store.models import Organization
    from opendata.store.requests import DisclosureRequest

    rnd = random.Random(42)
    with transaction(rt.sessions) as session:
        orgs = list(session.scalars(select(Organization.id)))
    rows, start, now = [], dt.date(2024, 1, 1), dt.datetime.now(dt.UTC)
    for i in range(n):
        received = start + dt.timedelta(days=rnd.randrange(730))
        decided = rnd.random() < 0.8
        decided_at = dt.datetime.combine(received + dt.timedelta(days=rnd.randrange(1, 40)), dt.time(7, 0),
                                         tzinfo=dt.UTC) if decided else None
        email = f"applicant{i}@example.cn"
        rows.append({
            "code": f"B{i:015d}", "organization_id": rnd.choice(orgs), "kind": "disclosure",
            "subject": f"基准申请 {i}", "description": "请提供相关信息。", "delivery_medium": "electronic",
            "delivery_channel": "online", "applicant_type": rnd.choice(APPLICANTS), "applicant_name": f"申请人{i}",
            "id_type": "passport", "id_number": f"E{i:08d}", "email": email, "contact_keys": [],
            "applicant_key": hashlib.sha256(f"passport:E{i:08d}".encode()).hexdigest(),
            "content_sha256": hashlib.sha256(str(i).encode()).hexdigest(), "warnings": [],
            "state": "closed" if decided else "open", "received_at": dt.datetime.combine(received, dt.time(2, 0),
                                                                                         tzinfo=dt.UTC),
            "receipt_date": received, "first_receipt_date": received, "due_date": received + dt.timedelta(days=28),
            "calendar_version": "bench", "correction_notice_due": received + dt.timedelta(days=7),
            "outcome": rnd.choice(OUTCOMES) if decided else None, "decided_at": decided_at,
            "created_at": now, "modified_at": now})
        if len(rows) == 5000 or i == n - 1:
            with transaction(rt.sessions) as session:
                session.execute(insert(DisclosureRequest), rows)
            rows = []


def insert_datasets(rt, n: int) -> None:
    """n datasets over every organisation, every frequency; four in five with a published version."""
    from sqlalchemy import insert, select

    from opendata.core import lifecycle
    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Organization, Version

    rnd = random.Random(42)
    with transaction(rt.sessions) as session:
        orgs = list(session.scalars(select(Organization.id)))
        schema_id = session.scalar(select(Dataset.schema_id))
    now = dt.datetime.now(dt.UTC)
    for first in range(0, n, 5000):
        count = min(5000, n - first)
        with transaction(rt.sessions) as session:
            session.execute(insert(Dataset), [{
                "identifier": f"bench-{i:06d}", "code": f"330100/{i + 10:010d}", "title": f"基准数据集 {i}",
                "organization_id": rnd.choice(orgs), "theme": "fiscal", "license": "CC-BY-4.0",
                "disclosure": "unconditional", "frequency": rnd.choice(FREQUENCIES), "schema_id": schema_id,
                "created_at": now - dt.timedelta(days=500), "modified_at": now}
                for i in range(first, first + count)])
            ids = session.execute(select(Dataset.id).where(Dataset.identifier.in_(
                [f"bench-{i:06d}" for i in range(first, first + count)]))).scalars().all()
            session.execute(insert(Version), [{
                "dataset_id": ident, "number": 1, "state": lifecycle.PUBLISHED, "source_filename": "bench.csv",
                "source_bytes": 1, "source_sha256": "0" * 64, "schema_sha256": "0" * 64, "created_by": "bench",
                "published_at": now - dt.timedelta(days=rnd.randrange(400))}
                for ident in ids if rnd.random() < 0.8])


def timed(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall and CPU seconds of one command, and its output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, env={**os.environ, **env}, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done.stdout


def compare(ours: list[str], peer: list[str], env: dict[str, str], rounds: int) -> dict:
    """Ours and the peer taking turns; per-round times and the median of peer / ours with min-max."""
    runs: dict[str, list[tuple[float, float]]] = {"ours": [], "peer": []}
    for _ in range(rounds):
        runs["ours"].append(timed(ours, env)[:2])
        runs["peer"].append(timed(peer, env)[:2])
    ratios = [p[0] / o[0] for o, p in zip(runs["ours"], runs["peer"], strict=True)]
    return {name: {"wall": statistics.median(w for w, _ in r), "cpu": statistics.median(c for _, c in r),
                   "max_wall": max(w for w, _ in r)} for name, r in runs.items()} | {
        "ratio": statistics.median(ratios), "ratio_min": min(ratios), "ratio_max": max(ratios)}


def render(args, report: dict, board: dict) -> str:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines = [HEADING, "",
             f"`bench/reports.py --orgs {args.orgs} --requests {args.requests} --datasets {args.datasets} "
             f"--rounds {args.rounds}`, {dt.date.today()}, {platform.machine()} {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, load average {load}. Whole commands (new processes), medians of "
             f"{args.rounds} rounds taking turns; ratio = peer / ours per round, median (min-max).", "",
             "| command | ours wall s | ours CPU s | peer wall s | peer CPU s | ratio | target |", "|---|---|---|---|---|---|---|"]
    for name, r, target in (("report of the government (table 三 over every organisation)", report, "< 5 s"),
                            ("timeliness board of every dataset", board, "< 1 s")):
        lines.append(f"| {name} | {r['ours']['wall']:.2f} | {r['ours']['cpu']:.2f} | {r['peer']['wall']:.2f} | "
                     f"{r['peer']['cpu']:.2f} | {r['ratio']:.1f} ({r['ratio_min']:.1f}-{r['ratio_max']:.1f}) | {target} |")
    return "\n".join(lines) + "\n"


def write_section(text: str) -> None:
    doc = DOC.read_text(encoding="utf-8")
    if HEADING in doc:
        start = doc.index(HEADING)
        end = doc.find("\n## ", start + len(HEADING))
        doc = doc[:start] + text + (doc[end + 1:] if end != -1 else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + text
    DOC.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--datasets", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path, default=ROOT / "bench" / "data" / "reports")
    parser.add_argument("--reuse", action="store_true", help="time on the home prepared before")
    parser.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    args = parser.parse_args()
    env = environment(args.workdir) if args.reuse else prepare(args.workdir, args.orgs, args.requests, args.datasets)
    cli = [sys.executable, "-c", "from opendata.cli import run; run()"]  # what the `opendata` script runs
    report = compare([*cli, "reports", "show", "city", "2025", "--draft", "--json"],
                     [sys.executable, "-c", PEER_REPORT], env, args.rounds)
    board = compare([*cli, "timeliness", "--json", "--limit", "100"], [sys.executable, "-c", PEER_TIMELINESS], env,
                    args.rounds)
    text = render(args, report, board)
    print(text)
    if args.write:
        write_section(text)


if __name__ == "__main__":
    main()
