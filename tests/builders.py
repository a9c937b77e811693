"""Shared test builders that go through the real services: catalogue sync, ingest, publish.

``make_catalog`` writes catalog.yaml and schemas/ from small dicts and syncs them;
``publish_rows`` writes rows as a CSV file and ingests and publishes it like an administrator.
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from pathlib import Path
from typing import Any

import yaml

from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.publication import publish_if_clean
from opendata.services.runtime import Runtime
from opendata.services.versions import IngestOutcome, ingest_file
from opendata.store.db import transaction

ROWS_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "title": "编号", "description": "记录编号",
         "constraints": {"required": True}},
        {"name": "district", "type": "string", "title": "区县", "description": "所在区县"},
        {"name": "category", "type": "string", "title": "类别"},
        {"name": "amount", "type": "number", "title": "金额", "description": "金额（元）"},
        {"name": "day", "type": "date", "title": "日期"},
    ],
    "primaryKey": ["id"],
}

ORGANIZATIONS = [
    {"id": "city", "name": "示例市人民政府", "credit_code": "113301000000000000", "level": "city",
     "division_code": "330100"},
    {"id": "finance", "name": "示例市财政局", "level": "city", "division_code": "330100", "parent": "city"},
    {"id": "env", "name": "示例市生态环境局", "level": "city", "division_code": "330100", "parent": "city"},
]

_DATASET_DEFAULTS = {
    "license": "CC-BY-4.0", "disclosure": "unconditional", "frequency": "annual", "theme": "fiscal",
    "publisher": "finance", "schema": "rows.json",
}


def _credit_code(body17: str) -> str:
    from opendata.core.codes import uscc_check_char

    return body17 + uscc_check_char(body17)


def default_code(identifier: str) -> str:
    """A catalogue code stable per identifier (re-syncs keep it): every builder organization sits on
    330100, so that division code is a publisher code of each."""
    return f"330100/{int(hashlib.sha256(identifier.encode()).hexdigest(), 16) % 10**10:010d}"


def make_catalog(runtime: Runtime, tmp_path: Path, *, datasets: list[dict[str, Any]],
                 organizations: list[dict[str, Any]] | None = None,
                 schemas: dict[str, dict[str, Any]] | None = None, sync: bool = True) -> Path:
    """Write a catalogue (defaults filled in per dataset), sync it through the real service; returns its folder.

    Each dataset dict needs ``id`` and ``title``; ``code`` defaults to :func:`default_code`. Schemas default to
    ``{"rows.json": ROWS_SCHEMA}``. Calling it again with changed dicts re-syncs the same folder.
    ``sync=False`` only writes the files.
    """
    root = tmp_path / "catalog"
    (root / "schemas").mkdir(parents=True, exist_ok=True)
    for name, descriptor in (schemas or {"rows.json": ROWS_SCHEMA}).items():
        (root / "schemas" / name).write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    orgs = [dict(o) for o in (organizations or ORGANIZATIONS)]
    for i, o in enumerate(orgs):
        if o.get("credit_code"):
            o["credit_code"] = _credit_code(f"1133010000000{i:04d}")
    entries = []
    for d in datasets:
        entry = {**_DATASET_DEFAULTS, "code": default_code(d["id"]), **d}
        if entry["disclosure"] != "unconditional":
            entry.setdefault("legal_basis", "《中华人民共和国政府信息公开条例》第十五条（个人隐私）")
        entries.append(entry)
    doc = {"catalog": {"title": "示例市公共数据开放平台", "publisher": orgs[0]["id"]},
           "organizations": orgs, "datasets": entries}
    path = root / "catalog.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    if not sync:
        return root
    spec = load_catalog(path, schemas_dir=root / "schemas")
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=spec)
    from opendata.services.search import reindex_search

    reindex_search(runtime=runtime)
    return root


def write_csv(path: Path, rows: list[dict[str, Any]], columns: list[str] | None = None) -> Path:
    """Write rows as a UTF-8 CSV file (columns default to the first row's keys)."""
    columns = columns or list(rows[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(columns)
        for r in rows:
            writer.writerow(["" if r.get(c) is None else r[c] for c in columns])
    return path


def generate_rows(n: int, *, seed: int = 42, start_id: int = 1) -> list[dict[str, Any]]:
    """Deterministic rows for ROWS_SCHEMA."""
    rnd = random.Random(seed)
    districts = ["上城区", "西湖区", "滨江区", "萧山区"]
    categories = ["教育", "卫生", "交通"]
    return [{"id": start_id + i, "district": rnd.choice(districts), "category": rnd.choice(categories),
             "amount": round(rnd.uniform(0, 1000), 2), "day": f"2024-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"}
            for i in range(n)]


def ingest_rows(runtime: Runtime, dataset: str, rows: list[dict[str, Any]], *,
                filename: str | None = None) -> IngestOutcome:
    """Ingest rows as a new version (awaiting review if valid) through the real pipeline."""
    folder = runtime.config.home / "uploads"
    existing = len(list(folder.glob("*.csv"))) if folder.exists() else 0
    path = write_csv(folder / (filename or f"{dataset}-{existing + 1}.csv"), rows)
    return ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset=dataset, path=path,
                       actor="tests")


def publish_rows(runtime: Runtime, dataset: str, rows: list[dict[str, Any]]) -> IngestOutcome:
    """Ingest rows and publish the new version (after_publish hooks run, as for an administrator)."""
    outcome = ingest_rows(runtime, dataset, rows)
    status = publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="tests")
    assert status.startswith("published"), status
    return outcome
