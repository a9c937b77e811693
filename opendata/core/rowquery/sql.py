"""Turn a checked ``RowQuery`` into parameterized DuckDB SQL over a prepared version.

Identifiers come only from the prepared version's own column names (quoted); every client value
is a bound parameter. Pages in row-id order, or in the order of a physically sorted copy, are
read without ORDER BY: with ``preserve_insertion_order`` DuckDB returns them in table order and
stops scanning once the page is full. A descending page reads the ascending copy with ORDER BY:
the copy's row groups have narrow min/max ranges, so DuckDB's top-N reads only the last few.
A thin sorted copy (large versions) answers the same way with the row ids of the page only; a
second query reads their rows through the row id's index (``Plan.fetch``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from opendata.core.rowquery.params import Filter, RowQuery, SortKey, converter
from opendata.core.rowquery.prepare import RID, ROWS_TABLE, TEXT, quote_ident

# a first page sorted from a group of this many rows costs about what a thin copy's two steps do, or
# less (at 1M rows, a category of 125,000 rows: by amount 4.6 against 4.9 ms, by -amount 4.8 against
# 6.2, 1,000 rows 12 against 29, in-process); a page after a cursor took 7.3 against 5.9 ms
GROUP_SORT_ROWS = 150_000
_COMPARE = {"eq": "=", "gt": ">", "gte": ">=", "lt": "<", "lte": "<=", "ne": "IS DISTINCT FROM"}
_AGG_SQL = {"sum": "sum", "avg": "avg", "min": "min", "max": "max", "count": "count"}


@dataclass(frozen=True)
class Fetch:
    """The second step of a page read from a thin sorted copy: the rows of the row ids the first found."""

    select: str
    max_lookups: int = 2048  # row ids looked up one by one in the index; more are joined

    def query(self, rids: Sequence[int]) -> tuple[str, list[Any]]:
        """SQL and parameters for these row ids; the rows come in table order (the caller puts them back)."""
        if not rids:
            return f"{self.select} WHERE FALSE", []
        if len(rids) <= self.max_lookups:
            # a list of constants: DuckDB looks each up in the row id's index (about 25 CPU us a row at
            # 10M rows, against 17 ms for the join below at 100 rows)
            return f"{self.select} WHERE {RID} IN ({', '.join('?' * len(rids))})", list(rids)
        # a join reads every column of the row table, which costs less from about 3,000 rows up
        return f"{self.select} SEMI JOIN (SELECT unnest(?::BIGINT[]) AS __od_page) ON {RID} = __od_page", [list(rids)]


@dataclass(frozen=True)
class Plan:
    sql: str
    params: list[Any]
    columns: list[str]  # the output columns, in order
    keys: list[str]  # hidden trailing columns: sort keys, then the row id (rows only)
    fetch: Fetch | None = None  # set when ``sql`` finds only the row ids of the page (a thin copy)


def column_sql(name: str, meta: Mapping[str, Any]) -> str:
    """A column in SQL: its quoted name, or the expression of a virtual column (the 1-based row id)."""
    return (meta.get("virtual") or {}).get(name) or quote_ident(name)


def _select_sql(name: str, meta: Mapping[str, Any]) -> str:
    expr = column_sql(name, meta)
    return expr if expr == quote_ident(name) else f"{expr} AS {quote_ident(name)}"


def where_clause(query: RowQuery, meta: Mapping[str, Any]) -> tuple[list[str], list[Any]]:
    """SQL conditions (ANDed) and their parameters for the filters and ``q``.

    Each word of ``q`` must be in one of the text columns, lower-cased. Versions prepared since the
    text columns are listed (``text_columns``) are matched column by column: DuckDB lowers each
    dictionary entry once, which beats scanning a stored lower-cased concatenation (``__od_q``,
    kept for versions prepared before) and spares its bytes. A word never holds the space that
    joined the columns in ``__od_q``, so both find the same rows.
    """
    types = {c["name"]: c["type"] for c in meta["columns"]}
    conds: list[str] = []
    params: list[Any] = []
    for f in query.filters:
        cond, values = _filter_sql(f, types[f.column], column_sql(f.column, meta))
        conds.append(cond)
        params.extend(values)
    if query.q:
        columns = meta.get("text_columns")
        if not (columns or (columns is None and meta["text"])):
            conds.append("FALSE")  # no text column: no row holds the words
            return conds, params
        for term in query.q.lower().split():
            if columns is None:
                conds.append(f"contains({TEXT}, ?)")
                params.append(term)
            else:
                conds.append(" OR ".join(f"contains(lower({quote_ident(c)}), ?)" for c in columns))
                params.extend([term] * len(columns))
    return conds, params


def _filter_sql(f: Filter, duck_type: str, col: str) -> tuple[str, list[Any]]:
    if f.op == "isnull":
        return f"{col} IS {'' if f.value else 'NOT '}NULL", []
    if f.op in ("contains", "startswith"):
        text = col if duck_type == "VARCHAR" else f"CAST({col} AS VARCHAR)"
        if f.op == "contains":
            return f"contains(lower({text}), ?)", [f.value.lower()]
        return f"starts_with({text}, ?)", [f.value]
    if f.op == "in":
        return f"{col} IN ({', '.join('?' for _ in f.value)})", list(f.value)
    return f"{col} {_COMPARE[f.op]} ?", [f.value]


def _clustered_table(query: RowQuery, meta: Mapping[str, Any], *, keep_row_order: bool) -> str | None:
    """A copy grouped by a filtered column, if one applies (its rows keep row-id order per value)."""
    clustered = meta.get("clustered") or {}
    if query.q or not clustered:
        return None
    for f in query.filters:
        if f.column not in clustered:
            continue
        if f.op == "eq" or (f.op == "isnull" and f.value) or (f.op == "in" and not keep_row_order):
            return clustered[f.column]
    return None


def effective_sort(query: RowQuery, primary_key: Sequence[str], row_id: str | None = None) -> tuple[SortKey, ...]:
    """The sort without a trailing primary-key (or row id) ascending part, which row-id order already gives."""
    sort = list(query.sort)
    at = next((i for i, k in enumerate(sort) if k.column == row_id), None)
    if at is not None:  # the row id is unique: keys after it never decide; ascending, it is the tiebreak
        sort = sort[:at] if not sort[at].desc else sort[:at + 1]
    pk = list(primary_key)
    if pk and [(k.column, k.desc) for k in sort] == [(c, False) for c in pk]:
        return ()
    return tuple(sort)


def rows_plan(query: RowQuery, meta: Mapping[str, Any], *, after: Sequence[Any] | None = None,
              after_rid: int | None = None, group_rows: int | None = None) -> Plan:
    """The page query: projected columns, then hidden sort-key columns and the row id.

    ``group_rows``: the rows of the value an equality filter picks in a grouped copy, when known. A
    first page from a group of at most ``GROUP_SORT_ROWS`` is sorted from the group rather than read
    through a thin copy; later pages (after a cursor) read the thin copy, whose order skips to the
    cursor where the group would be sorted again. Both give the same order, so a walk may change.
    """
    out = list(query.fields) or [c["name"] for c in meta["columns"]]
    sort = effective_sort(query, meta["primary_key"], meta.get("row_id"))
    thin = thin_copy(query, meta, sort)
    small_group = after_rid is None and group_rows is not None and group_rows <= GROUP_SORT_ROWS
    if thin is not None and not (small_group and _clustered_table(query, meta, keep_row_order=False)):
        return _thin_plan(query, meta, sort, thin, out, after, after_rid)
    table, ordered = ROWS_TABLE, False
    copies = meta["sorted"].get(sort[0].column, {}) if len(sort) == 1 and not query.q else {}
    if copies and not sort[0].desc:
        table = copies["asc"]
    elif copies:
        # a descending copy (older prepared versions) streams; else the ascending one answers with
        # ORDER BY: DuckDB's top-N skips the row groups whose min/max cannot reach the page
        table = copies.get("desc") or copies["asc"]
        ordered = "desc" not in copies
    elif sort:  # ORDER BY: any grouped copy will do, it only narrows the scan
        ordered = True
        table = _clustered_table(query, meta, keep_row_order=False) or ROWS_TABLE
    else:
        table = _clustered_table(query, meta, keep_row_order=True) or ROWS_TABLE
    conds, params = _page_conditions(query, meta, sort, after, after_rid)
    keys = [k.column for k in sort] + [RID]
    select = ", ".join(_select_sql(c, meta) for c in out) + ", " + ", ".join(column_sql(c, meta) for c in keys)
    sql = f"SELECT {select} FROM {table}"
    if conds:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conds)
    if ordered:
        sql += " ORDER BY " + ", ".join(_order(k, meta) for k in sort) + f", {RID}"
    sql += f" LIMIT {int(query.limit) + 1}"
    if query.offset:
        sql += f" OFFSET {int(query.offset)}"
    return Plan(sql, params, out, keys)


def _page_conditions(query: RowQuery, meta: Mapping[str, Any], sort: Sequence[SortKey],
                     after: Sequence[Any] | None, after_rid: int | None) -> tuple[list[str], list[Any]]:
    """The page's WHERE conditions and their parameters: the filters, then the keyset cursor if any."""
    conds, params = where_clause(query, meta)
    if after_rid is not None:
        not_null = {c["name"] for c in meta["columns"] if c.get("nulls") == 0}
        cond, values = _keyset(sort, after or [], after_rid, not_null, meta)
        conds.append(cond)
        params.extend(values)
    return conds, params


