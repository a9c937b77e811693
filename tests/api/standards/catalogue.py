"""A small published catalogue built through the real services, for the standards and CKAN tests.

Datasets (identifier: disclosure, what is published):
- ``budget``: unconditional, fiscal, one published version (12 rows);
- ``bus-lines``: unconditional, transport, two published versions (the latest is served);
- ``pending``: unconditional, one version awaiting review (no data anywhere);
- ``subsidies``: conditional, a published version (metadata only, never data);
- ``penalties``: closed with its legal basis (metadata only);
- ``retired``: withdrawn after publishing (appears nowhere).
"""

from __future__ import annotations

import json
import random
import textwrap
from dataclasses import dataclass
from pathlib import Path

from opendata.config import load_config
from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.publication import publish_if_clean
from opendata.services.runtime import Runtime
from opendata.services.versions import ingest_file
from opendata.store.db import transaction
from opendata.store.migrate import upgrade_to_head
from tests.conftest import make_credit_code

SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "title": "编号", "constraints": {"required": True}},
        {"name": "name", "type": "string", "title": "名称", "description": "项目名称"},
        {"name": "district", "type": "string", "title": "区县"},
        {"name": "amount", "type": "number", "title": "金额（万元）", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["id"],
}
DISTRICTS = ["上城区", "拱墅区", "西湖区", "滨江区"]
NAMES = ["教育", "卫生", "交通", "环保", "就业", "住房", "养老", "文化"]
CITY = make_credit_code("11330100000000000")
FINANCE = make_credit_code("11330100000000001")
TRANSPORT = make_credit_code("11330100000000002")
BASE_URL = "http://data.example.gov.cn"

_DATASET = """\
  - id: {id}
    code: "330100/{code}"
    title: {title}
    title_en: {title_en}
    description: {title}，按年度发布。
    description_en: {title_en}, published every year.
    publisher: {publisher}
    theme: {theme}
    keywords: [{keywords}]
    license: CC-BY-4.0
    disclosure: {disclosure}
    frequency: {frequency}
    schema: rows.json
    contact: {{name: 数据科, email: data@example.gov.cn, phone: "0571-87000000"}}
"""
DATASETS = [
    dict(id="budget", code="10001", title="示例市财政预算", title_en="Budget of Example City",
         publisher="finance", theme="fiscal", keywords="预算, 财政", disclosure="unconditional", frequency="annual"),
    dict(id="bus-lines", code="20001", title="公交线路客流", title_en="Bus line ridership",
         publisher="transport", theme="transport", keywords="公交, 交通", disclosure="unconditional",
         frequency="monthly"),
    dict(id="pending", code="10003", title="待审核数据", title_en="Pending data", publisher="finance",
         theme="fiscal", keywords="预算", disclosure="unconditional", frequency="irregular"),
    dict(id="subsidies", code="10002", title="补贴发放明细", title_en="Subsidy payments", publisher="finance",
         theme="agricultural-subsidies", keywords="补贴", disclosure="conditional", frequency="quarterly"),
    dict(id="penalties", code="20002", title="交通行政处罚", title_en="Traffic penalties",
         publisher="transport", theme="administrative-penalties", keywords="处罚", disclosure="closed",
         frequency="daily"),
    dict(id="retired", code="10009", title="已撤回数据", title_en="Retired data", publisher="finance",
         theme="fiscal", keywords="撤回", disclosure="unconditional", frequency="annual"),
]
LEGAL_BASIS = "《中华人民共和国政府信息公开条例》第十五条（个人隐私）"


