"""Row queries for the read API: prepare a version's row database and query it under the access rules.

A published version gets a DuckDB database (artifact kind ``duckdb``) built by the row engine's
``prepare_version`` (after publication, or on first use when that failed). Queries go through one
:class:`~opendata.core.rowquery.RowQueryEngine` per process; the version a ``next`` cursor pins is
checked against the access rules before the engine sees it.
"""

from __future__ import annotations

import dataclasses
import logging
import shutil
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select

from opendata.core import vocab
from opendata.core.childprocess import run_in_child
from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.core.limits import IngestLimits
from opendata.core.rowquery import ColumnFilter, RowQueryEngine, RowQueryResult, prepare_version
from opendata.core.rowquery.cursor import decode_cursor
from opendata.core.tableschema import load_table_schema
from opendata.services.access import ANONYMOUS, Viewer, data_served_clause
from opendata.services.published.schema import version_table_schema
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import Artifact, Dataset, Version

log = logging.getLogger(__name__)
ROWS_KIND = "duckdb"
_PREPARE_LOCK = threading.Lock()


def prepare_rows(*, runtime: Runtime, version_id: int) -> str | None:
    """Build and record the row database of a published version (idempotent); its artifact path."""
    with _PREPARE_LOCK:
        with runtime.sessions() as session:
            version = session.get(Version, version_id)
            if version is None:
                raise NotFoundError(f"version {version_id} does not exist")
            arts = {a.kind: a for a in version.artifacts}
            if ROWS_KIND in arts and runtime.artifacts.exists(arts[ROWS_KIND].path):
                return arts[ROWS_KIND].path
            if "parquet" not in arts:
                return None
            parquet = runtime.artifacts.local_path(arts["parquet"].path)
            # the version's own published schema: a reviewer may have dropped or masked columns
            descriptor = version_table_schema(runtime.artifacts, version) or version.dataset.table_schema.descriptor
            schema = load_table_schema(descriptor, name=version.dataset.table_schema.name)
        workdir = runtime.artifacts.new_workdir(prefix="rows-")
        try:
            # in a child with the ingest's memory limit: DuckDB sorting a large version must not grow the server
            limits = IngestLimits.from_settings(runtime.config.values)
            built = run_in_child(prepare_version, parquet, schema, workdir / "rows.duckdb",
                                 memory_limit_mb=limits.duckdb_memory_mb, memory_bytes=limits.memory_bytes,
                                 what=f"preparing the row database of version {version_id}")
            rel, sha, nbytes = runtime.artifacts.adopt(built, suffix=".duckdb")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        with transaction(runtime.sessions) as session:
            existing = session.scalar(select(Artifact).where(Artifact.version_id == version_id,
                                                             Artifact.kind == ROWS_KIND))
            if existing is None:
                session.add(Artifact(version_id=version_id, kind=ROWS_KIND, path=rel, bytes=nbytes, sha256=sha,
                                     media_type=vocab.media_type(ROWS_KIND)))
            else:
                existing.path, existing.bytes, existing.sha256 = rel, nbytes, sha
        return rel


def row_engine(runtime: Runtime) -> RowQueryEngine:
    """The process's row-query engine (a part of the runtime, closed with it)."""
    return runtime.part("rows", lambda: _make_engine(runtime))


def _make_engine(runtime: Runtime) -> RowQueryEngine:
    def locate(version_id: str) -> Path | None:
        with runtime.sessions() as session:
            art = session.scalar(select(Artifact).where(Artifact.version_id == int(version_id),
                                                        Artifact.kind == ROWS_KIND))
            return runtime.artifacts.local_path(art.path) if art is not None else None

    return RowQueryEngine(locate, runtime.config.SECRET_KEY.encode("utf-8"), timeout=runtime.config.ROW_QUERY_TIMEOUT)


def _first(args: Mapping[str, Any], key: str) -> str | None:
    if hasattr(args, "getlist"):
        values = args.getlist(key)
        return values[0] if values else None
    value = args.get(key)
    return value[0] if isinstance(value, (list, tuple)) else value


