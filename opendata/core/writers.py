"""Streaming writers for published outputs: canonical CSV, Excel-friendly CSV and Parquet.

Every file is written to a temporary name beside its target, fsynced, then renamed; its sha256
and size are computed from the bytes as they are written.

Canonical CSV (RFC 4180): UTF-8 without BOM, LF line endings, ``,`` delimiter, header = the
published field names. A cell is quoted only when it contains ``"``, ``,``, CR or LF (quotes
doubled). Values are written in their Table Schema default form: integers as digits (years as
four); numbers
as their source text when that is a plain decimal (exact, since Table Schema numbers are
decimals), else in shortest round-trip form (``0.1``, ``1e+20``); booleans ``true``/``false``;
dates ``YYYY-MM-DD``; times ``HH:MM:SS[.ffffff]``; datetimes ``YYYY-MM-DDTHH:MM:SS[.ffffff]``
(``Z`` appended for UTC); geopoints ``lon,lat``; null and empty are both the empty cell. pyarrow's CSVWriter is
not used because it quotes every string and writes datetimes with a space; the lines are built
with pyarrow compute and written straight from the Arrow buffer, so no Python code runs per row.

Excel CSV: the same bytes after a UTF-8 BOM (LF line ends: Excel reads them), except that text
cells starting with ``=``, ``+``, ``-``, ``@``, tab or CR (in the header row too) are prefixed
with ``'`` so spreadsheets do not evaluate them as formulas. It is a convenience copy; the
canonical CSV stays faithful to the data. While no cell needs that prefix the variant is exactly
the BOM plus the canonical bytes, and is not written at all (:mod:`opendata.core.excel_csv`).

Parquet (zstd): integer and year as int64, number as float64 (decimal kept if the validator
produced decimals), boolean, date as date32, time as time64[us], datetime as timestamp[us] (time
zone kept), geopoint as struct<lon: double, lat: double> when typed (so engines can filter on
coordinates), everything else (string, yearmonth ``YYYY-MM``, masked fields) as string. The
Table Schema is stored in the file metadata under ``table_schema``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opendata.core.files import fsync_dir
from opendata.core.tableschema import FieldSpec

_NEEDS_QUOTE = '[",\r\n]'
_PLAIN_DECIMAL = r"^-?(0|[1-9][0-9]*)(\.[0-9]+)?$"
_QUOTE_BYTES = (b'"', b",", b"\r", b"\n")
_FORMULA_BYTES = np.frombuffer(b"=+-@\t\r", dtype=np.uint8)
_PLAIN_TYPES = (pa.types.is_integer, pa.types.is_floating, pa.types.is_boolean, pa.types.is_date,
                pa.types.is_decimal, pa.types.is_time, pa.types.is_timestamp)


@dataclass(frozen=True)
class Artifact:
    """One finished output file."""

    kind: str  # csv | csv-excel | parquet | datapackage
    path: str
    bytes: int
    sha256: str
    mediatype: str
    # not written: the bytes are ``prefix`` then those of the file at ``same_bytes_as`` (stored once)
    same_bytes_as: str | None = None
    prefix: bytes = b""

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "path": self.path, "bytes": self.bytes, "sha256": self.sha256,
                "mediatype": self.mediatype}


class AtomicOutput:
    """A binary file written under a temporary name, hashed as written, renamed on commit."""

    def __init__(self, path: str | Path, *, mirror_prefix: bytes | None = None):
        self.path = Path(path)
        self.tmp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex[:8]}.tmp")
        self._fh = open(self.tmp, "wb")  # noqa: SIM115 - closed by commit() or abort()
        self._hash = hashlib.sha256()
        # the sha256 of mirror_prefix + these bytes, for a variant that is not written (see Artifact)
        self.mirror = hashlib.sha256(mirror_prefix) if mirror_prefix is not None else None
        self.bytes = 0

    # the file-object protocol pyarrow needs for a sink
    closed = False

    def writable(self) -> bool:
        return True

    def write(self, data) -> int:
        view = memoryview(data)
        self._fh.write(view)
        self._hash.update(view)
        if self.mirror is not None:
            self.mirror.update(view)
        self.bytes += view.nbytes
        return view.nbytes

    def tell(self) -> int:
        return self.bytes

    def flush(self) -> None:
        self._fh.flush()

    def commit(self) -> tuple[int, str]:
        """fsync, rename into place and make the rename durable; returns (bytes, sha256 hex)."""
        self._fh.flush()
        os.fsync(self._fh.fileno())
        self._fh.close()
        os.replace(self.tmp, self.path)
        fsync_dir(self.path.parent)
        self.closed = True
        return self.bytes, self._hash.hexdigest()

    def abort(self) -> None:
        """Close and delete the temporary file."""
        if not self._fh.closed:
            self._fh.close()
        self.tmp.unlink(missing_ok=True)
        self.closed = True


# -- canonical text ------------------------------------------------------------------------

def canonical_text(col: pa.Array) -> pa.Array:
    """Each value in its Table Schema default text form (a string array; nulls stay null)."""
    t = col.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return col.cast(pa.string())
    if pa.types.is_null(t):
        return pa.nulls(len(col), pa.string())
    if pa.types.is_timestamp(t):
        if t.tz is not None:
            col = col.cast(pa.timestamp(t.unit, "UTC"))
        text = pc.strftime(col, format="%Y-%m-%dT%H:%M:%S")
        text = pc.replace_substring_regex(text, r"\.0+$", "")
        return pc.binary_join_element_wise(text, "Z", "") if t.tz is not None else text
    if pa.types.is_time(t):
        return pc.replace_substring_regex(col.cast(pa.string()), r"\.0+$", "")
    if pa.types.is_struct(t) and t.num_fields == 2:
        parts = [canonical_text(pc.struct_field(col, [i])) for i in range(2)]
        joined = pc.binary_join_element_wise(*parts, ",")
        return pc.if_else(pc.is_valid(col), joined, pa.scalar(None, pa.string()))
    try:
        return col.cast(pa.string())
    except (pa.ArrowNotImplementedError, pa.ArrowInvalid):
        values = [None if v is None else json.dumps(v, ensure_ascii=False, default=str)
                  for v in col.to_pylist()]
        return pa.array(values, pa.string())


def _column(batch: pa.RecordBatch, name: str, position: int) -> pa.Array:
    index = batch.schema.get_field_index(name)
    return batch.column(index if index >= 0 else position)


@dataclass(frozen=True)
class CsvCell:
    """One column of a batch as CSV text: the unquoted text and which cells need quotes."""

    text: pa.Array  # no nulls
    needs_quote: pa.Array | None  # None when no cell needs quoting
    is_text: bool  # a string column (formula escaping applies)


def csv_cells(batch: pa.RecordBatch, fields: Sequence[FieldSpec],
              source_text: Mapping[str, pa.Array] | None = None) -> list[CsvCell]:
    """The batch's columns as CSV text, computed once for both CSV variants.

    ``source_text`` (field name to the validated text cells of the same rows) lets a number
    field keep its source text where that is a plain decimal such as ``1811.30``: Table Schema
    numbers are decimals, so this is exact where a float's shortest form would round long values,
    and it spares formatting a million floats. Other forms are written from the parsed value.
    """
    out = []
    for i, spec in enumerate(fields):
        col = _column(batch, spec.name, i)
        source = (source_text or {}).get(spec.name)
        if source is not None and spec.type == "number" and spec.mask is None and len(source) == len(col):
            text = _number_text(col, source)
        elif spec.type == "year" and spec.mask is None:  # a year has four digits: 0999, not 999
            text = pc.fill_null(pc.utf8_lpad(canonical_text(col), width=4, padding="0"), "")
        else:
            text = pc.fill_null(canonical_text(col), "")
        needs = None
        # one memchr over the column's bytes settles most columns without a per-cell test
        if not any(check(col.type) for check in _PLAIN_TYPES) and _contains_any(text, _QUOTE_BYTES):
            needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTE), False)
            if not pc.any(needs).as_py():
                needs = None
        is_text = pa.types.is_string(col.type) or pa.types.is_large_string(col.type)
        out.append(CsvCell(text, needs, is_text))
    return out


def _number_text(values: pa.Array, source: pa.Array) -> pa.Array:
    """Source text where it is a plain decimal, else the parsed value's text; "" for null."""
    plain = pc.fill_null(pc.match_substring_regex(source, _PLAIN_DECIMAL), False)
    valid = pc.is_valid(values)
    use_source = pc.and_(plain, valid)
    if pc.all(pc.or_(use_source, pc.invert(valid))).as_py():
        return pc.if_else(valid, source.cast(pa.string()), "")
    return pc.if_else(use_source, source.cast(pa.string()), pc.fill_null(canonical_text(values), ""))