def catalog_text(datasets: list[dict]) -> str:
    head = textwrap.dedent(f"""\
        catalog:
          title: 示例市公共数据开放平台
          title_en: Example City Open Data
          description: 示例市政府部门开放的公共数据。
          description_en: Public data opened by the departments of Example City.
          publisher: city
          homepage: {BASE_URL}/
        organizations:
          - id: city
            name: 示例市人民政府
            name_en: Example City People's Government
            credit_code: {CITY}
            level: city
            division_code: "330100"
            contact: {{name: 办公室, email: office@example.gov.cn}}
          - id: finance
            name: 示例市财政局
            credit_code: {FINANCE}
            level: city
            division_code: "330100"
            parent: city
          - id: transport
            name: 示例市交通运输局
            credit_code: {TRANSPORT}
            level: city
            division_code: "330100"
            parent: city
        datasets:
        """)
    body = ""
    for d in datasets:
        body += _DATASET.format(**d)
        if d["disclosure"] != "unconditional":
            body += f"    legal_basis: {LEGAL_BASIS}\n"
        if d["id"] == "budget":
            body += "    temporal: {start: 2024-01-01, end: 2024-12-31}\n    spatial: \"330100\"\n"
    return head + body


def rows_csv(seed: int, n: int) -> str:
    rnd = random.Random(seed)
    lines = ["id,name,district,amount"]
    for i in range(1, n + 1):
        lines.append(f"{i},{rnd.choice(NAMES)}项目{i},{rnd.choice(DISTRICTS)},{rnd.randint(1, 9999) / 10}")
    return "\n".join(lines) + "\n"


@dataclass
class Catalogue:
    root: Path
    runtime: Runtime

    @property
    def env(self) -> dict[str, str]:
        """OPENDATA_ variables for a server process over this catalogue."""
        return {"OPENDATA_HOME": str(self.runtime.config.home),
                "OPENDATA_CATALOG_FILE": str(self.root / "catalog.yaml"),
                "OPENDATA_SCHEMAS_DIR": str(self.root / "schemas"), "OPENDATA_RATE_LIMIT_ENABLED": "false"}


def _sync(rt: Runtime, root: Path, datasets: list[dict]) -> None:
    (root / "catalog.yaml").write_text(catalog_text(datasets), encoding="utf-8")
    spec = load_catalog(root / "catalog.yaml", schemas_dir=root / "schemas")
    with transaction(rt.sessions) as session:
        sync_catalog(session=session, spec=spec)


def _ingest(rt: Runtime, root: Path, identifier: str, seed: int, n: int, *, publish: bool = True) -> None:
    path = root / "data" / f"{identifier}-{seed}.csv"
    path.write_text(rows_csv(seed, n), encoding="utf-8")
    outcome = ingest_file(sessions=rt.sessions, store=rt.artifacts, dataset=identifier, path=path, actor="test")
    assert outcome.state == "awaiting-review", outcome.report
    if publish:
        status = publish_if_clean(runtime=rt, version_id=outcome.version_id, actor="test")
        assert status.startswith("published"), status


def build_catalogue(root: Path, *, base_url: str = BASE_URL, **settings) -> Catalogue:
    """Sync, ingest and publish the datasets above into a fresh OPENDATA_HOME under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "schemas").mkdir(exist_ok=True)
    (root / "data").mkdir(exist_ok=True)
    (root / "schemas" / "rows.json").write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
    # rate limits are not what these tests are about, and a harvester's burst would hit them
    rt = Runtime(load_config({}, HOME=str(root / "home"), BASE_URL=base_url, RATE_LIMIT_ENABLED=False,
                             CATALOG_FILE=str(root / "catalog.yaml"), SCHEMAS_DIR=str(root / "schemas"), **settings))
    rt.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(rt.config.database_url)
    _sync(rt, root, DATASETS)
    _ingest(rt, root, "budget", 1, 12)
    _ingest(rt, root, "bus-lines", 2, 5)
    _ingest(rt, root, "bus-lines", 3, 8)
    _ingest(rt, root, "pending", 4, 3, publish=False)
    _ingest(rt, root, "subsidies", 5, 6)
    _ingest(rt, root, "retired", 6, 4)
    _sync(rt, root, [d for d in DATASETS if d["id"] != "retired"])
    return Catalogue(root, rt)


