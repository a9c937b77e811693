"""The row-query engine: answers parsed queries against prepared versions, fast and bounded.

Open prepared databases are kept in a small LRU (read-only, one DuckDB cursor per thread);
totals come from counts precomputed at publish time or from an LRU of counts per
(version, filters); identical requests are answered from an LRU of rendered results (versions
are immutable, so nothing is ever invalidated); every DuckDB call runs under a time limit.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from opendata.core.errors import NotFoundError, Problem, QueryTimeoutError, ValidationError
from opendata.core.rowquery import sql as sqlgen
from opendata.core.rowquery.cursor import decode_cursor, encode_cursor, query_digest, value_to_text
from opendata.core.rowquery.deadline import WATCHDOG
from opendata.core.rowquery.params import (
    ColumnFilter,
    RowQuery,
    converter,
    parse_query,
    query_pairs,
)
from opendata.core.rowquery.prepare import RID, read_meta
from opendata.core.rowquery.render import render
from opendata.core.rowquery.withhold import withhold


@dataclass(frozen=True)
class RowQueryResult:
    """One answered query: the rendered body plus what the API needs for headers and envelopes."""

    version_id: str
    format: str
    media_type: str
    body: bytes
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]  # plain Python values (empty for format=parquet)
    total: int | None
    total_exact: bool
    next_cursor: str | None
    limit: int
    offset: int
    elapsed_ms: float
    cached: bool = False


@dataclass
class _Version:
    version_id: str
    path: Path
    con: duckdb.DuckDBPyConnection
    meta: dict[str, Any]
    types: dict[str, str]
    counts: dict[str, dict[Any, int]]
    local: threading.local = field(default_factory=threading.local)
    lock: threading.Lock = field(default_factory=threading.Lock)
    inflight: int = 0
    evicted: bool = False
    row_id_views: dict[str, tuple[dict[str, Any], dict[str, str]]] = field(default_factory=dict)

    def with_row_id(self, name: str | None) -> tuple[dict[str, Any], dict[str, str]]:
        """The version's columns and types, plus a virtual 1-based row-number column ``name`` if asked."""
        if name is None or name in self.types:
            return self.meta, self.types
        with self.lock:
            cached = self.row_id_views.get(name)
            if cached is None:
                column = {"name": name, "type": "BIGINT", "schema_type": "integer", "nulls": 0}
                meta = {**self.meta, "columns": [column, *self.meta["columns"]], "row_id": name,
                        "virtual": {name: f"({RID} + 1)"}}
                cached = self.row_id_views[name] = (meta, {name: "BIGINT", **self.types})
            return cached

    def cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self.local, "cursor", None)
        if cur is None:
            with self.lock:
                cur = self.con.cursor()
            self.local.cursor = cur
        return cur


class _LRU:
    def __init__(self, size: int) -> None:
        self.size, self.data, self.lock = size, OrderedDict(), threading.Lock()

    def get(self, key: Hashable) -> Any:
        with self.lock:
            value = self.data.get(key)
            if value is not None:
                self.data.move_to_end(key)
            return value

    def drop(self, match: Callable[[Any], bool]) -> None:
        with self.lock:
            for key in [k for k in self.data if match(k)]:
                del self.data[key]

    def put(self, key: Hashable, value: Any) -> None:
        if self.size <= 0:
            return
        with self.lock:
            self.data[key] = value
            self.data.move_to_end(key)
            while len(self.data) > self.size:
                self.data.popitem(last=False)