def thin_copy(query: RowQuery, meta: Mapping[str, Any], sort: Sequence[SortKey]) -> dict[str, Any] | None:
    """The thin sorted copy that answers a page sorted by one column, if every filter is on its columns."""
    if len(sort) != 1 or query.q or sort[0].column in meta["sorted"]:
        return None  # a full sorted copy, where there is one, needs no second step
    thin = (meta.get("thin") or {}).get(sort[0].column)
    virtual = meta.get("virtual") or {}  # the row id is in every copy
    if thin is None or any(f.column not in thin["columns"] and f.column not in virtual for f in query.filters):
        return None
    return thin


def _thin_plan(query: RowQuery, meta: Mapping[str, Any], sort: Sequence[SortKey], thin: Mapping[str, Any],
               out: list[str], after: Sequence[Any] | None, after_rid: int | None) -> Plan:
    """A page in two steps: its row ids from the thin copy (filtered, in order, after the cursor), then
    their rows from the row table by its row-id index, put back in the same order."""
    conds, params = _page_conditions(query, meta, sort, after, after_rid)
    key = sort[0]
    col = column_sql(key.column, meta)
    sql = f"SELECT {col}, {RID} FROM {thin['table']}"
    if conds:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conds)
    if key.desc:  # ascending, the copy streams in order (see rows_plan)
        sql += f" ORDER BY {_order(key, meta)}, {RID}"
    sql += f" LIMIT {int(query.limit) + 1}"
    if query.offset:
        sql += f" OFFSET {int(query.offset)}"
    keys = [key.column, RID]
    select = ", ".join(_select_sql(c, meta) for c in out) + f", {col}, {RID}"
    return Plan(sql, params, out, keys, Fetch(f"SELECT {select} FROM {ROWS_TABLE}"))


