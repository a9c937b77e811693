"""A draft Table Schema from a sample file, for a person to check and correct before registering it.

The sample is read as uploads are (any supported format and encoding: GBK CSV, XLSX, ...), its
first rows go to frictionless' type inference (:func:`opendata.core.tableschema.describe_rows`),
and the draft is then made safer for government data:

- a column that would read as numbers or dates only after cleaning (full-width digits, thousands
  separators, currency signs, 2023年6月18日, Excel serial dates) gets that type and ``x-normalize``;
- identifiers stay text: numbers with leading zeros or 16 or more digits, and columns whose header
  names an ID, code, account or telephone number, are ``string`` (Excel and JSON lose such digits);
- blank or repeated header cells get names ``field_<n>`` so the draft is a valid schema.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pyarrow as pa

from opendata.core.normalize import Normalizer
from opendata.core.readers import RawBatch, ReadLimits, open_table
from opendata.core.tableschema import describe_rows, load_table_schema

SAMPLE_ROWS = 1000
MAX_FIELDS = 500
_TEXT_HEADERS = re.compile(r"身份证|证件|号码|电话|手机|编码|代码|编号|账号|帐号|邮编|卡号|id$|code|phone|tel", re.I)
_LEADING_ZERO = re.compile(r"^0\d")
_NUMERIC = ("integer", "number")


def draft_schema(path: str | Path, *, sheet: str | None = None, sample_rows: int = SAMPLE_ROWS) -> dict[str, Any]:
    """A draft descriptor (``fields`` with ``name``, ``title``, ``type``, maybe ``x-normalize``) for a sample."""
    labels, batch = _sample(path, sheet, sample_rows)
    names = _names(labels)
    raw = _rows(batch)
    draft = {f["name"]: f for f in _describe(names, raw)}
    as_numbers = _rows(_normalized(batch, names, "number"))
    as_dates = _rows(_normalized(batch, names, "date"))
    numbers = {f["name"]: f["type"] for f in _describe(names, as_numbers)}
    dates = {f["name"]: f["type"] for f in _describe(names, as_dates)}
    fields = []
    for i, (name, label) in enumerate(zip(names, labels, strict=True)):
        field: dict[str, Any] = {"name": name, "type": draft[name]["type"]}
        if label and label != name:
            field["title"] = label
        if field["type"] == "string" and numbers[name] in _NUMERIC and _changed(raw, as_numbers, i):
            field.update(type=numbers[name], **{"x-normalize": True})
        elif field["type"] == "string" and dates[name] == "date" and _changed(raw, as_dates, i):
            field.update(type="date", **{"x-normalize": True})
        if field["type"] in _NUMERIC and _looks_like_identifier(label or name, [r[i] for r in raw]):
            field = {k: v for k, v in field.items() if k != "x-normalize"} | {"type": "string"}
        fields.append(field)
    descriptor = {"fields": fields}
    load_table_schema(descriptor, name="draft")  # the draft itself must be a valid schema
    return descriptor


def _sample(path: str | Path, sheet: str | None, limit: int) -> tuple[list[str], RawBatch | None]:
    with open_table(path, sheet=sheet, limits=ReadLimits()) as table:
        labels = [str(label or "") for label in table.labels][:MAX_FIELDS]
        taken: list[RawBatch] = []
        count = 0
        for batch in table.iter_batches():
            taken.append(batch)
            count += batch.num_rows
            if count >= limit:
                break
    if not taken:
        return labels, None
    width = len(labels)
    columns = [pa.concat_arrays([b.columns[i] for b in taken]).slice(0, limit) if i < len(taken[0].columns)
               else pa.nulls(min(count, limit), pa.string()) for i in range(width)]
    numbers = pa.concat_arrays([b.row_numbers for b in taken]).slice(0, limit)
    counts = pa.concat_arrays([b.cell_counts for b in taken]).slice(0, limit)
    return labels, RawBatch(row_numbers=numbers, columns=columns, cell_counts=counts)


def _names(labels: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, label in enumerate(labels, start=1):
        name = label.strip()
        if not name or name in seen:
            name = f"field_{i}"
        seen.add(name)
        out.append(name)
    return out


def _rows(batch: RawBatch | None) -> list[list[str | None]]:
    if batch is None:
        return []
    columns = [c.to_pylist() for c in batch.columns]
    return [list(row) for row in zip(*columns, strict=True)] if columns else []


def _describe(names: list[str], rows: list[list[str | None]]) -> list[dict[str, Any]]:
    if not rows:
        return [{"name": n, "type": "string"} for n in names]
    return describe_rows(names, rows)["fields"]


def _normalized(batch: RawBatch | None, names: list[str], as_type: str) -> RawBatch | None:
    """The sample as it would read if every column were ``as_type`` with every normalizer on."""
    if batch is None:
        return None
    schema = load_table_schema({"fields": [{"name": n, "type": as_type, "x-normalize": True} for n in names]},
                               name="trial")
    return Normalizer(schema, labels=names).apply(batch)


def _changed(before: list[list[str | None]], after: list[list[str | None]], column: int) -> bool:
    return any(a[column] != b[column] for a, b in zip(before, after, strict=True))


def _looks_like_identifier(header: str, values: list[str | None]) -> bool:
    if _TEXT_HEADERS.search(header):
        return True
    digits = [v.strip() for v in values if v]
    return any(_LEADING_ZERO.match(v) or len(v.lstrip("+-")) >= 16 for v in digits)
