"""CKAN ``datastore_search`` translated into a row query (opendata.services.rows / core.rowquery).

CKAN's parameters become the row engine's: ``filters`` {col: value | [values]} → column filters
(equality, or any of the values), given to the engine apart from its parameters so that any column
name works (``q``, ``limit``, ``amount__gt``); ``q`` text → ``q``, ``q`` {col: text} → a ``contains``
column filter; ``sort`` "a asc, b desc" or ["a asc", "b desc"] → ``a,-b``; ``fields``, ``limit``
(capped at the engine's maximum), ``offset``, ``include_total``. An unknown column is CKAN's
Validation Error ``field "x" not in table``. Every row has CKAN's ``_id``, its 1-based number in
the version (primary-key order), first among the fields; it can be selected, sorted and filtered.
Field types are CKAN's datastore types derived from the published Table Schema.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from opendata.api.ckan.protocol import (
    CkanNotFound,
    CkanValidationError,
    param_bool,
    param_int,
    parse_resource_id,
)
from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.rowquery import MAX_LIMIT, ColumnFilter
from opendata.core.rowquery.render import row_dicts
from opendata.services.published.entries import read_published
from opendata.services.rows import query_rows
from opendata.services.standards.datapackage import published_table_schema

if TYPE_CHECKING:
    from opendata.api.ckan.actions import Context

CKAN_TYPES = {"integer": "int", "number": "numeric", "string": "text", "boolean": "bool", "date": "date",
              "datetime": "timestamp", "time": "time", "year": "int"}
DEFAULT_LIMIT = 100
ROW_ID = "_id"  # CKAN's row number: the first field of every resource, sortable and filterable


def _as_json(data: dict[str, Any], key: str) -> Any:
    raw = data.get(key)
    if isinstance(raw, str) and raw.strip()[:1] in ("{", "["):
        try:
            return json.loads(raw)
        except ValueError:
            raise CkanValidationError({key: ["Cannot parse JSON"]}) from None
    return raw


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    return str(value)


def _engine_args(data: dict[str, Any], limit: int, offset: int, include_total: bool) -> list[tuple[str, str]]:
    """The row engine's own parameters; filters go apart (:func:`_column_filters`), never in here."""
    args: list[tuple[str, str]] = [("limit", str(limit)), ("offset", str(offset)),
                                   ("total", "true" if include_total else "false")]
    q = _as_json(data, "q")
    if not isinstance(q, dict) and q not in (None, ""):
        args.append(("q", str(q)))
    fields = _as_json(data, "fields")
    if isinstance(fields, list):
        fields = ",".join(str(f) for f in fields)
    if fields:
        args.append(("fields", ",".join(f.strip() for f in str(fields).split(",") if f.strip())))
    keys = _sort_keys(_as_json(data, "sort"))
    if keys:
        args.append(("sort", ",".join(keys)))
    return args


def _sort_keys(sort: Any) -> list[str]:
    """CKAN's sort, "a desc, b" or ["a desc", "b"], as the engine's keys ``-a``, ``b``."""
    if sort in (None, ""):
        return []
    parts = sort if isinstance(sort, list) else [sort]
    if not all(isinstance(p, str) for p in parts):
        raise CkanValidationError({"sort": ["Must be a string or a list of strings"]})
    keys = []
    for part in (clause for p in parts for clause in p.split(",")):
        words = part.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].lower() not in ("asc", "desc")):
            raise CkanValidationError({"sort": [f"Cannot parse sort '{part.strip()}'"]})
        keys.append(("-" if len(words) == 2 and words[1].lower() == "desc" else "") + words[0].strip('"'))
    return keys


