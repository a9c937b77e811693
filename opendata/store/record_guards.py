"""Triggers that make a table a record (rows added, never changed or deleted), on SQLite and PostgreSQL.

Shared by the request and report tables; a module of its own because the table modules import only
the models module, never each other (see the end of opendata/store/models.py).
"""

from __future__ import annotations


def sqlite_guards(table: str, *, updates: bool) -> list[str]:
    """Triggers that refuse DELETE (and UPDATE when ``updates`` is False) on a SQLite table."""
    out = [f"CREATE TRIGGER IF NOT EXISTS {table}_no_delete BEFORE DELETE ON {table} "
           f"BEGIN SELECT RAISE(ABORT, '{table} rows are never deleted'); END"]
    if not updates:
        out.append(f"CREATE TRIGGER IF NOT EXISTS {table}_no_update BEFORE UPDATE ON {table} "
                   f"BEGIN SELECT RAISE(ABORT, '{table} rows are never changed'); END")
    return out


def postgresql_guards(table: str, *, updates: bool) -> list[str]:
    """The PostgreSQL equivalent of :func:`sqlite_guards`."""
    verbs = "DELETE" if updates else "UPDATE OR DELETE"
    return [f"CREATE OR REPLACE FUNCTION {table}_guard() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{table} is a record: rows are not changed or deleted'; END $$",
            f"CREATE TRIGGER {table}_guard BEFORE {verbs} ON {table} FOR EACH STATEMENT "
            f"EXECUTE FUNCTION {table}_guard()"]