def _quote(text: pa.Array, needs: pa.Array | None = None) -> pa.Array:
    if needs is None:
        needs = pc.fill_null(pc.match_substring_regex(text, _NEEDS_QUOTE), False)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, text)


def _offsets(arr: pa.Array) -> np.ndarray:
    dtype = np.int64 if pa.types.is_large_string(arr.type) else np.int32
    return np.frombuffer(arr.buffers()[1], dtype=dtype, count=len(arr) + 1,
                         offset=arr.offset * np.dtype(dtype).itemsize)


def _string_buffer(arr: pa.Array) -> memoryview:
    """The concatenated bytes of a string array, straight from its data buffer."""
    data = arr.buffers()[2] if len(arr) else None
    if data is None:
        return memoryview(b"")
    offs = _offsets(arr)
    return memoryview(data)[int(offs[0]):int(offs[-1])]


def _contains_any(arr: pa.Array, needles: Sequence[bytes]) -> bool:
    """True when any cell of a string array contains one of the single-byte ``needles``."""
    data = _string_buffer(arr).tobytes()
    return any(n in data for n in needles)


def _formula_mask(text: pa.Array) -> pa.Array | None:
    """Cells starting with a character spreadsheets read as a formula, or None if there are none."""
    data = text.buffers()[2] if len(text) else None
    if data is None:
        return None
    offs = _offsets(text)
    starts = offs[:-1]
    nonempty = offs[1:] > starts
    first = np.zeros(len(text), dtype=np.uint8)
    first[nonempty] = np.frombuffer(data, dtype=np.uint8)[starts[nonempty]]
    mask = np.isin(first, _FORMULA_BYTES) & nonempty
    return pa.array(mask) if mask.any() else None