def _column_filters(data: dict[str, Any], columns: Collection[str]) -> list[ColumnFilter]:
    """CKAN's ``filters`` {column: value | [values]} and ``q`` {column: text}: every key is a column.

    They reach the engine as :class:`ColumnFilter`, so a column called ``q``, ``limit`` or
    ``amount__gt`` is a column, never a parameter or an operator; unknown ones are named as CKAN does.
    """
    out: list[ColumnFilter] = []
    filters = _as_json(data, "filters") or {}
    if not isinstance(filters, dict):
        raise CkanValidationError({"filters": ["Must be a JSON object"]})
    for column, value in filters.items():
        values = value if isinstance(value, list) else [value]
        if not values:
            raise CkanValidationError({"filters": [f"Empty list of values for '{column}'"]})
        if any(isinstance(v, (dict, list)) for v in values):
            raise CkanValidationError({"filters": [f"Invalid value for '{column}'"]})
        out.append(ColumnFilter(str(column), tuple(_scalar(v) for v in values), "eq", "filters"))
    q = _as_json(data, "q")
    if isinstance(q, dict):
        out.extend(ColumnFilter(str(column), (_scalar(text),), "contains", "q") for column, text in q.items())
    for cf in out:
        if cf.column not in columns:
            raise CkanValidationError({cf.param: [f'field "{cf.column}" not in table']})
    return out


def _links(resource_id: str, data: dict[str, Any], limit: int, offset: int) -> dict[str, str]:
    base = {k: v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for k, v in data.items()
            if k not in ("offset", "resource_id") and v is not None}
    start = "/api/3/action/datastore_search?" + urlencode({"resource_id": resource_id, **base})
    return {"start": start, "next": f"{start}&offset={offset + limit}"}


def _problems_to_fields(exc: ValidationError) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for p in exc.problems:
        key = p.path if p.path in ("sort", "fields", "q", "limit", "offset", "filters") else "query"
        fields.setdefault(key, []).append(p.message)
    return fields or {"query": [exc.message]}


def datastore_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Rows of a resource: resource_id, filters, q, fields, sort, limit, offset, include_total."""
    rid = str(data.get("resource_id") or data.get("id") or "").strip()
    if not rid:
        raise CkanValidationError({"resource_id": ["Missing value"]})
    parsed = parse_resource_id(rid)
    if parsed is None:
        raise CkanNotFound(f"Resource \"{rid}\" was not found.")
    identifier, _kind = parsed
    limit = min(param_int(data, "limit", DEFAULT_LIMIT, low=0), MAX_LIMIT)
    offset = param_int(data, "offset", 0, low=0)
    include_total = param_bool(data, "include_total", True)
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        try:
            entry = published.entry(identifier)
        except NotFoundError:
            raise CkanNotFound(f"Resource \"{rid}\" was not found.") from None
        if entry.distribution(_kind) is None:
            raise CkanNotFound(f"Resource \"{rid}\" was not found.")
        schema = published_table_schema(entry, ctx.runtime.artifacts)
    types = {ROW_ID: "int"} | {f["name"]: CKAN_TYPES.get(f.get("type", "string"), "text")
                               for f in schema.get("fields", [])}
    args = _engine_args(data, limit or 1, offset, include_total)  # limit 0: CKAN answers fields and total only
    column_filters = _column_filters(data, types)
    try:
        _pk, result = query_rows(runtime=ctx.runtime, identifier=identifier, args=_Multi(args), viewer=ctx.viewer,
                                 column_filters=column_filters, row_id=ROW_ID)
    except NotFoundError:
        raise CkanNotFound(f"Resource \"{rid}\" was not found.") from None
    except ValidationError as exc:
        raise CkanValidationError(_problems_to_fields(exc)) from None
    records = row_dicts(result.columns, result.rows) if limit else []
    out: dict[str, Any] = {
        "resource_id": rid,
        "fields": [{"id": c, "type": types.get(c, "text")} for c in result.columns],
        "records": records,
        "limit": limit,
        "offset": offset,
        "include_total": include_total,
        "records_format": "objects",
        "_links": _links(rid, data, limit, offset),
    }
    if include_total:
        out["total"] = result.total
        out["total_was_estimated"] = not result.total_exact
    return out


class _Multi(dict):
    """Query-string pairs (a name may repeat) in the shape the row engine reads (``lists()``)."""

    def __init__(self, pairs: list[tuple[str, str]]):
        grouped: dict[str, list[str]] = {}
        for k, v in pairs:
            grouped.setdefault(k, []).append(v)
        super().__init__({k: vs[0] for k, vs in grouped.items()})
        self._grouped = grouped

    def lists(self):
        return list(self._grouped.items())

    def getlist(self, key: str) -> list[str]:
        return list(self._grouped.get(key, []))