def _order(k: SortKey, meta: Mapping[str, Any]) -> str:
    return f"{column_sql(k.column, meta)} {'DESC' if k.desc else 'ASC'} NULLS LAST"


def _keyset(sort: Sequence[SortKey], values: Sequence[Any], rid: int, not_null: set[str],
            meta: Mapping[str, Any]) -> tuple[str, list[Any]]:
    """Rows after (values, rid) in the order sort keys (NULLS LAST), then row id ascending.

    A leading plain range on the first key (``k >= v``) lets DuckDB skip row groups by their
    min/max, which the OR-expansion alone would not.
    """
    terms: list[str] = []
    params: list[Any] = []
    prefix: list[str] = []
    prefix_params: list[Any] = []
    for key, value in zip(sort, values, strict=True):
        col = column_sql(key.column, meta)
        if value is not None:  # nothing sorts after NULL within this key
            op = "<" if key.desc else ">"
            after = f"{col} {op} ?" if key.column in not_null else f"({col} {op} ? OR {col} IS NULL)"
            terms.append(" AND ".join([*prefix, after]))
            params.extend([*prefix_params, value])
            prefix.append(f"{col} = ?")
            prefix_params.append(value)
        else:
            prefix.append(f"{col} IS NULL")
    terms.append(" AND ".join([*prefix, f"{RID} > ?"]))
    params.extend([*prefix_params, rid])
    cond = " OR ".join(f"({t})" for t in terms)
    if sort:
        first, value = sort[0], values[0]
        col = column_sql(first.column, meta)
        if value is None:
            return f"{col} IS NULL AND ({cond})", params
        if first.column in not_null:
            return f"{col} {'<=' if first.desc else '>='} ? AND ({cond})", [value, *params]
    return cond, params


def count_plan(query: RowQuery, meta: Mapping[str, Any]) -> Plan:
    """Count of the rows (or groups) the query matches, ignoring paging."""
    by_blocks = _count_by_blocks(query, meta)
    if by_blocks is not None:
        return by_blocks
    conds, params = where_clause(query, meta)
    where = (" WHERE " + " AND ".join(f"({c})" for c in conds)) if conds else ""
    table = _clustered_table(query, meta, keep_row_order=False) or _thin_count_table(query, meta) or ROWS_TABLE
    if query.group_by:
        groups = ", ".join(column_sql(c, meta) for c in query.group_by)
        sql = f"SELECT count(*) FROM (SELECT 1 FROM {table}{where} GROUP BY {groups})"
    elif query.aggregates:
        sql = "SELECT 1"
        params = []
    else:
        sql = f"SELECT count(*) FROM {table}{where}"
    return Plan(sql, params, ["count"], [])


_RANGE = {"gt": lambda v, x: v > x, "gte": lambda v, x: v >= x, "lt": lambda v, x: v < x, "lte": lambda v, x: v <= x}