def formula_masks(cells: Sequence[CsvCell]) -> list[pa.Array | None]:
    """Per column, which text cells a spreadsheet would run as a formula (None: no such cell)."""
    return [_formula_mask(c.text) if c.is_text else None for c in cells]


def formula_in_header(fields: Sequence[FieldSpec]) -> bool:
    """Whether a field name would run as a formula in a spreadsheet's header row."""
    return _formula_mask(pa.array([f.name for f in fields], pa.string())) is not None


class CsvArtifactWriter:
    """Writes record batches as canonical CSV (or the Excel-friendly variant) to ``path``."""

    def __init__(self, path: str | Path, fields: Sequence[FieldSpec], *, excel: bool = False,
                 mirror_prefix: bytes | None = None):
        self.fields = list(fields)
        self.excel = excel
        self.kind = "csv-excel" if excel else "csv"
        self._eol = "\n"
        self._out = AtomicOutput(path, mirror_prefix=mirror_prefix)
        self.rows = 0
        if excel:
            self._out.write("\ufeff".encode())
        names = pa.array([f.name for f in self.fields], pa.string())
        if excel:  # a field name is a cell too: '=cmd|...' in the header row runs as well as in a data row
            mask = _formula_mask(names)
            if mask is not None:
                names = pc.if_else(mask, pc.binary_join_element_wise("'", names, ""), names)
        header = _quote(names).to_pylist()
        self._out.write((",".join(header) + self._eol).encode("utf-8"))
        self.header_bytes = self._out.bytes

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append the rows of a typed batch (columns by field name, else by position)."""
        self.write_cells(csv_cells(batch, self.fields), batch.num_rows)

    def write_cells(self, cells: Sequence[CsvCell], num_rows: int, *,
                    canonical: memoryview | None = None) -> memoryview:
        """Append rows already turned into text by :func:`csv_cells`; returns the bytes written.

        The Excel variant may pass the canonical writer's bytes for the same cells: when no cell
        is formula-like, the Excel lines are those very bytes.
        """
        risky = self.formula_masks(cells)
        if canonical is not None and self.excel and all(r is None for r in risky):
            self._out.write(canonical)
            self.rows += num_rows
            return canonical
        columns = []
        for cell, mask in zip(cells, risky, strict=True):
            text = cell.text
            if mask is not None:
                text = pc.if_else(mask, pc.binary_join_element_wise("'", text, ""), text)
            columns.append(text if cell.needs_quote is None else _quote(text, cell.needs_quote))
        self.rows += num_rows
        return self._write_lines(columns)

    def formula_masks(self, cells: Sequence[CsvCell]) -> list[pa.Array | None]:
        """Per cell column, which cells a spreadsheet would run as a formula (Excel variant only)."""
        return formula_masks(cells) if self.excel else [None] * len(cells)

    def _write_lines(self, cells: list[pa.Array]) -> memoryview:
        # the line end joins the last column only, so the full lines are built in one pass
        last = pc.binary_join_element_wise(cells[-1], self._eol, "")
        lines = pc.binary_join_element_wise(*cells[:-1], last, ",") if len(cells) > 1 else last
        data = _string_buffer(lines)
        self._out.write(data)
        return data

    def close(self) -> Artifact:
        nbytes, digest = self._out.commit()
        return Artifact(self.kind, str(self._out.path), nbytes, digest, "text/csv")

    def abort(self) -> None:
        self._out.abort()


def parquet_type(spec: FieldSpec, incoming: pa.DataType) -> pa.DataType:
    """The Parquet column type for a published field, given the validator's Arrow type."""
    if spec.mask is not None:
        return pa.string()
    t = spec.type
    if t in ("integer", "year"):
        return pa.int64()
    if t == "number":
        return incoming if pa.types.is_decimal(incoming) else pa.float64()
    if t == "boolean":
        return pa.bool_()
    if t == "date":
        return pa.date32()
    if t == "time":
        return pa.time64("us")
    if t == "datetime":
        return pa.timestamp("us", tz=incoming.tz if pa.types.is_timestamp(incoming) else None)
    if t == "geopoint" and pa.types.is_struct(incoming):
        return pa.struct([("lon", pa.float64()), ("lat", pa.float64())])
    return pa.string()


