"""Render query results as JSON, CSV, NDJSON or Parquet bytes with their media types.

JSON keeps every integer exact (Python ints are written digit for digit, also past 2**53), string
columns stay strings (18-digit identifiers are never turned into numbers), dates are ISO 8601,
decimals are written as strings so no digit is lost, and NaN or infinity become null.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

MEDIA_TYPES = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "ndjson": "application/x-ndjson",
    "parquet": "application/vnd.apache.parquet",
}


def _plain(value: Any) -> Any:
    """A JSON-ready value (used for the few types json cannot write itself)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def _finite(value: Any) -> Any:
    return value if value is None or math.isfinite(value) else None


def _iso(value: Any) -> Any:
    return None if value is None else value.isoformat()


def row_dicts(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts; converters are chosen per column from the first row's values."""
    if not rows:
        return []
    fixes: list[tuple[int, Any]] = []
    for i in range(len(columns)):
        sample = next((r[i] for r in rows if r[i] is not None), None)
        if isinstance(sample, bool) or sample is None or isinstance(sample, (str, int)):
            continue
        if isinstance(sample, float):
            fixes.append((i, _finite))
        elif isinstance(sample, (dt.date, dt.time, dt.datetime)):
            fixes.append((i, _iso))
        else:
            fixes.append((i, _plain))
    if not fixes:
        return [dict(zip(columns, row, strict=True)) for row in rows]
    out = []
    for row in rows:
        values = list(row)
        for i, fix in fixes:
            values[i] = fix(values[i])
        out.append(dict(zip(columns, values, strict=True)))
    return out


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def render_json(envelope: dict[str, Any], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """The JSON body: ``envelope`` with ``rows`` as a list of objects."""
    body = dict(envelope)
    body["rows"] = row_dicts(columns, rows)
    return _dumps(body).encode("utf-8")


def render_ndjson(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """One JSON object per line."""
    return "".join(_dumps(d) + "\n" for d in row_dicts(columns, rows)).encode("utf-8")


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    """RFC 4180 CSV with a header; missing values are empty cells."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["" if v is None else ("true" if v is True else "false" if v is False else _csv(v))
                         for v in row])
    return buf.getvalue().encode("utf-8")


def _csv(value: Any) -> Any:
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    plain = _plain(value)
    return plain


def render_parquet(table: pa.Table) -> bytes:
    """A zstd-compressed Parquet file of the result."""
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def render(fmt: str, envelope: dict[str, Any], columns: Sequence[str], rows: Sequence[Sequence[Any]] | None,
           table: pa.Table | None = None) -> tuple[bytes, str]:
    """(body, media type) for one of ``json``, ``csv``, ``ndjson``, ``parquet``."""
    if fmt == "parquet":
        if table is None:  # aggregates: Python values keep dates and decimals typed
            try:
                table = pa.Table.from_pylist([dict(zip(columns, r, strict=True)) for r in rows or []])
            except (pa.ArrowException, OverflowError):  # e.g. a sum beyond 64 bits
                table = pa.Table.from_pylist(row_dicts(columns, rows or []))
        return render_parquet(table), MEDIA_TYPES[fmt]
    rows = rows or []
    if fmt == "csv":
        return render_csv(columns, rows), MEDIA_TYPES[fmt]
    if fmt == "ndjson":
        return render_ndjson(columns, rows), MEDIA_TYPES[fmt]
    return render_json(envelope, columns, rows), MEDIA_TYPES["json"]
