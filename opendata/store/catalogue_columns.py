"""The catalogue's tables as SQLAlchemy Core ``table()`` objects, naming the columns fast read paths use.

``opendata timeliness`` reads a few columns of every dataset (50,000 on a large platform) and must
answer within a second as a whole command: building the ORM's mapped classes (opendata.store.models
and the table modules it registers) would cost it a third of that before the first query. These
name the same tables and columns as the models (tests/store/test_catalogue_columns.py holds them
equal), and :class:`epoch_seconds` lets the database turn stored timestamps into plain integers
instead of one Python datetime per row.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, column, table
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

ORGANIZATION = table("organization", column("id"), column("slug"), column("name"), column("level"),
                     column("parent_id"), column("name_en"), column("division_code"), column("credit_code"))
DATASET = table("dataset", column("id"), column("identifier"), column("title"), column("organization_id"),
                column("frequency"), column("disclosure"), column("state"), column("created_at"))
VERSION = table("version", column("dataset_id"), column("state"), column("published_at"))


class epoch_seconds(FunctionElement):  # noqa: N801 - used as a SQL function, as func.* names are
    """Whole seconds since 1970-01-01 UTC of a stored timestamp (NULL stays NULL), computed by the database."""

    type = BigInteger()
    name = "epoch_seconds"
    inherit_cache = True


@compiles(epoch_seconds, "sqlite")
def _sqlite_epoch(element, compiler, **kw) -> str:
    # SQLite keeps UTC text ('2026-03-01 02:00:00.123456', or with '+00:00'); %s drops the fraction
    return f"CAST(strftime('%s', {compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(epoch_seconds)
def _standard_epoch(element, compiler, **kw) -> str:
    # EXTRACT gives a numeric with the fraction; FLOOR so that 23:59:59.9 stays on its day
    return f"CAST(FLOOR(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})) AS BIGINT)"
