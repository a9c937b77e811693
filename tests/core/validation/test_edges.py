"""At the edges of every Table Schema type: our validation agrees with frictionless, and what it
accepts is published in files that pyarrow, pandas and frictionless read back with the same values.

The cells come from ``edges.py`` (limits of each type, values just past them, random values near
them). Our only extra verdict is ``storage-error``, for values frictionless accepts that the typed
outputs cannot hold (see test_differential.comparable).
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from frictionless import Dialect, Package, Resource, Schema
from frictionless.formats import CsvControl

from opendata.core.excel_csv import BOM
from opendata.core.pipeline import run_pipeline
from opendata.core.readback import PublishedFiles, check_readback
from opendata.core.tableschema import load_table_schema
from opendata.core.validation import validate_reader, validate_table
from opendata.core.validation.types import PIECE
from tests.core.validation.csv_batches import CsvModuleReader
from tests.core.validation.edges import EdgeCase, make_edge_cases
from tests.core.validation.test_differential import comparable

CASES = make_edge_cases()
KEYS = ["type", "rowNumber", "fieldNumber"]


def _descriptor(case: EdgeCase) -> dict:
    return {"fields": [{"name": "id", "type": "integer"}, {"name": "v", **case.descriptor}]}


def _write(path: Path, cells: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["id", "v"])
        writer.writerows([i, cell] for i, cell in enumerate(cells, start=1))
    return path


def _frictionless(path: Path, descriptor: dict) -> tuple[set[tuple], dict[int, object]]:
    """frictionless' errors, and its value of ``v`` per id in rows without errors."""
    control = CsvControl(delimiter=",", quote_char='"', double_quote=True, skip_initial_space=False)
    resource = Resource(path=path.name, basepath=str(path.parent), schema=Schema.from_descriptor(descriptor),
                        dialect=Dialect(header_rows=[1], controls=[control]))
    errors, values = set(), {}
    with resource:
        for row in resource.row_stream:
            for err in row.errors:
                errors.add(tuple(err.to_descriptor().get(k) for k in KEYS))
            if row.valid:
                values[row["id"]] = row["v"]
    return errors, values


# frictionless raises decimal.InvalidOperation (no report) comparing sNaN with a numeric bound
FRICTIONLESS_RAISES = {"number-bounds": {"sNaN"}}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_edge_values_get_the_same_verdict_as_frictionless(tmp_path, case):
    case = EdgeCase(case.name, case.descriptor,
                    [c for c in case.cells if c not in FRICTIONLESS_RAISES.get(case.name, ())])
    path = _write(tmp_path / f"{case.name}.csv", case.cells)
    descriptor = _descriptor(case)
    theirs, _ = _frictionless(path, descriptor)
    report = validate_reader(CsvModuleReader(path, batch_rows=3), load_table_schema(descriptor), name=case.name,
                             place=str(path))
    ours = {tuple(e) for e in report.flatten(KEYS)}
    assert comparable(ours, theirs) == theirs, (
        f"missing: {sorted(theirs - ours, key=str)}\nextra: {sorted(comparable(ours, theirs) - theirs, key=str)}")
    production = {tuple(e) for e in validate_table(path, load_table_schema(descriptor), format="csv").flatten(KEYS)}
    assert production == ours


