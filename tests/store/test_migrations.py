"""`alembic upgrade head` on an empty database gives exactly the models' schema."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from opendata.store.migrate import upgrade_to_head
from opendata.store.models import Base


def test_upgrade_head_matches_the_models(fresh_database_url):
    url = fresh_database_url
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_upgrade_creates_every_table_with_its_constraints(fresh_database_url):
    url = fresh_database_url
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


def test_upgrade_is_repeatable(fresh_database_url):
    url = fresh_database_url
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


def test_reports_move_to_their_own_table_bounded_and_nothing_else_changes(tmp_path):
    import json

    from alembic import command
    from sqlalchemy import text

    from opendata.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0006")
    now = "2026-01-01 00:00:00"
    big = {"valid": False, "stats": {"errors": 5000, "warnings": 0}, "tasks": [{
        "valid": False, "labels": ["a"] * 10, "errorSummary": {"type-error": 5000},
        "errors": [{"type": "type-error", "rowNumber": i, "message": "m" * 400, "cells": ["x" * 500] * 4}
                   for i in range(5000)]}]}
    small = {"valid": True, "stats": {"errors": 0, "warnings": 2}, "tasks": [{"valid": True, "errors": []}]}
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organization (id, slug, name, level, division_code, contact, origin, "
                          f"created_at, modified_at) VALUES (1, 'o', 'O', 'city', '330100', '{{}}', 'catalog', "
                          f"'{now}', '{now}')"))
        conn.execute(text("INSERT INTO table_schema (id, name, descriptor, sha256, created_at, modified_at) "
                          f"VALUES (1, 's.json', '{{}}', 'x', '{now}', '{now}')"))
        conn.execute(text("INSERT INTO dataset (id, identifier, code, title, description, organization_id, theme, "
                          "keywords, license, disclosure, frequency, contact, schema_id, state, origin, mask_salt, "
                          f"created_at, modified_at) VALUES (1, 'd', 'c', 't', '', 1, 'fiscal', '[]', 'CC-BY-4.0', "
                          f"'unconditional', 'annual', '{{}}', 1, 'active', 'catalog', 's', '{now}', '{now}')"))
        for vid, report in ((1, big), (2, small), (3, None)):
            conn.execute(text("INSERT INTO version (id, dataset_id, number, state, source_filename, source_bytes, "
                              "source_sha256, schema_sha256, created_by, created_at, report) VALUES "
                              f"({vid}, 1, {vid}, 'invalid', 'f.csv', 1, 'h{vid}', 'x', 'me', '{now}', :r)"),
                         {"r": None if report is None else json.dumps(report)})
        conn.execute(text("INSERT INTO artifact (id, version_id, kind, path, media_type, bytes, sha256) "
                          "VALUES (1, 2, 'csv', 'a/b.csv', 'text/csv', 1, 'x')"))
    engine.dispose()
    assert len(json.dumps(big)) > 10_000_000  # a report from before reports were bounded
    upgrade_to_head(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        assert "report" not in {c["name"] for c in inspect(conn).get_columns("version")}
        rows = {r[0]: r[1:] for r in conn.execute(text(
            "SELECT version_id, valid, errors, warnings, report FROM version_report"))}
        assert conn.execute(text("SELECT count(*) FROM artifact")).scalar() == 1
        assert conn.execute(text("SELECT count(*) FROM version")).scalar() == 3
    engine.dispose()
    assert set(rows) == {1, 2}
    valid, errors, warnings, stored = rows[1]
    assert (valid, errors, warnings) == (0, 5000, 0)
    assert len(stored.encode()) <= 1024 * 1024
    moved = json.loads(stored)
    assert moved["tasks"][0]["truncated"] is True and moved["tasks"][0]["errorSummary"] == {"type-error": 5000}
    assert 0 < len(moved["tasks"][0]["errors"]) < 5000 and "cells" not in moved["tasks"][0]["errors"][0]
    assert json.loads(rows[2][3]) == small and rows[2][:3] == (1, 0, 2)


def test_the_reingest_migration_copies_version_without_losing_what_references_it(tmp_path):
    """0012 rebuilds ``version`` on SQLite; with foreign keys on, a plain copy cascade-deleted its artifacts."""
    from alembic import command
    from sqlalchemy import text

    from opendata.store.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'm.db'}"
    command.upgrade(alembic_config(url), "0011")
    now = "2026-01-01 00:00:00"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO organization (id, slug, name, level, division_code, contact, origin, "
                          f"created_at, modified_at) VALUES (1, 'o', 'O', 'city', '330100', '{{}}', 'catalog', "
                          f"'{now}', '{now}')"))
        conn.execute(text("INSERT INTO table_schema (id, name, descriptor, sha256, created_at, modified_at) "
                          f"VALUES (1, 's.json', '{{}}', 'x', '{now}', '{now}')"))
        conn.execute(text("INSERT INTO dataset (id, identifier, code, title, description, organization_id, theme, "
                          "keywords, license, disclosure, frequency, contact, schema_id, state, origin, mask_salt, "
                          f"created_at, modified_at) VALUES (1, 'd', 'c', 't', '', 1, 'fiscal', '[]', 'CC-BY-4.0', "
                          f"'unconditional', 'annual', '{{}}', 1, 'active', 'catalog', 's', '{now}', '{now}')"))
        for vid, state in ((1, "published"), (2, "failed")):
            conn.execute(text("INSERT INTO version (id, dataset_id, number, state, source_filename, source_bytes, "
                              "source_sha256, schema_sha256, created_by, created_at) VALUES "
                              f"({vid}, 1, {vid}, '{state}', 'f.csv', 1, 'h{vid}', 'x', 'me', '{now}')"))
            conn.execute(text("INSERT INTO artifact (version_id, kind, path, media_type, bytes, sha256) "
                              f"VALUES ({vid}, 'csv', 'a/{vid}.csv', 'text/csv', 1, 'x')"))
            conn.execute(text("INSERT INTO version_report (version_id, valid, errors, warnings, report) "
                              f"VALUES ({vid}, 1, 0, 0, '{{}}')"))
    engine.dispose()

    def counts() -> tuple[int, int, int]:
        engine = create_engine(url)
        with engine.connect() as conn:
            found = tuple(conn.execute(text(f"SELECT count(*) FROM {t}")).scalar()
                          for t in ("version", "artifact", "version_report"))
        engine.dispose()
        return found

    upgrade_to_head(url)
    assert counts() == (2, 2, 2)
    command.downgrade(alembic_config(url), "0011")
    assert counts() == (2, 2, 2)