class RowQueryEngine:
    """Row queries over prepared versions; ``locate(version_id)`` gives a prepared file or None."""

    def __init__(self, locate: Callable[[str], str | Path | None], secret: bytes, *,
                 timeout: float = 5.0, max_open: int = 16, threads: int = 2,
                 memory_limit: str = "1GB", result_cache: int = 256, count_cache: int = 4096,
                 max_cached_body: int = 64 * 1024) -> None:
        if not secret:
            raise ValueError("a cursor-signing secret is required")
        self._locate, self._secret, self.timeout = locate, bytes(secret), timeout
        self._max_open, self._config = max_open, {
            "threads": threads, "memory_limit": memory_limit, "preserve_insertion_order": True}
        self._versions: OrderedDict[str, _Version] = OrderedDict()
        self._lock = threading.Lock()
        self._results, self._counts = _LRU(result_cache), _LRU(count_cache)
        self._max_cached_body = max_cached_body

    def query(self, version_id: str, args: Mapping[str, Any], *, scope: str | None = None,
              column_filters: Sequence[ColumnFilter] = (), cursor: dict[str, Any] | None = None,
              withheld: frozenset[str] = frozenset(), row_id: str | None = None) -> RowQueryResult:
        """Answer query-string ``args`` (and ``column_filters``) against a version (a ``next`` cursor pins its own).

        ``cursor`` is the ``next`` token already decoded by a caller that had to read it first (to check
        which version it pins); it is then not decoded again. ``withheld``: columns the caller may not
        read (a partial access grant): left out of the answer, and a query that filters, sorts, groups
        or searches by them is refused (ColumnsWithheldError), since its answer would tell their values.
        ``row_id`` names a column to add holding each row's number in the version (1-based, the stable
        row-id order), which may be selected, sorted and filtered like any other (CKAN's ``_id``); a real
        column of that name wins.
        """
        started = time.perf_counter()
        pairs = query_pairs(args)
        token = next((v for k, v in pairs if k == "next"), None)
        payload = (cursor if cursor is not None else decode_cursor(token, self._secret)) if token else None
        if payload is not None:
            if payload.get("s") != scope:
                raise _invalid_cursor("belongs to another dataset")
            pinned = str(payload.get("v"))
            if pinned != version_id and self._locate(pinned) is None:  # withdrawn since
                raise NotFoundError(f"version '{pinned}' of this cursor is no longer published",
                                    problems=[Problem("not-found", "start again without 'next'", path="next")])
            version_id = pinned
        cache_key = (version_id, scope, tuple(sorted(pairs)), tuple(column_filters), tuple(sorted(withheld)), row_id)
        hit = self._results.get(cache_key)
        if hit is not None:
            return _replace(hit, cached=True, elapsed_ms=(time.perf_counter() - started) * 1000)
        version = self._acquire(version_id)
        try:
            meta, types = version.with_row_id(row_id)
            query = parse_query(args, types, column_filters)
            if withheld:
                query = withhold(query, withheld, types, meta["primary_key"])
            result = self._run(version, meta, types, query, payload, scope, started)
        finally:
            self._release(version)
        if len(result.body) <= self._max_cached_body:
            self._results.put(cache_key, result)
        return result

    def describe(self, version_id: str) -> dict[str, Any]:
        """Columns (name, DuckDB type, schema type), row count and primary key of a version."""
        version = self._acquire(version_id)
        try:
            meta = version.meta
            return {"rows": meta["rows"], "columns": meta["columns"], "primary_key": meta["primary_key"]}
        finally:
            self._release(version)

    def evict(self, version_id: str) -> None:
        """Forget a version (call when it is withdrawn): close it and drop its cached answers."""
        with self._lock:
            version = self._versions.pop(version_id, None)
            if version is not None:
                self._evict(version)
        self._results.drop(lambda key: key[0] == version_id)
        self._counts.drop(lambda key: key[0] == version_id)

    def close(self) -> None:
        """Close every open version (queries in flight finish first)."""
        with self._lock:
            for version in self._versions.values():
                self._evict(version)
            self._versions.clear()

    # -- running ---------------------------------------------------------------------------------
    def _run(self, version: _Version, meta: dict[str, Any], types: dict[str, str], query: RowQuery,
             payload: dict[str, Any] | None, scope: str | None, started: float) -> RowQueryResult:
        digest = query_digest([[(f.column, f.op, f.value) for f in query.filters], query.q,
                               [(k.column, k.desc) for k in query.sort]])
        table = None
        if query.is_aggregate:
            plan = sqlgen.aggregate_plan(query, meta)
            rows = self._precomputed_groups(version, query)
            if rows is None:
                rows = self._execute(version, plan.sql, plan.params)
        else:
            after, after_rid = None, None
            sort = sqlgen.effective_sort(query, meta["primary_key"], meta.get("row_id"))
            if payload is not None:
                after, after_rid = self._cursor_position(types, payload, digest, sort)
            plan = sqlgen.rows_plan(query, meta, after=after, after_rid=after_rid,
                                    group_rows=_group_rows(version, meta, query))
            sql, params, rids = plan.sql, plan.params, None
            if plan.fetch is not None:  # the page's row ids from a thin copy, then their rows
                rids = [r[-1] for r in self._execute(version, sql, params)]
                sql, params = plan.fetch.query(rids)
            if query.format == "parquet":
                table = self._execute(version, sql, params, arrow=True)
            else:
                rows = self._execute(version, sql, params)
            if rids:  # back in the thin copy's order (cheaper than in SQL)
                at = {rid: i for i, rid in enumerate(rids)}
                if table is not None:
                    rids = table.column(table.num_columns - 1).to_pylist()
                    table = table.take(sorted(range(len(rids)), key=lambda i: at[rids[i]]))
                else:
                    rows.sort(key=lambda r: at[r[-1]])
        width = len(plan.columns)
        n_fetched = table.num_rows if table is not None else len(rows)
        has_more = n_fetched > query.limit
        next_cursor = None
        if has_more and not query.is_aggregate:
            if table is not None:
                last = tuple(table.column(i)[query.limit - 1].as_py() for i in range(width, table.num_columns))
            else:
                last = rows[query.limit - 1][width:]
            next_cursor = encode_cursor({"v": version.version_id, "s": scope,
                                         "h": digest, "k": [value_to_text(v) for v in last[:-1]],
                                         "r": last[-1]}, self._secret)
        if table is not None:
            table = table.slice(0, query.limit).select(list(range(width))).rename_columns(plan.columns)
            rows = []
        else:
            rows = [r[:width] for r in rows[: query.limit]]
        n_rows = table.num_rows if table is not None else len(rows)
        total, exact = self._total(version, meta, query, n_rows, has_more, payload is not None)
        fields = [{"name": c, "type": _output_type(meta, query, c)} for c in plan.columns]
        envelope = {"version": version.version_id, "fields": fields, "total": total, "total_exact": exact,
                    "next": next_cursor, "limit": query.limit, "offset": query.offset}
        body, media_type = render(query.format, envelope, plan.columns, rows, table)
        return RowQueryResult(version.version_id, query.format, media_type, body, tuple(plan.columns),
                              tuple(tuple(r) for r in rows), total, exact, next_cursor, query.limit,
                              query.offset, (time.perf_counter() - started) * 1000)

    def _cursor_position(self, types: Mapping[str, str], payload: dict[str, Any], digest: str,
                         sort: tuple) -> tuple[list[Any], int]:
        if payload.get("h") != digest:
            raise _invalid_cursor("was made for different filters or sort; repeat them unchanged")
        texts, rid = payload.get("k"), payload.get("r")
        if not isinstance(texts, list) or len(texts) != len(sort) or not isinstance(rid, int):
            raise _invalid_cursor("is damaged")
        try:
            values = [None if t is None else _cursor_converter(types[k.column])(t)
                      for k, t in zip(sort, texts, strict=True)]
        except (ValueError, TypeError, KeyError):
            raise _invalid_cursor("is damaged") from None
        return values, rid

    def _execute(self, version: _Version, sql: str, params: list[Any], *, arrow: bool = False,
                 timeout: float | None = None):
        cur = version.cursor()
        with WATCHDOG.guard(cur, timeout or self.timeout) as entry:
            try:
                if arrow:
                    return cur.sql(sql, params=params).to_arrow_table()
                return cur.execute(sql, params).fetchall()
            except duckdb.InterruptException:
                raise QueryTimeoutError(f"the query took longer than {timeout or self.timeout:g} s and was stopped",
                                        problems=[Problem("query-timeout", "narrow the filters or lower the limit")]) from None
            except duckdb.OutOfMemoryException:
                raise QueryTimeoutError("the query needs more memory than a row query may use",
                                        problems=[Problem("query-too-large", "narrow the filters or the group_by")]) from None
            except (duckdb.ConversionException, duckdb.OutOfRangeException, duckdb.InvalidInputException) as exc:
                if entry.fired:
                    raise QueryTimeoutError("the query took too long and was stopped") from None
                message = str(exc).splitlines()[0][:200]
                raise ValidationError("the query cannot be answered",
                                      problems=[Problem("invalid-query", message)]) from None

    def _total(self, version: _Version, meta: Mapping[str, Any], query: RowQuery, n_rows: int, has_more: bool,
               keyset: bool) -> tuple[int | None, bool]:
        if not query.include_total:
            return None, False
        if query.aggregates and not query.group_by:
            return 1, True
        if not has_more and not keyset and (query.offset == 0 or n_rows > 0):
            return query.offset + n_rows, True
        known = self._precomputed_total(version, query)
        if known is not None:
            return known, True
        key = (version.version_id, query_digest([[(f.column, f.op, f.value) for f in query.filters],
                                                 query.q, query.group_by]))
        count = self._counts.get(key)
        if count is None:
            plan = sqlgen.count_plan(query, meta)
            try:
                count = self._execute(version, plan.sql, plan.params)[0][0]
            except QueryTimeoutError:  # the page was answered; give a lower bound, not an error
                return query.offset + n_rows + (1 if has_more else 0), False
            self._counts.put(key, count)
        return count, True

    def _precomputed_total(self, version: _Version, query: RowQuery) -> int | None:
        if query.q or query.group_by:
            return None
        if not query.filters:
            return version.meta["rows"]
        if len(query.filters) != 1:
            return None
        f = query.filters[0]
        counts = version.counts.get(f.column)
        if counts is None:
            return None
        if f.op == "eq":
            return counts.get(f.value, 0)
        if f.op == "in":
            return sum(counts.get(v, 0) for v in set(f.value))
        if f.op == "isnull":
            nulls = counts.get(None, 0)
            return nulls if f.value else version.meta["rows"] - nulls
        return None

    def _precomputed_groups(self, version: _Version, query: RowQuery) -> list[tuple] | None:
        if (query.filters or query.q or len(query.group_by) != 1 or len(query.aggregates) != 1
                or query.aggregates[0].func != "count" or query.aggregates[0].column is not None):
            return None
        col = query.group_by[0]
        if col not in version.counts or any(k.column != col or k.desc for k in query.sort):
            return None
        items = list(version.counts[col].items())
        return items[query.offset: query.offset + query.limit + 1]

    # -- open versions ---------------------------------------------------------------------------
    def _acquire(self, version_id: str) -> _Version:
        with self._lock:
            version = self._versions.get(version_id)
            if version is None:
                version = self._open(version_id)
                self._versions[version_id] = version
                while len(self._versions) > self._max_open:
                    self._evict(self._versions.popitem(last=False)[1])
            self._versions.move_to_end(version_id)
            version.inflight += 1
            return version

    def _release(self, version: _Version) -> None:
        with self._lock:
            version.inflight -= 1
            close = version.evicted and version.inflight == 0
        if close:
            version.con.close()

    def _evict(self, version: _Version) -> None:
        """Close now, or when its last query ends (called with ``self._lock`` held)."""
        version.evicted = True
        if version.inflight == 0:
            version.con.close()

    def _open(self, version_id: str) -> _Version:
        located = self._locate(version_id)
        if located is None or not Path(located).is_file():
            raise NotFoundError(f"version '{version_id}' is not published",
                                problems=[Problem("not-found", "no published version with this id", path="version")])
        path = Path(located)
        con = duckdb.connect(str(path), read_only=True, config=dict(self._config))
        meta = read_meta(con)
        counts = {}
        for col, table in meta["counted"].items():
            counts[col] = dict(con.execute(f"SELECT value, n FROM {table} ORDER BY value NULLS LAST").fetchall())
        types = {c["name"]: c["type"] for c in meta["columns"]}
        return _Version(version_id, path, con, meta, types, counts)


