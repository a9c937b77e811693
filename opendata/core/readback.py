"""Read a version's files back as their consumers will (pyarrow, pandas, frictionless) before it is published.

Validation already refuses what the typed outputs cannot hold; this is the check on the files
themselves, so that no published version can make a reader fail for everyone (a date of year 0
makes pyarrow's ``to_pylist()`` raise OverflowError and pandas ValueError).

- pyarrow: every batch of the Parquet file is validated in full (``validate(full=True)`` checks
  offsets and the UTF-8 of every string) and converted with ``to_pylist()`` in full for every
  column whose conversion depends on its values (dates, times, timestamps, durations, decimals,
  nested types). For strings, integers, floats and booleans conversion cannot fail on a valid
  array, so those columns are converted in the first batch only, which keeps a million-row check
  near a second. A date, or a time, timestamp or duration of at most microsecond unit, converts or
  not by its range alone: after the first batch such a column is converted in full only when its
  smallest or largest value fails (to name the first row that does).
- pandas: every batch through ``to_pandas()``, as ``pandas.read_parquet`` converts it.
- frictionless: the canonical CSV with the Table Schema of the version's datapackage.json, as a
  Data Package consumer reads it. frictionless-py itself reads the descriptor and the first
  ``frictionless_rows`` rows (0 = all); every row is also read by our validator, which gives
  frictionless' verdict per cell (``opendata.core.validation``, proven by the differential tests)
  at a fraction of its cost.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from opendata.core.errors import InputError, OpendataError, Problem
from opendata.core.tableschema import load_table_schema

BATCH_ROWS = 64 * 1024
MAX_PROBLEMS = 20


@dataclass(frozen=True)
class PublishedFiles:
    """The files of one version as a consumer receives them."""

    parquet: Path
    csv: Path
    datapackage: Path
    row_count: int | None = None


def check_readback(files: PublishedFiles, *, frictionless_rows: int = 10_000) -> list[Problem]:
    """Every problem a reader of these files would meet (empty when pyarrow, pandas and frictionless read them)."""
    # the Parquet file is read on a thread while this one reads the CSV: pyarrow lets go of the GIL,
    # so the two checks share the two cores; the verdict is that of the one after the other
    with ThreadPoolExecutor(1, thread_name_prefix="readback-parquet") as pool:
        parquet = pool.submit(_check_parquet, files)
        csv_problems = _check_csv(files, frictionless_rows)
        problems = parquet.result()
    if len(problems) < MAX_PROBLEMS:
        problems += csv_problems
    return problems[:MAX_PROBLEMS]


def _value_dependent(t: pa.DataType) -> bool:
    """Types whose conversion to Python can fail on some values of a valid array."""
    return (pa.types.is_temporal(t) or pa.types.is_decimal(t) or pa.types.is_nested(t)
            or pa.types.is_dictionary(t))


def _problem(reader: str, message: str, field: str | None = None) -> Problem:
    return Problem("readback-error", f"{reader}: {message}", path=field)


def _check_parquet(files: PublishedFiles) -> list[Problem]:
    problems: list[Problem] = []
    try:
        # without pre-buffering: the reader then keeps no column chunk it has read (with it, the
        # compressed bytes of every row group read so far stayed in memory to the end: about the
        # file's size, 240 MB for 10M rows)
        parquet = pq.ParquetFile(files.parquet, pre_buffer=False)
    except (OSError, pa.ArrowException) as exc:
        return [_problem("pyarrow", f"the Parquet file cannot be opened ({exc})")]
    rows = parquet.metadata.num_rows
    if files.row_count is not None and rows != files.row_count:
        problems.append(_problem("pyarrow", f"the Parquet file holds {rows} rows; the version has {files.row_count}"))
    first = True
    offset = 0
    try:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            try:
                batch.validate(full=True)
            except pa.ArrowException as exc:
                problems.append(_problem("pyarrow", f"rows {offset + 2}-{offset + batch.num_rows + 1}: {exc}"))
            for name, column in zip(batch.schema.names, batch.columns, strict=True):
                if first or (_value_dependent(column.type) and not _ends_convert(column)):
                    _convert(column, name, offset, problems)
            try:
                batch.to_pandas()
            except (ValueError, OverflowError, TypeError, pa.ArrowException) as exc:
                problems.append(_problem("pandas", f"rows {offset + 2}-{offset + batch.num_rows + 1}: {exc}"))
            if len(problems) >= MAX_PROBLEMS:
                break
            first = False
            offset += batch.num_rows
    except (OSError, pa.ArrowException) as exc:
        problems.append(_problem("pyarrow", f"the Parquet file cannot be read after row {offset + 1} ({exc})"))
    return problems


def _ends_convert(column: pa.Array) -> bool:
    """True when the column is a date, or a time, timestamp or duration of at most microsecond unit,
    whose smallest and largest values convert: whether one of these converts depends only on its
    range, so every value between does too (a million dates are checked in two conversions, not a
    million). Any other column (nanoseconds fail by value, not by range): False."""
    t = column.type
    if not (pa.types.is_date(t) or (pa.types.is_temporal(t) and getattr(t, "unit", "ns") != "ns")):
        return False
    ends = pc.min_max(column)
    try:
        ends["min"].as_py()
        ends["max"].as_py()
    except (ValueError, OverflowError, TypeError, pa.ArrowException):
        return False  # the full conversion names the first row that fails
    return True


def _convert(column: pa.Array, name: str, offset: int, problems: list[Problem]) -> None:
    try:
        column.to_pylist()
    except (ValueError, OverflowError, TypeError, UnicodeDecodeError, pa.ArrowException) as exc:
        for i in range(len(column)):  # name the first row that fails (CSV row numbers: header is row 1)
            try:
                column[i].as_py()
            except (ValueError, OverflowError, TypeError, UnicodeDecodeError, pa.ArrowException):
                problems.append(_problem("pyarrow", f'to_pylist() fails in row {offset + i + 2} of field "{name}": '
                                         f"{exc}", name))
                return
        problems.append(_problem("pyarrow", f'to_pylist() fails for field "{name}": {exc}', name))


def _check_csv(files: PublishedFiles, frictionless_rows: int) -> list[Problem]:
    try:
        descriptor = json.loads(files.datapackage.read_text(encoding="utf-8"))
        schema_descriptor = next(r["schema"] for r in descriptor["resources"] if r.get("name") == "data")
    except (OSError, ValueError, KeyError, StopIteration, TypeError) as exc:
        return [_problem("frictionless", f"datapackage.json has no readable Table Schema for the data ({exc!r})")]
    problems = _frictionless_rows(files.csv, descriptor, schema_descriptor, frictionless_rows)
    if problems:
        return problems
    return _validator_rows(files.csv, schema_descriptor)


def _frictionless_rows(csv: Path, package: dict[str, Any], schema: dict[str, Any], limit: int) -> list[Problem]:
    from frictionless import Dialect, FrictionlessException, Package, Resource, Schema
    from frictionless.formats import CsvControl

    problems: list[Problem] = []
    try:
        Package.from_descriptor({**package, "resources": [
            {**r, "path": csv.name} for r in package["resources"] if r.get("name") == "data"]},
            basepath=str(csv.parent))
        dialect = Dialect(header_rows=[1], controls=[CsvControl(delimiter=",", quote_char='"', double_quote=True)])
        resource = Resource(path=csv.name, basepath=str(csv.parent), format="csv", encoding="utf-8",
                            dialect=dialect, schema=Schema.from_descriptor(schema))
        with resource:
            for err in resource.header.errors:
                problems.append(_problem("frictionless", err.message))
            for row in resource.row_stream:
                for err in row.errors:
                    problems.append(_problem("frictionless", err.message, getattr(err, "field_name", None)))
                if len(problems) >= MAX_PROBLEMS or (limit and row.row_number - 1 >= limit):
                    break
    except FrictionlessException as exc:
        problems.append(_problem("frictionless", str(exc.error.message if exc.error else exc)))
    return problems


def _validator_rows(csv: Path, schema: dict[str, Any]) -> list[Problem]:
    from opendata.core.validation import validate_table

    try:
        report = validate_table(csv, load_table_schema(schema, name="datapackage.json"), format="csv")
    except (InputError, OpendataError) as exc:
        return [_problem("frictionless", f"the CSV cannot be read ({exc.message})")]
    errors = report.to_descriptor()["tasks"][0]["errors"]
    return [_problem("frictionless", e["message"], e.get("fieldName")) for e in errors[:MAX_PROBLEMS]]
