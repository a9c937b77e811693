"""Fixtures of the read API tests: a real catalogue, ingested and published through the services."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from opendata.app import close_app, create_app
from opendata.config import SETTINGS
from opendata.store.migrate import upgrade_to_head
from tests.builders import ROWS_SCHEMA, generate_rows, ingest_rows, make_catalog, publish_rows

AIR_SCHEMA = {
    "fields": [
        {"name": "station", "type": "string", "title": "监测站"},
        {"name": "pm25_concentration", "type": "number", "title": "细颗粒物浓度", "description": "PM2.5，微克每立方米"},
        {"name": "observed", "type": "date", "title": "日期"},
    ],
    "primaryKey": ["station", "observed"],
}

DATASETS = [
    {"id": "budget", "title": "示例市财政预算", "title_en": "Municipal budget", "keywords": ["预算", "财政"],
     "description": "市级一般公共预算收支明细。"},
    {"id": "air", "title": "空气质量监测", "theme": "environment", "publisher": "env", "frequency": "daily",
     "schema": "air.json", "keywords": ["空气"], "description": "各监测站每日细颗粒物浓度。"},
    {"id": "subsidies", "title": "涉农补贴发放明细", "theme": "agricultural-subsidies", "disclosure": "conditional",
     "keywords": ["补贴"]},
    {"id": "secret", "title": "不予开放的执法名单", "theme": "administrative-penalties", "disclosure": "closed",
     "legal_basis": "《中华人民共和国政府信息公开条例》第十四条", "keywords": ["执法"]},
    {"id": "traffic", "title": "交通出行统计", "theme": "transport", "publisher": "city", "frequency": "monthly",
     "keywords": ["交通"]},
    {"id": "schools", "title": "义务教育招生范围", "title_en": "School enrolment zones", "theme": "education-enrolment",
     "publisher": "city", "keywords": ["招生", "教育"]},
]


@dataclass
class Site:
    """The app, its runtime, its test client and what was published."""

    app: object
    runtime: object
    client: object
    tmp: Path
    budget_rows: list


def air_rows(n: int = 40) -> list[dict]:
    stations = ["西湖", "滨江", "萧山", "余杭"]
    return [{"station": stations[i % 4], "pm25_concentration": round(10 + (i * 7) % 90 + 0.5, 1),
             "observed": f"2024-06-{i // 4 + 1:02d}"} for i in range(n)]


def make_app(tmp: Path, **settings):
    """The app on a fresh, migrated OPENDATA_HOME (rate limits off: tests make many requests)."""
    extra = {"RATE_LIMIT_ENABLED": False} if any(s.name == "RATE_LIMIT_ENABLED" for s in SETTINGS) else {}
    app = create_app(HOME=str(tmp / "home"), BASE_URL="http://testserver", **extra, **settings)
    app.config["TESTING"] = True
    runtime = app.extensions["opendata"]
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    return app, runtime


def build_site(tmp: Path, **settings) -> Site:
    """Create the app on a fresh OPENDATA_HOME and publish the test catalogue (``settings``: the app's own)."""
    app, runtime = make_app(tmp, **settings)
    make_catalog(runtime, tmp, datasets=DATASETS, schemas={"rows.json": ROWS_SCHEMA, "air.json": AIR_SCHEMA})
    publish_rows(runtime, "budget", generate_rows(120, seed=1))
    budget_rows = generate_rows(250, seed=2)
    publish_rows(runtime, "budget", budget_rows)
    ingest_rows(runtime, "budget", generate_rows(10, seed=3))  # version 3: awaiting review, never listed
    publish_rows(runtime, "air", air_rows())
    publish_rows(runtime, "subsidies", generate_rows(30, seed=4))
    publish_rows(runtime, "secret", generate_rows(30, seed=5))
    publish_rows(runtime, "schools", generate_rows(20, seed=6))
    return Site(app, runtime, app.test_client(), tmp, budget_rows)


def teardown_site(site: Site) -> None:
    close_app(site.app)


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Site:
    """One published catalogue shared by the read-only tests (usage counts may grow)."""
    s = build_site(tmp_path_factory.mktemp("site"))
    yield s
    teardown_site(s)


@pytest.fixture
def client(site):
    return site.client


def build_small_site(tmp: Path, **settings) -> Site:
    """Two datasets (budget open, subsidies conditional), one published version each."""
    app, runtime = make_app(tmp, **settings)
    make_catalog(runtime, tmp, datasets=[DATASETS[0], DATASETS[2]], schemas={"rows.json": ROWS_SCHEMA})
    budget_rows = generate_rows(200, seed=2)
    publish_rows(runtime, "budget", budget_rows)
    publish_rows(runtime, "subsidies", generate_rows(30, seed=4))
    return Site(app, runtime, app.test_client(), tmp, budget_rows)


@pytest.fixture
def fresh_site(tmp_path) -> Site:
    """A small catalogue of its own, for tests that publish or count."""
    s = build_small_site(tmp_path)
    yield s
    teardown_site(s)