def _same(ftype: str, source, published) -> bool:
    """Whether the value read from the published file is the source's value (as typed outputs keep it)."""
    if ftype == "number":
        if source.is_nan():
            return published.is_nan()
        return float(source) == float(published)
    if ftype == "geopoint":
        return [float(x) for x in source] == [float(x) for x in published]
    if ftype == "datetime" and source.tzinfo is not None:  # published in UTC (the offset is not kept)
        return source.astimezone(dt.UTC).replace(tzinfo=None) == published
    if ftype == "time" and source.tzinfo is not None:  # aware times are published in UTC, without the offset
        moment = dt.datetime.combine(dt.date(2000, 1, 1), source) - source.utcoffset()
        return moment.time() == published
    if isinstance(source, Decimal | float) or isinstance(published, Decimal | float):
        return Decimal(str(source)) == Decimal(str(published))
    return source == published


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_accepted_edge_values_read_back_with_pyarrow_pandas_and_frictionless(tmp_path, case):
    descriptor = _descriptor(case)
    source = _write(tmp_path / f"{case.name}.csv", case.cells)
    report = validate_table(source, load_table_schema(descriptor), format="csv").to_descriptor()
    refused = {e.get("rowNumber") for e in report["tasks"][0]["errors"]}
    kept = [cell for row, cell in enumerate(case.cells, start=2) if row not in refused]
    assert kept, "the case has no value we accept"
    accepted = _write(tmp_path / "accepted.csv", kept)
    _, source_values = _frictionless(accepted, descriptor)
    out = tmp_path / "out"
    result = run_pipeline(accepted, load_table_schema(descriptor), out, salt=b"k")
    assert result.valid, result.report["tasks"][0]["errors"]

    table = pq.read_table(out / "data.parquet")
    rows = table.to_pylist()  # raises on any value Python cannot hold
    assert len(rows) == len(kept)
    frame = pd.read_parquet(out / "data.parquet")
    assert len(frame) == len(kept)
    excel = out / "data-excel.csv"
    if not excel.exists():  # no cell needed escaping: the Excel CSV is served as the BOM + the canonical bytes
        excel.write_bytes(BOM + (out / "data.csv").read_bytes())
    package = Package(str(out / "datapackage.json"))
    assert package.validate().valid, package.validate().flatten(["type", "rowNumber", "note"])
    published, published_values = _frictionless(out / "data.csv", package.get_resource("data").schema.to_descriptor())
    assert published == set()
    assert check_readback(PublishedFiles(out / "data.parquet", out / "data.csv", out / "datapackage.json",
                                         len(kept)), frictionless_rows=0) == []

    ftype = case.descriptor["type"]
    for key, value in source_values.items():
        if value is None or ftype == "any":
            continue
        assert _same(ftype, value, published_values[key]), (key, value, published_values[key])


def test_a_value_frictionless_cannot_compare_with_a_bound_is_refused_with_a_note(tmp_path):
    path = _write(tmp_path / "snan.csv", ["sNaN", "1"])
    descriptor = {"fields": [{"name": "id", "type": "integer"},
                             {"name": "v", "type": "number", "constraints": {"minimum": 0}}]}
    errors = validate_table(path, load_table_schema(descriptor)).to_descriptor()["tasks"][0]["errors"]
    assert [(e["type"], e["rowNumber"], e["fieldName"]) for e in errors] == [("constraint-error", 2, "v")]
    assert "cannot be compared" in errors[0]["message"]


SLICED = {"integer": "7", "integer-bounds": "-12", "number": "2.5", "number-bounds": "3", "date": "2024-02-29",
          "date-bounds": "1999-12-31"}


@pytest.mark.parametrize("name", sorted(SLICED))
def test_edge_values_among_many_valid_cells_get_the_same_verdict_as_frictionless(tmp_path, name):
    """In a batch of many slices (types.PIECE cells), a few bad cells send only their slices down the
    checked path: the verdicts are still frictionless' for every cell, bad or good, wherever it sits."""
    case = next(c for c in CASES if c.name == name)
    cells = [c for c in case.cells if c not in FRICTIONLESS_RAISES.get(case.name, ())]
    spread = [SLICED[name]] * (3 * PIECE + 100)
    for i, cell in enumerate(cells):  # one edge cell every few hundred rows, across every slice
        spread[(i * 277 + 13) % len(spread)] = cell
    path = _write(tmp_path / f"{name}.csv", spread)
    descriptor = _descriptor(case)
    theirs, _ = _frictionless(path, descriptor)
    report = validate_reader(CsvModuleReader(path, batch_rows=len(spread)), load_table_schema(descriptor),
                             name=name, place=str(path))
    ours = {tuple(e) for e in report.flatten(KEYS)}
    assert theirs, "the case has no refused value"
    assert comparable(ours, theirs) == theirs, (
        f"missing: {sorted(theirs - ours, key=str)}\nextra: {sorted(comparable(ours, theirs) - theirs, key=str)}")