def _servable_versions(runtime: Runtime, identifier: str, viewer: Viewer) -> list[tuple[int, int, bool]]:
    """(version id, number, prepared) of the dataset's versions whose data the viewer may receive, newest first.

    One SQL query (the hot path of every row request) with the same rules as ``can_receive_data``, kept
    in the commit cache until anything is committed (a publication, a withdrawal, a grant, a prepared
    row database: any replica's commit drops it), so a repeated query costs the cache's check only.
    """
    key = ("rows.servable", identifier, viewer)
    found, cached = runtime.read_cache.lookup(key)
    if found:
        return cached
    stmt = _STATEMENTS.get(viewer)
    if stmt is None:
        prepared = (select(Artifact.id).where(Artifact.version_id == Version.id, Artifact.kind == ROWS_KIND)
                    .exists())
        stmt = (select(Version.id, Version.number, prepared).join(Dataset, Dataset.id == Version.dataset_id)
                .where(Dataset.identifier == bindparam("identifier"), data_served_clause(viewer),
                       Dataset.disclosure != "closed")
                .order_by(Version.number.desc()))
        if len(_STATEMENTS) > 256:
            _STATEMENTS.clear()
        _STATEMENTS[viewer] = stmt
    with runtime.sessions() as session:
        rows = session.execute(stmt, {"identifier": identifier})
        servable = [(vid, number, bool(ready)) for vid, number, ready in rows]
    runtime.read_cache.store(key, servable, cached)
    return servable


_STATEMENTS: dict[Viewer, Any] = {}  # built once per kind of caller: statement building is costly


def query_rows(*, runtime: Runtime, identifier: str, args: Mapping[str, Any], number: int | None = None,
               viewer: Viewer = ANONYMOUS, column_filters: Sequence[ColumnFilter] = (),
               row_id: str | None = None) -> tuple[int, RowQueryResult]:
    """Answer a row query on a dataset's latest served version (or version ``number``).

    ``column_filters`` are filters whose column names must not be read as query parameters (CKAN's);
    ``row_id`` adds each row's 1-based number as a column of that name (CKAN's ``_id``).

    Returns (dataset id, result). A dataset or version whose data the viewer may not receive is
    NotFoundError, exactly like a missing one; a ``next`` cursor must pin a version of this dataset
    that the viewer may still receive.
    """
    engine = row_engine(runtime)
    servable = _servable_versions(runtime, identifier, viewer)
    withheld: frozenset[str] = frozenset()
    if not servable and viewer.partial_grants:  # a partial grant reaches this dataset's other columns
        servable, withheld = _partly_servable(runtime, identifier, viewer)
    if not servable:
        raise NotFoundError(f"dataset '{identifier}' has no queryable version")
    token = _first(args, "next")
    payload = None
    if token:
        payload = decode_cursor(token, runtime.config.SECRET_KEY.encode("utf-8"))
        if payload.get("s") != identifier:
            raise ValidationError("invalid 'next' cursor", problems=[Problem(
                "invalid-cursor", "the 'next' cursor belongs to another dataset", path="next")])
        chosen = next((v for v in servable if str(v[0]) == str(payload.get("v"))), None)
        if chosen is not None and number is not None and chosen[1] != number:
            raise ValidationError("invalid 'next' cursor", problems=[Problem(
                "invalid-cursor", "the 'next' cursor belongs to another version", path="next")])
    elif number is None:
        chosen = servable[0]
    else:
        chosen = next((v for v in servable if v[1] == number), None)
    if chosen is None:
        raise NotFoundError(f"dataset '{identifier}' has no queryable version"
                            + (f" {number}" if number is not None else ""))
    version_id, _number, prepared = chosen
    if not prepared:
        prepare_rows(runtime=runtime, version_id=version_id)
    result = engine.query(str(version_id), args, scope=identifier, column_filters=column_filters, cursor=payload,
                          withheld=withheld, row_id=row_id)
    return _dataset_pk(runtime, version_id), result


def _partly_servable(runtime: Runtime, identifier: str,
                     viewer: Viewer) -> tuple[list[tuple[int, int, bool]], frozenset[str]]:
    """The versions a partial grant reaches, served as if granted, and the columns it withholds."""
    with runtime.sessions() as session:
        dataset_id = session.scalar(select(Dataset.id).where(Dataset.identifier == identifier))
    withheld = viewer.withheld_columns(dataset_id) if dataset_id is not None else frozenset()
    if not withheld:
        return [], withheld
    granted = dataclasses.replace(viewer, granted_dataset_ids=viewer.granted_dataset_ids | {dataset_id},
                                  partial_grants=frozenset())
    return _servable_versions(runtime, identifier, granted), withheld


def _dataset_pk(runtime: Runtime, version_id: int) -> int:
    """The dataset id of a version (versions never move; cached for the runtime's life)."""
    dataset_of: dict[int, int] = runtime.part("rows.dataset_of", dict)
    pk = dataset_of.get(version_id)
    if pk is None:
        with runtime.sessions() as session:
            pk = dataset_of[version_id] = session.scalar(select(Version.dataset_id).where(Version.id == version_id))
    return pk
