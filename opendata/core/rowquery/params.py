"""Parse row-query parameters (a plain dict of query-string values) into a checked ``RowQuery``.

Every problem names the parameter it comes from; column names are matched against the prepared
version's columns, and filter values are converted to the column's type before they reach DuckDB.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from opendata.core.errors import Problem, ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
MAX_IN_VALUES = 1_000
MAX_Q_CHARS, MAX_Q_TERMS = 500, 20
FORMATS = ("json", "csv", "ndjson", "parquet")
OPERATORS = ("eq", "gt", "gte", "lt", "lte", "ne", "in", "contains", "startswith", "isnull")
AGG_FUNCS = ("count", "sum", "avg", "min", "max")
RESERVED = ("q", "sort", "fields", "limit", "offset", "next", "format", "group_by", "agg", "total")
_INT_RE = re.compile(r"[+-]?\d+")
_INT_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT")
_TRUE, _FALSE = ("true", "1", "yes", "t", "y"), ("false", "0", "no", "f", "n")


@dataclass(frozen=True)
class Filter:
    column: str
    op: str
    value: Any  # converted to the column's type; a tuple for ``in``; a bool for ``isnull``
    param: str


@dataclass(frozen=True)
class ColumnFilter:
    """A filter given apart from the query string, so a column may have any name (``q``, ``limit``,
    ``amount__gt``) without being read as a parameter or an operator.

    ``values`` are texts converted like ``col=value``: one value compares with ``op`` (``eq``,
    ``contains``, ...), several mean any of them (``in``, commas inside values are kept). Problems
    name ``param`` (e.g. CKAN's ``filters``).
    """

    column: str
    values: tuple[str, ...]
    op: str = "eq"
    param: str = "filters"


@dataclass(frozen=True)
class SortKey:
    column: str
    desc: bool = False


@dataclass(frozen=True)
class Aggregate:
    func: str
    column: str | None
    name: str  # output column: count, sum_amount, ...


@dataclass(frozen=True)
class RowQuery:
    filters: tuple[Filter, ...] = ()
    q: str | None = None
    sort: tuple[SortKey, ...] = ()
    fields: tuple[str, ...] = ()
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    cursor: str | None = None
    format: str = "json"
    group_by: tuple[str, ...] = ()
    aggregates: tuple[Aggregate, ...] = ()
    include_total: bool = True

    @property
    def is_aggregate(self) -> bool:
        return bool(self.group_by or self.aggregates)


def is_numeric_type(duck_type: str) -> bool:
    return duck_type in _INT_TYPES or duck_type in ("FLOAT", "DOUBLE") or duck_type.startswith("DECIMAL")


def converter(duck_type: str) -> Callable[[str], Any]:
    """A function turning query-string text into a value of the DuckDB column type."""
    if duck_type in _INT_TYPES:
        return _to_int
    if duck_type in ("FLOAT", "DOUBLE"):
        return _to_float
    if duck_type.startswith("DECIMAL"):
        return _to_decimal
    if duck_type == "BOOLEAN":
        return _to_bool
    if duck_type == "DATE":
        return dt.date.fromisoformat
    if duck_type.startswith("TIMESTAMP"):
        return dt.datetime.fromisoformat
    if duck_type.startswith("TIME"):
        return dt.time.fromisoformat
    return str


def _to_int(text: str) -> int:
    if not _INT_RE.fullmatch(text.strip()):
        raise ValueError("not an integer")
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise ValueError("integer out of the 64-bit range")
    return value


def _to_float(text: str) -> float:
    value = float(text)
    if math.isnan(value):
        raise ValueError("not a number")
    return value


def _to_decimal(text: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError("not a decimal number") from None
    if not value.is_finite():
        raise ValueError("not a finite number")
    return value


def _to_bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError("not a boolean (true or false)")


def query_pairs(args: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, value) pairs of query-string args: dicts of strings or lists, or werkzeug MultiDicts."""
    if hasattr(args, "lists"):
        return [(k, str(v)) for k, vs in args.lists() for v in vs]
    out = []
    for k, v in args.items():
        for item in v if isinstance(v, (list, tuple)) else [v]:
            out.append((str(k), str(item)))
    return out


def parse_query(args: Mapping[str, Any], columns: Mapping[str, str],
                column_filters: Sequence[ColumnFilter] = ()) -> RowQuery:
    """Check and convert query-string ``args`` and ``column_filters`` against ``columns`` (name -> DuckDB type)."""
    problems: list[Problem] = []

    def bad(param: str, message: str, code: str = "invalid-parameter") -> None:
        problems.append(Problem(code, message, path=param))

    def column(name: str, param: str) -> str | None:
        if name in columns:
            return name
        bad(param, f"unknown column '{name}' in parameter '{param}'", "unknown-column")
        return None

    single: dict[str, str] = {}
    filters: list[Filter] = []
    aggs_text: list[tuple[str, str]] = []
    for key, raw in query_pairs(args):
        if key == "agg":
            aggs_text.extend(("agg", part) for part in raw.split(",") if part.strip())
        elif key in RESERVED:
            if key in single:
                bad(key, f"parameter '{key}' is given more than once")
            single[key] = raw
        else:
            flt = _parse_filter(key, raw, columns, bad, column)
            if flt is not None:
                filters.append(flt)
    for cf in column_filters:
        flt = _column_filter(cf, columns, bad)
        if flt is not None:
            filters.append(flt)
    limit = _parse_int(single.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT, bad)
    offset = _parse_int(single.get("offset"), "offset", 0, 0, 2**62, bad)
    fmt = single.get("format", "json").lower()
    if fmt not in FORMATS:
        bad("format", f"format must be one of {', '.join(FORMATS)}")
    fields = tuple(dict.fromkeys(n for n in (column(p, "fields") for p in _split(single.get("fields"))) if n))
    group_by = tuple(n for n in (column(p, "group_by") for p in _split(single.get("group_by"))) if n)
    aggregates = _parse_aggregates(aggs_text, columns, bad, column)
    if group_by and not aggregates:
        aggregates = (Aggregate("count", None, "count"),)
    # aggregate results sort by their group columns and aggregate names, rows by any column
    sortable = set(group_by) | {a.name for a in aggregates} if aggregates else set(columns)
    sort = []
    for part in _split(single.get("sort")):
        desc = part.startswith("-")
        name = part.lstrip("-+")
        if name in sortable:
            sort.append(SortKey(name, desc))
        elif aggregates:
            bad("sort", f"cannot sort aggregates by '{name}' (sort by a group_by column or an aggregate)")
        else:
            column(name, "sort")
    q = single.get("q")
    if q is not None and (len(q) > MAX_Q_CHARS or len(q.split()) > MAX_Q_TERMS):
        bad("q", f"q may have at most {MAX_Q_TERMS} words and {MAX_Q_CHARS} characters")
    total = single.get("total", "true").strip().lower()
    if total not in _TRUE + _FALSE:
        bad("total", "total must be true or false")
    if "next" in single and "offset" in single:
        bad("next", "use either 'next' or 'offset', not both")
    if (group_by or aggregates) and "next" in single:
        bad("next", "aggregate results are paged with 'offset'")
    if (group_by or aggregates) and fields:
        bad("fields", "'fields' cannot be combined with 'group_by' or 'agg'")
    if problems:
        raise ValidationError("invalid row query", problems=problems)
    return RowQuery(filters=tuple(filters), q=(q.strip() or None) if q is not None else None,
                    sort=tuple(sort), fields=fields, limit=limit, offset=offset,
                    cursor=single.get("next") or None, format=fmt, group_by=group_by,
                    aggregates=aggregates, include_total=total in _TRUE)


def _parse_filter(key: str, raw: str, columns: Mapping[str, str], bad, column) -> Filter | None:
    name, op = key, "eq"
    if "__" in key and key not in columns:
        head, _, tail = key.rpartition("__")
        if tail in OPERATORS:
            name, op = head, tail
        elif head in columns:
            bad(key, f"unknown operator '{tail}' in parameter '{key}' (one of {', '.join(OPERATORS)})")
            return None
    if column(name, key) is None:
        return None
    return _make_filter(name, op, raw.split(",") if op == "in" else [raw], key, key, columns[name], bad)


def _column_filter(cf: ColumnFilter, columns: Mapping[str, str], bad) -> Filter | None:
    label = f"{cf.param} ({cf.column})"
    if cf.column not in columns:
        bad(cf.param, f"unknown column '{cf.column}' in parameter '{cf.param}'", "unknown-column")
        return None
    if not cf.values or cf.op not in OPERATORS:
        bad(cf.param, f"parameter '{label}' needs a value" if not cf.values else f"unknown operator '{cf.op}'")
        return None
    op = "in" if len(cf.values) > 1 else cf.op
    if op == "in" and cf.op not in ("eq", "in"):
        bad(cf.param, f"parameter '{label}' takes one value with operator '{cf.op}'")
        return None
    return _make_filter(cf.column, op, list(cf.values), cf.param, label, columns[cf.column], bad)


def _make_filter(name: str, op: str, texts: list[str], param: str, label: str, duck_type: str,
                 bad) -> Filter | None:
    """A filter on column ``name`` from its value texts; problems are reported on ``param``."""
    if op == "isnull":
        try:
            return Filter(name, op, _to_bool(texts[0]), param)
        except ValueError:
            bad(param, f"parameter '{label}' must be true or false")
            return None
    if op in ("contains", "startswith"):
        if texts[0] == "":
            bad(param, f"parameter '{label}' needs a value")
            return None
        return Filter(name, op, texts[0], param)
    convert = converter(duck_type)
    if op == "in" and len(texts) > MAX_IN_VALUES:
        bad(param, f"parameter '{label}' has more than {MAX_IN_VALUES} values")
        return None
    values = []
    for text in texts:
        if text == "" and convert is not str:
            bad(param, f"parameter '{label}' needs a value (use {name}__isnull=true for missing values)")
            return None
        try:
            values.append(convert(text))
        except (ValueError, TypeError) as exc:
            bad(param, f"parameter '{label}': '{text[:50]}' is not a valid {duck_type.lower()} ({exc})")
            return None
    return Filter(name, op, tuple(values) if op == "in" else values[0], param)


def _parse_aggregates(items: list[tuple[str, str]], columns: Mapping[str, str], bad, column) -> tuple[Aggregate, ...]:
    out: list[Aggregate] = []
    for param, text in items:
        func, _, col = text.strip().partition(":")
        func = func.strip().lower()
        if func not in AGG_FUNCS:
            bad(param, f"unknown aggregate '{func}' (one of {', '.join(AGG_FUNCS)})")
            continue
        if not col:
            if func != "count":
                bad(param, f"aggregate '{func}' needs a column, e.g. {func}:amount")
                continue
            agg = Aggregate("count", None, "count")
        else:
            name = column(col.strip(), param)
            if name is None:
                continue
            if func in ("sum", "avg") and not is_numeric_type(columns[name]):
                bad(param, f"aggregate '{func}' needs a numeric column; '{name}' is {columns[name].lower()}")
                continue
            agg = Aggregate(func, name, f"{func}_{name}")
        if agg.name not in (a.name for a in out):
            out.append(agg)
    return tuple(out)


def _parse_int(text: str | None, param: str, default: int, low: int, high: int, bad) -> int:
    if text is None or text.strip() == "":
        return default
    if not _INT_RE.fullmatch(text.strip()):
        bad(param, f"parameter '{param}' must be an integer")
        return default
    value = int(text)
    if not low <= value <= high:
        bad(param, f"parameter '{param}' must be between {low} and {high}")
        return default
    return value


def _split(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(",") if p.strip()]
