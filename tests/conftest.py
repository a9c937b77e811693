"""Shared fixtures: a fresh OPENDATA_HOME and migrated database per test, small catalogues."""

from __future__ import annotations

import json
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from opendata.config import load_config
from opendata.core.codes import uscc_check_char
from opendata.services.runtime import Runtime
from opendata.store.migrate import upgrade_to_head
from scripts.services import PostgresServer, RedisServer
from tests.databases import PostgresDatabases, scratch_folder


def pytest_addoption(parser) -> None:
    parser.addoption("--database", choices=("sqlite", "postgresql"), default="sqlite",
                     help="run on SQLite files (default) or on a real PostgreSQL this run starts and stops")


def pytest_collection_modifyitems(config, items) -> None:
    """Tests about SQLite itself run on the SQLite pass only; tests that need PostgreSQL on its pass only."""
    dropped = "sqlite_only" if config.getoption("--database") == "postgresql" else "postgresql"
    kept = [i for i in items if i.get_closest_marker(dropped) is None]
    if len(kept) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in kept])
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def postgres(request) -> Iterator[PostgresDatabases | None]:
    """With --database=postgresql: one PostgreSQL server for the run, each home routed to a database of its own."""
    if request.config.getoption("--database") != "postgresql":
        yield None
        return
    root = scratch_folder()
    server = PostgresServer(root).start()
    databases = PostgresDatabases(server)
    undo = databases.route_configs()
    try:
        yield databases
    finally:
        undo()
        databases.close()
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis (Debian's redis-server) for the run, started on first use and stopped by its PID."""
    root = Path(tempfile.mkdtemp(prefix="opendata-redis-"))
    server = RedisServer(root).start()
    try:
        yield server.url
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _test_databases_dropped(request, postgres) -> Iterator[None]:
    """On the PostgreSQL pass, the databases of a test's homes are dropped when it ends (as its files are)."""
    if postgres is None:
        yield
        return
    tmp_path = request.getfixturevalue("tmp_path")
    yield
    postgres.drop_under(tmp_path)


@pytest.fixture
def fresh_database_url(postgres, tmp_path) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL database on the PostgreSQL pass."""
    if postgres is not None:
        return postgres.fresh_url(tmp_path)
    return f"sqlite:///{tmp_path / 'fresh.db'}"


def make_credit_code(body17: str) -> str:
    """A GB 32100 code with a correct check character."""
    return body17 + uscc_check_char(body17)


SIMPLE_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "name", "type": "string"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
    ],
    "primaryKey": ["id"],
}


@contextmanager
def running_app(config) -> Iterator:
    """The app of ``config`` in TESTING mode, closed afterwards (job runner, usage flush, connections)."""
    from opendata.app import close_app, create_app

    app = create_app(config)
    app.config["TESTING"] = True
    try:
        yield app
    finally:
        close_app(app)


def write_catalog(root: Path, body: str, schemas: dict[str, dict] | None = None) -> Path:
    """Write catalog.yaml and schemas/ under root; returns the catalog path."""
    (root / "schemas").mkdir(exist_ok=True)
    for name, descriptor in (schemas if schemas is not None else {"simple.json": SIMPLE_SCHEMA}).items():
        (root / "schemas" / name).write_text(json.dumps(descriptor, ensure_ascii=False), encoding="utf-8")
    path = root / "catalog.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


CITY_CODE = make_credit_code("11330100000000000")
FIN_CODE = make_credit_code("11330100000000001")

BASIC_CATALOG = f"""\
catalog:
  title: 示例市公共数据开放平台
  publisher: city
organizations:
  - id: city
    name: 示例市人民政府
    contact: {{name: 办公室, email: office@example.gov.cn}}
    credit_code: {CITY_CODE}
    level: city
    division_code: "330100"
  - id: finance
    name: 示例市财政局
    credit_code: {FIN_CODE}
    level: city
    division_code: "330100"
    parent: city
datasets:
  - id: budget
    code: "330100/00001"
    title: 示例市财政预算
    publisher: finance
    theme: fiscal
    keywords: [预算, 财政]
    license: CC-BY-4.0
    disclosure: unconditional
    frequency: annual
    schema: simple.json
    source: data/budget.csv
  - id: subsidies
    code: "330100/00002"
    title: 补贴发放明细
    publisher: finance
    theme: 涉农补贴
    license: CC-BY-4.0
    disclosure: conditional
    legal_basis: 《中华人民共和国政府信息公开条例》第十五条（个人隐私）
    frequency: 每年
    schema: simple.json
"""


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory, postgres) -> Path | None:
    """One database migrated to head per test run; each test gets a copy (migrations are slow)."""
    if postgres is not None:
        return None  # PostgreSQL clones its own template database
    path = tmp_path_factory.mktemp("template") / "opendata.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def migrate_home(migrated_template: Path | None, postgres) -> Callable[[Path], Path]:
    """Give a home a migrated database: a copy of the template file, or a clone of the template on PostgreSQL.

    For fixtures of any scope (a module's shared catalogue too), where ``runtime`` is per test.
    """
    def migrate(home: Path) -> Path:
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        if postgres is not None:
            postgres.migrated_for_home(home)
        else:
            shutil.copyfile(migrated_template, home / "opendata.db")
        return home
    return migrate


@pytest.fixture(scope="session")
def copy_home_database(postgres) -> Callable[[Path, Path], Path]:
    """Give a home a copy of another home's database: the file, or a clone on PostgreSQL.

    For data made once per run (in a home migrated by ``migrate_home``) that each test gets fresh; the
    source's runtime must be closed and the target's engine disposed.
    """
    def copy(source: Path, home: Path) -> Path:
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        if postgres is not None:
            postgres.copied_for_home(Path(source), home)
        else:
            shutil.copyfile(Path(source) / "opendata.db", home / "opendata.db")
        return home
    return copy


@pytest.fixture
def runtime(home: Path, migrate_home):
    """A migrated database (embedded SQLite, or PostgreSQL on that pass) in a fresh OPENDATA_HOME."""
    rt = Runtime(load_config({}, HOME=str(home)))
    migrate_home(rt.config.home)
    yield rt
    rt.close()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project folder with the basic catalogue, a schema and a valid source file."""
    root = tmp_path / "project"
    root.mkdir()
    write_catalog(root, BASIC_CATALOG)
    (root / "data").mkdir()
    (root / "data" / "budget.csv").write_text("id,name,amount\n1,教育,100.5\n2,卫生,200\n", encoding="utf-8")
    return root


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    """moto's S3 server, started once per session on 127.0.0.1 and stopped by its PID (it fails when it cannot start)."""
    from scripts.services import S3Server

    server = S3Server(tmp_path_factory.mktemp("s3")).start()
    yield server
    server.stop()