class ParquetArtifactWriter:
    """Writes record batches to a zstd Parquet file typed from the Table Schema."""

    def __init__(self, path: str | Path, fields: Sequence[FieldSpec], *,
                 table_schema: dict[str, Any] | None = None, row_group_rows: int = 256 * 1024):
        self.fields = list(fields)
        self.kind = "parquet"
        self._out = AtomicOutput(path)
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa.Schema | None = None
        self._metadata = {b"table_schema": json.dumps(table_schema, ensure_ascii=False).encode()} \
            if table_schema is not None else None
        self._row_group_rows = row_group_rows
        self._pending: list[pa.RecordBatch] = []
        self._pending_rows = 0
        self.rows = 0

    def _open(self, batch: pa.RecordBatch | None) -> None:
        types = []
        for i, spec in enumerate(self.fields):
            incoming = _column(batch, spec.name, i).type if batch is not None else pa.string()
            types.append(pa.field(spec.name, parquet_type(spec, incoming)))
        self._schema = pa.schema(types, metadata=self._metadata)
        # dictionary pages only where values repeat (text, dates): for high-cardinality numbers
        # the attempt costs time and the fallback gains nothing
        dictionary = [f.name for f in self._schema
                      if pa.types.is_string(f.type) or pa.types.is_date(f.type) or pa.types.is_boolean(f.type)]
        self._writer = pq.ParquetWriter(self._out, self._schema, compression="zstd",
                                        use_dictionary=dictionary or False)

    def write_batch(self, batch: pa.RecordBatch) -> None:
        """Append a typed batch (cast to the Parquet schema)."""
        if self._writer is None:
            self._open(batch)
        arrays = []
        for i, (spec, target) in enumerate(zip(self.fields, self._schema, strict=True)):
            col = _column(batch, spec.name, i)
            if col.type != target.type:
                col = canonical_text(col) if pa.types.is_string(target.type) else col.cast(target.type)
            arrays.append(col)
        self._pending.append(pa.RecordBatch.from_arrays(arrays, schema=self._schema))
        self._pending_rows += batch.num_rows
        self.rows += batch.num_rows
        if self._pending_rows >= self._row_group_rows:
            self._flush()

    def _flush(self) -> None:
        if self._pending:
            self._writer.write_table(pa.Table.from_batches(self._pending, self._schema),
                                     row_group_size=self._row_group_rows)
        self._pending, self._pending_rows = [], 0

    def close(self) -> Artifact:
        if self._writer is None:
            self._open(None)
        self._flush()
        self._writer.close()
        nbytes, digest = self._out.commit()
        return Artifact(self.kind, str(self._out.path), nbytes, digest, "application/vnd.apache.parquet")

    def abort(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(OSError, pa.ArrowException):
                self._writer.close()
        self._out.abort()