def _output_type(meta: Mapping[str, Any], query: RowQuery, column: str) -> str:
    """The Table Schema type of an output column (a field, or an aggregate over one)."""
    types = {c["name"]: c["schema_type"] for c in meta["columns"]}
    for a in query.aggregates:
        if a.name == column:
            if a.func == "count":
                return "integer"
            source = types.get(a.column or "", "number")
            return "number" if a.func == "avg" or (a.func == "sum" and source != "integer") else source
    return types.get(column, "any")


def _group_rows(version: _Version, meta: Mapping[str, Any], query: RowQuery) -> int | None:
    """The rows of the group a sorted page would read from a grouped copy (the first filter on a grouped
    column, as sql.py picks it), from the exact value counts; None unless that filter is an equality."""
    clustered = meta.get("clustered") or {}
    for f in query.filters:
        if f.column not in clustered:
            continue
        if f.op == "eq" and f.column in version.counts:
            return version.counts[f.column].get(f.value, 0)
        if f.op in ("eq", "in") or (f.op == "isnull" and f.value):
            return None
    return None


def _cursor_converter(duck_type: str):
    # a cursor may stop on NaN, which a filter value may not be
    return float if duck_type in ("FLOAT", "DOUBLE") else converter(duck_type)


def _invalid_cursor(reason: str) -> ValidationError:
    return ValidationError("invalid 'next' cursor",
                           problems=[Problem("invalid-cursor", f"the 'next' cursor {reason}", path="next")])


def _replace(result: RowQueryResult, **changes: Any) -> RowQueryResult:
    from dataclasses import replace

    return replace(result, **changes)

