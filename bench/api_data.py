"""Data for bench/api.py: the published 1M-row dataset, synthetic catalogue entries, the SQLite copy."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import random
import shutil
import sqlite3
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_PLACES = ["上城区", "西湖区", "滨江区", "萧山区", "余杭区", "临平区", "钱塘区", "富阳区", "临安区", "桐庐县",
           "淳安县", "建德市", "拱墅区", "鹿城区", "龙湾区", "瓯海区", "洞头区", "乐清市", "瑞安市", "永嘉县"]
_SUBJECTS = ["空气质量", "财政预算", "财政决算", "三公经费", "政府债务", "公共资源交易", "政府采购", "征地补偿",
             "义务教育招生", "医疗机构", "绩效考核", "执法检查", "就业登记", "社会救助", "涉农补贴", "行政许可",
             "行政处罚", "热线工单", "公交站点", "停车场", "充电桩", "垃圾分类", "水质监测", "噪声监测",
             "养老机构", "托育机构", "体育场馆", "图书馆", "文物保护", "旅游景区", "企业登记", "食品抽检",
             "药品抽检", "特种设备", "安全生产", "应急避难场所", "地名地址", "人口统计", "住房保障", "公积金"]
_SUFFIXES = ["数据", "明细", "统计", "名单", "目录", "信息", "情况表", "年报", "月报", "清单"]
_COLUMNS = ["station", "pm25", "amount", "budget", "school", "hospital", "score", "district", "address", "phone",
            "category", "count", "year", "month", "price", "area", "capacity", "status", "longitude", "latitude"]
SEARCH_WORDS = ["空气", "财政", "预算", "教育", "招生", "医疗", "执法", "补贴", "交通", "公交", "养老", "监测",
                "企业", "食品", "热线", "债务", "采购", "就业", "住房", "文物"]


def _load_module(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- data ------------------------------------------------------------------------------------------
def _overrides() -> dict:
    from opendata.config import SETTINGS

    return {"RATE_LIMIT_ENABLED": False} if any(s.name == "RATE_LIMIT_ENABLED" for s in SETTINGS) else {}


def _migration_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_current_head()


def prepare_home(workdir: Path, rows: int, n_datasets: int) -> tuple[Path, Path]:
    """OPENDATA_HOME with the benchmark dataset published and n synthetic catalogue entries; (home, parquet)."""
    home = workdir / "home"
    # a home prepared by an older tree would answer from an older schema (or not at all): the marker
    # names the migration head it was built at, so a newer head builds it again
    marker = workdir / f"ready-{rows}-{n_datasets}-{_migration_head()}.json"
    if marker.exists():
        return home, Path(json.loads(marker.read_text())["parquet"])
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    import yaml

    from opendata.config import load_config
    from opendata.core.catalog_file import load_catalog
    from opendata.services.catalog_sync import sync_catalog
    from opendata.services.publication import publish_if_clean
    from opendata.services.runtime import Runtime
    from opendata.services.search import reindex_search
    from opendata.services.versions import ingest_file
    from opendata.store.db import transaction
    from opendata.store.migrate import upgrade_to_head
    from opendata.store.models import Artifact

    ingest_bench = _load_module("bench_ingest", ROOT / "bench" / "ingest.py")
    csv_path, schema_path = ingest_bench.generate(rows)
    runtime = Runtime(load_config({}, HOME=str(home), **_overrides()))
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    cat = workdir / "catalog"
    (cat / "schemas").mkdir(parents=True)
    shutil.copy(schema_path, cat / "schemas" / "bench.json")
    doc = {"catalog": {"title": "基准测试平台", "publisher": "gov"},
           "organizations": [{"id": "gov", "name": "示例市人民政府", "level": "city", "division_code": "330100"}],
           "datasets": [{"id": "bench", "code": "330100/00001", "title": "行政执法事项基准数据", "publisher": "gov",
                         "theme": "administrative-penalties", "license": "CC-BY-4.0", "disclosure": "unconditional",
                         "frequency": "daily", "schema": "bench.json", "keywords": ["执法"]}]}
    (cat / "catalog.yaml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=load_catalog(cat / "catalog.yaml", schemas_dir=cat / "schemas"))
    started = time.perf_counter()
    outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset="bench", path=csv_path,
                          actor="bench")
    print(f"ingested {outcome.row_count} rows in {time.perf_counter() - started:.1f} s ({outcome.state})")
    started = time.perf_counter()
    print(publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor="bench"),
          f"(row database prepared in {time.perf_counter() - started:.1f} s)")
    _add_catalogue_entries(runtime, n_datasets)
    started = time.perf_counter()
    reindex_search(runtime=runtime)
    print(f"indexed {n_datasets + 1} datasets in {time.perf_counter() - started:.1f} s")
    with runtime.sessions() as session:
        from sqlalchemy import select

        rel = session.scalar(select(Artifact.path).where(Artifact.version_id == outcome.version_id,
                                                         Artifact.kind == "parquet"))
    parquet = runtime.artifacts.path(rel)
    runtime.close()
    marker.write_text(json.dumps({"parquet": str(parquet)}))
    return home, parquet


def _add_catalogue_entries(runtime, n: int) -> None:
    """n synthetic catalogue entries (bench only: written in bulk, bypassing catalog.yaml)."""
    if n <= 0:  # an empty bulk insert would add one row of defaults
        return
    from sqlalchemy import insert

    from opendata.core import vocab
    from opendata.store.db import transaction
    from opendata.store.models import Dataset, Organization, TableSchemaRecord, utcnow

    rnd = random.Random(42)
    themes, freqs = vocab.keys("theme"), vocab.keys("frequency")
    with transaction(runtime.sessions) as session:
        orgs = []
        for i, place in enumerate(_PLACES):
            org = Organization(slug=f"org-{i}", name=f"{place}人民政府", level="county", division_code="330100")
            session.add(org)
            orgs.append(org)
        schemas = []
        for i in range(20):
            cols = rnd.sample(_COLUMNS, 5)
            rec = TableSchemaRecord(name=f"synthetic-{i}.json", sha256=f"{i:064d}",
                                    descriptor={"fields": [{"name": c, "type": "string"} for c in cols]})
            session.add(rec)
            schemas.append(rec)
        session.flush()
        now = utcnow()
        rows = []
        for i in range(n):
            place, subject = rnd.choice(_PLACES), rnd.choice(_SUBJECTS)
            disclosure = rnd.choices(["unconditional", "conditional", "closed"], [8, 1, 1])[0]
            rows.append({
                "identifier": f"ds-{i:06d}", "code": f"330100-S-{i:06d}",
                "title": f"{place}{subject}{rnd.choice(_SUFFIXES)}（{2015 + i % 10}年）",
                "description": f"{place}{subject}相关{rnd.choice(_SUFFIXES)}，由{rnd.choice(_PLACES)}汇总发布。",
                "organization_id": rnd.choice(orgs).id, "theme": rnd.choice(themes),
                "keywords": rnd.sample(SEARCH_WORDS, 2), "license": "CC-BY-4.0", "disclosure": disclosure,
                "legal_basis": None if disclosure == "unconditional" else "《政府信息公开条例》第十五条",
                "frequency": rnd.choice(freqs), "contact": {}, "schema_id": rnd.choice(schemas).id,
                "state": "active", "origin": "api", "created_at": now - dt.timedelta(minutes=i),
                "modified_at": now - dt.timedelta(minutes=rnd.randint(0, 10**6)),
            })
        session.execute(insert(Dataset), rows)


def build_search_index(home: Path) -> None:
    """Bring the search index up to date before the servers start (a format change rebuilds it)."""
    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.services.search import search_datasets

    runtime = Runtime(load_config({}, HOME=str(home), **_overrides()))
    started = time.perf_counter()
    search_datasets(runtime=runtime, q="空气")
    print(f"search index ready in {time.perf_counter() - started:.1f} s")
    runtime.close()


def build_sqlite(parquet: Path, workdir: Path) -> Path:
    """The same rows in SQLite with an index on the filter column (what Datasette serves)."""
    db = workdir / "bench.db"
    if db.exists():
        return db
    import pyarrow.parquet as pq

    frame = pq.read_table(parquet).to_pandas()
    frame["date"] = frame["date"].astype(str)
    tmp = db.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    frame.to_sql("rows", con, index=False, dtype={"id": "INTEGER PRIMARY KEY"})
    con.execute("CREATE INDEX rows_category ON rows(category)")
    con.commit()
    con.close()
    tmp.rename(db)
    return db


