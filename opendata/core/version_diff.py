"""What changed between two published versions of a table: rows added, removed and changed, and schema.

Rows are matched by the primary key when both versions have the same one: a key only in the newer
version is added, only in the older one removed, in both with any differing value changed. Without
a shared primary key rows are compared whole, as multisets: ``changed`` is then None (a changed
row counts as one removed and one added). Computed by DuckDB over the two Parquet files.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _text(path: Path) -> str:
    return str(path).replace("'", "''")


def schema_changes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, list]:
    """Fields added, removed, and whose type or format changed (by field name)."""
    before, after = {f["name"]: f for f in old}, {f["name"]: f for f in new}
    changed = []
    for name in before.keys() & after.keys():
        was, now = before[name], after[name]
        for key in ("type", "format"):
            if (was.get(key) or "default") != (now.get(key) or "default"):
                changed.append({"field": name, "property": key, "from": was.get(key), "to": now.get(key)})
    return {"added": [n for n in after if n not in before], "removed": [n for n in before if n not in after],
            "changed": sorted(changed, key=lambda c: (c["field"], c["property"]))}


def diff_tables(old: Path, new: Path, old_fields: list[dict[str, Any]], new_fields: list[dict[str, Any]],
                old_key: list[str] | None, new_key: list[str] | None,
                ignore: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """{rows: {before, after, added, removed, changed, unchanged}, schema: …, matched_by: key fields or None}.

    Columns in ``ignore`` take no part in matching and comparing rows (a masked column differs in
    every row from the raw one); they still count in the schema changes.
    """
    con = duckdb.connect()
    try:
        con.execute(f"CREATE VIEW a AS SELECT * FROM read_parquet('{_text(old)}')")
        con.execute(f"CREATE VIEW b AS SELECT * FROM read_parquet('{_text(new)}')")
        cols_a = [r[0] for r in con.execute("DESCRIBE a").fetchall() if r[0] not in ignore]
        cols_b = [r[0] for r in con.execute("DESCRIBE b").fetchall() if r[0] not in ignore]
        before = con.execute("SELECT count(*) FROM a").fetchone()[0]
        after = con.execute("SELECT count(*) FROM b").fetchone()[0]
        common = [c for c in cols_b if c in cols_a]
        key = list(new_key or [])
        if key and key == list(old_key or []) and all(k in common for k in key):
            on = " AND ".join(f"a.{_q(k)} = b.{_q(k)}" for k in key)
            differs = " OR ".join(
                [f"a.{_q(c)} IS DISTINCT FROM b.{_q(c)}" for c in common if c not in key]
                + [f"b.{_q(c)} IS NOT NULL" for c in cols_b if c not in cols_a]) or "false"
            matched, changed = con.execute(
                f"SELECT count(*), count(*) FILTER (WHERE {differs}) FROM a JOIN b ON {on}").fetchone()
            rows = {"before": before, "after": after, "added": after - matched, "removed": before - matched,
                    "changed": changed, "unchanged": matched - changed}
            matched_by = key
        else:
            select = ", ".join(_q(c) for c in common) or "1"
            added = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM b EXCEPT ALL SELECT {select} FROM a)"
                                ).fetchone()[0]
            removed = con.execute(f"SELECT count(*) FROM (SELECT {select} FROM a EXCEPT ALL SELECT {select} FROM b)"
                                  ).fetchone()[0]
            rows = {"before": before, "after": after, "added": added, "removed": removed, "changed": None,
                    "unchanged": after - added}
            matched_by = None
    finally:
        con.close()
    return {"rows": rows, "schema": schema_changes(old_fields, new_fields), "matched_by": matched_by}
