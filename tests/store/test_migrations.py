"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from opendata.store.migrate import upgrade_to_head
from opendata.store.models import Base


def test_upgrade_head_matches_the_models(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_creates_every_table_with_its_constraints(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_to_head(url)
    engine = create_engine(url)
    insp = inspect(engine)
    assert set(insp.get_table_names()) == set(Base.metadata.tables) | {"alembic_version"}
    for table in Base.metadata.tables.values():
        migrated = {c["name"] for c in insp.get_check_constraints(table.name)}
        declared = {c.name for c in table.constraints if c.__class__.__name__ == "CheckConstraint"}
        assert migrated == declared, table.name
        uniques = {u["name"] for u in insp.get_unique_constraints(table.name)}
        declared_u = {c.name for c in table.constraints if c.__class__.__name__ == "UniqueConstraint"}
        declared_u |= {f"uq_{table.name}_{c.name}" for c in table.columns if c.unique}
        assert uniques == declared_u, table.name
    engine.dispose()


def test_upgrade_is_repeatable(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    upgrade_to_head(url)
    upgrade_to_head(url)


def test_a_runtime_sees_its_database_become_initialized(tmp_path):
    from opendata.config import load_config
    from opendata.services.runtime import Runtime

    runtime = Runtime(load_config({}, HOME=str(tmp_path / "home")))
    assert runtime.is_initialized() is False
    assert runtime.is_initialized() is False  # a "no" is asked again, never remembered
    upgrade_to_head(runtime.config.database_url)
    assert runtime.is_initialized() is True
    runtime.close()