def _count_by_blocks(query: RowQuery, meta: Mapping[str, Any]) -> Plan | None:
    """The count from a thin copy's block counts, when every filter is on their columns or a range of
    its sort column: the blocks wholly inside the range are summed, the rows of the others counted."""
    if query.q or query.group_by or query.aggregates or not query.filters:
        return None
    types = {c["name"]: c["type"] for c in meta["columns"]}
    for column, thin in (meta.get("thin") or {}).items():
        blocks = thin.get("blocks")
        ranges = tuple(f for f in query.filters if f.column == column and f.op in _RANGE)
        others = tuple(f for f in query.filters if f not in ranges)
        if not blocks or any(f.column not in blocks["columns"] for f in others):
            continue
        inner = _inner_blocks(blocks, ranges, types[column])
        if inner is None:
            continue
        def where(conds: list[str]) -> str:
            return (" WHERE " + " AND ".join(f"({c})" for c in conds)) if conds else ""
        conds, params = where_clause(query, meta)
        if not inner:  # no block wholly inside: the range's rows only (their row groups)
            return Plan(f"SELECT count(*) FROM {thin['table']}{where(conds)}", params, ["count"], [])
        cube_conds, cube_params = where_clause(dataclasses.replace(query, filters=others), meta)
        first, last, size = inner[0], inner[-1], int(blocks["rows"])
        parts = [f"SELECT sum(__od_n) AS n FROM {blocks['table']}"
                 + where([*cube_conds, f"__od_block BETWEEN {first} AND {last}"])]
        values = list(cube_params)
        if first > 0:
            parts.append(f"SELECT count(*) FROM {thin['table']}{where([*conds, f'rowid < {first * size}'])}")
            values += params
        if last < len(blocks["bounds"]) - 1:
            parts.append(f"SELECT count(*) FROM {thin['table']}{where([*conds, f'rowid >= {(last + 1) * size}'])}")
            values += params
        return Plan(f"SELECT coalesce(sum(n), 0)::BIGINT FROM ({' UNION ALL '.join(parts)})", values, ["count"], [])
    return None


def _inner_blocks(blocks: Mapping[str, Any], ranges: Sequence[Filter], duck_type: str) -> list[int] | None:
    """The blocks whose every row is inside the ranges (a contiguous run, as the copy is sorted)."""
    if not ranges:
        return list(range(len(blocks["bounds"])))
    convert = float if duck_type in ("FLOAT", "DOUBLE") else converter(duck_type)
    inner = []
    try:
        for i, (lo, hi, nulls) in enumerate(blocks["bounds"]):
            if nulls or lo is None:
                continue
            lo, hi = convert(lo), convert(hi)
            if all(_RANGE[f.op](lo, f.value) and _RANGE[f.op](hi, f.value) for f in ranges):
                inner.append(i)
    except (TypeError, ValueError):  # values Python cannot order as DuckDB does (time zones): count plainly
        return None
    if inner and inner != list(range(inner[0], inner[-1] + 1)):
        return []  # not one run (a sorted copy gives one): count the rows
    return inner


def _thin_count_table(query: RowQuery, meta: Mapping[str, Any]) -> str | None:
    """A thin copy holding every filtered column, one filter on its sort column: the count reads only
    the row groups whose min/max reach that filter."""
    if query.q or query.group_by or query.aggregates:
        return None
    virtual = meta.get("virtual") or {}
    for column, thin in (meta.get("thin") or {}).items():
        if (any(f.column == column for f in query.filters)
                and all(f.column in thin["columns"] or f.column in virtual for f in query.filters)):
            return thin["table"]
    return None


def aggregate_plan(query: RowQuery, meta: Mapping[str, Any]) -> Plan:
    """Group-by with aggregates; sorted by the requested keys, else by the group columns."""
    conds, params = where_clause(query, meta)
    parts = [_select_sql(c, meta) for c in query.group_by]
    for a in query.aggregates:
        arg = "*" if a.column is None else column_sql(a.column, meta)
        parts.append(f"{_AGG_SQL[a.func]}({arg}) AS {quote_ident(a.name)}")
    table = _clustered_table(query, meta, keep_row_order=False) or ROWS_TABLE
    sql = f"SELECT {', '.join(parts)} FROM {table}"
    if conds:
        sql += " WHERE " + " AND ".join(f"({c})" for c in conds)
    if query.group_by:
        sql += " GROUP BY " + ", ".join(column_sql(c, meta) for c in query.group_by)
        order = [_order(k, meta) for k in query.sort]
        order += [f"{column_sql(c, meta)} ASC NULLS LAST" for c in query.group_by
                  if c not in {k.column for k in query.sort}]
        sql += " ORDER BY " + ", ".join(order)
    sql += f" LIMIT {int(query.limit) + 1}"
    if query.offset:
        sql += f" OFFSET {int(query.offset)}"
    columns = list(query.group_by) + [a.name for a in query.aggregates]
    return Plan(sql, params, columns, [])
