"""The validator's own contract: typed batches, warnings, key spills, report shape and limits."""

from __future__ import annotations

import datetime as dt
import json
import random

import pyarrow as pa
import pytest
from frictionless import Dialect, Resource, Schema
from frictionless.formats import CsvControl

from opendata.core.report import LIMIT_ERRORS
from opendata.core.tableschema import load_table_schema
from opendata.core.validation import ValidationLimits, Validator, validate_reader, validate_table
from tests.core.ingest_helpers import make_batch
from tests.core.validation.csv_batches import CsvModuleReader


def test_typed_batch_has_one_arrow_column_per_field_with_invalid_cells_null():
    schema = load_table_schema({"fields": [
        {"name": "i", "type": "integer"}, {"name": "n", "type": "number"},
        {"name": "b", "type": "boolean"}, {"name": "d", "type": "date"},
        {"name": "t", "type": "time"}, {"name": "dt", "type": "datetime"},
        {"name": "y", "type": "year"}, {"name": "ym", "type": "yearmonth"},
        {"name": "g", "type": "geopoint"}, {"name": "s", "type": "string"}]})
    v = Validator(schema, schema.field_names)
    typed = v.process(make_batch([
        ["7", "x"], ["1.5", "NaN"], ["true", "maybe"], ["2020-02-29", "2021-02-29"],
        ["10:20:30", "10:20:30+01:00"], ["2020-01-01T10:00:00Z", "2020-01-01T18:00:00+08:00"],
        ["2020", "20"], ["2020-5", "2020-13"], ["120.5, 30.2", "200, 1"], ["a", ""]]))
    data = typed.data.to_pydict()
    assert typed.data.schema.types == [pa.int64(), pa.float64(), pa.bool_(), pa.date32(), pa.time64("us"),
                                       pa.timestamp("us"), pa.int32(), pa.string(),
                                       pa.struct([("lon", pa.float64()), ("lat", pa.float64())]), pa.string()]
    assert data["i"] == [7, None]
    assert data["n"][0] == 1.5 and data["n"][1] != data["n"][1]  # NaN is a valid number
    assert data["b"] == [True, None]
    assert data["d"] == [dt.date(2020, 2, 29), None]
    assert data["t"] == [dt.time(10, 20, 30), dt.time(9, 20, 30)]  # aware times kept in UTC
    assert data["dt"] == [dt.datetime(2020, 1, 1, 10), dt.datetime(2020, 1, 1, 10)]
    assert data["y"] == [2020, None]
    assert data["ym"] == ["2020-05", None]
    assert data["g"] == [{"lon": 120.5, "lat": 30.2}, None]
    assert data["s"] == ["a", None]
    assert sorted((e.type, e.field_name) for e in typed.error_list()) == [
        ("type-error", "b"), ("type-error", "d"), ("type-error", "g"), ("type-error", "i"),
        ("type-error", "y"), ("type-error", "ym")]


def test_thirty_digit_integer_is_a_storage_error_per_cell_and_still_a_key():
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer", "constraints": {"unique": True}}],
                                "primaryKey": ["id"]})
    v = Validator(schema, ["id"])
    big = "123456789012345678901234567890"
    typed = v.process(make_batch([[big, big, "5"]]))
    assert [(e.type, e.row_number, e.cell) for e in typed.error_list()] == [
        ("storage-error", 2, big), ("storage-error", 3, big)]
    assert typed.data.column(0).to_pylist() == [None, None, 5]
    # the wide value still takes part in keys: the second one repeats the first
    assert [(e.type, e.row_number, e.note) for e in v.finish()] == [
        ("unique-error", 3, "the same as in the row at position 2"),
        ("primary-key", 3, "the same as in the row at position 2")]


@pytest.mark.parametrize("flush_rows", [1, 5, 2_000_000])
def test_duplicate_keys_found_across_batches_whether_spilled_to_duckdb_or_not(flush_rows):
    rng = random.Random(42)
    ids = [str(rng.randint(1, 40)) for _ in range(200)]
    names = [rng.choice(["a", "b", ""]) for _ in range(200)]
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer", "constraints": {"unique": True}},
                                           {"name": "name"}], "primaryKey": ["id", "name"]})
    v = Validator(schema, ["id", "name"], limits=ValidationLimits(key_flush_rows=flush_rows))
    for start in range(0, 200, 30):
        v.process(make_batch([ids[start:start + 30], names[start:start + 30]], first_row=start + 2))
    got = [(e.type, e.row_number, e.note) for e in v.finish()]
    want, last_id, last_pk = [], {}, {}
    for i, (k, name) in enumerate(zip(ids, names, strict=True), start=2):
        if k in last_id:
            want.append(("unique-error", i, f"the same as in the row at position {last_id[k]}"))
        pk = (k, name or None)
        if pk in last_pk:
            want.append(("primary-key", i, f"the same as in the row at position {last_pk[pk]}"))
        last_id[k], last_pk[pk] = i, i
    assert sorted(got) == sorted(want)


def test_every_error_is_counted_by_type_and_field_but_only_the_first_thousand_are_kept(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("n,s\n" + "".join(f"x{i},\n" for i in range(2500)), encoding="utf-8")
    schema = load_table_schema({"fields": [{"name": "n", "type": "integer"},
                                           {"name": "s", "constraints": {"required": True}}]})
    report = validate_reader(CsvModuleReader(path, batch_rows=700), schema, name="many", place=str(path))
    task = report.task
    assert report.valid is False
    assert task["stats"]["errors"] == report.descriptor["stats"]["errors"] == 5000
    assert task["errorSummary"] == {"constraint-error": 2500, "type-error": 2500}
    assert task["errorCounts"] == [
        {"type": "type-error", "count": 2500, "fieldNumber": 1, "fieldName": "n"},
        {"type": "constraint-error", "count": 2500, "fieldNumber": 2, "fieldName": "s"}]
    assert task["truncated"] is True
    kept = [(e["rowNumber"], e["fieldNumber"]) for e in task["errors"]]
    assert len(kept) == LIMIT_ERRORS  # the first errors in row order, as frictionless' limit-errors
    assert kept == [(row, f) for row in range(2, 2 + LIMIT_ERRORS // 2) for f in (1, 2)]


def test_report_errors_have_frictionless_keys_messages_and_cells(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("id,name,id\n1,a,3,4\n1,,\n,,\nx,b,2\n5,c\n", encoding="utf-8")
    descriptor = {"fields": [{"name": "id", "type": "integer", "constraints": {"unique": True}},
                             {"name": "name", "constraints": {"required": True}},
                             {"name": "x", "type": "integer"}, {"name": "w"}], "primaryKey": ["id"]}
    ours = validate_reader(CsvModuleReader(path), load_table_schema(descriptor), name="t", place=str(path))
    control = CsvControl(delimiter=",", quote_char='"', double_quote=True, skip_initial_space=False)
    theirs = Resource(path=path.name, basepath=str(tmp_path), schema=Schema.from_descriptor(descriptor),
                      dialect=Dialect(header_rows=[1], controls=[control])).validate().to_descriptor()
    key = lambda e: (e.get("rowNumber") or 0, e["type"], e.get("fieldNumber") or 0)  # noqa: E731
    mine = sorted(ours.task["errors"], key=key)
    want = sorted(theirs["tasks"][0]["errors"], key=key)
    assert [key(e) for e in mine] == [key(e) for e in want]
    for a, b in zip(mine, want, strict=True):
        if a["note"].startswith("the same as"):
            b = {**b, "cells": []}  # found after the file is read: the row's cells are not kept
        assert a == b
    assert set(ours.descriptor) == set(theirs) and set(ours.task) >= set(theirs["tasks"][0]) - {"place"}
    json.dumps(ours.to_descriptor())


def test_validate_table_reads_a_file_with_the_production_reader(tmp_path):
    path = tmp_path / "gov.csv"
    path.write_text("id,code,amount\n1,110101,12.5\n2,11010,-1\n2,440300,3\n", encoding="utf-8")
    schema = load_table_schema({"fields": [
        {"name": "id", "type": "integer"}, {"name": "code", "constraints": {"pattern": "[0-9]{6}"}},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}}], "primaryKey": ["id"]})
    report = validate_table(path, schema)
    assert report.flatten(["type", "rowNumber", "fieldNumber", "note"]) == [
        ["constraint-error", 3, 2, 'constraint "pattern" is "[0-9]{6}"'],
        ["constraint-error", 3, 3, 'constraint "minimum" is "0"'],
        ["primary-key", 4, None, "the same as in the row at position 3"],
    ]
    assert report.task["stats"]["rows"] == 3 and report.task["stats"]["bytes"] == path.stat().st_size


def test_sequential_ids_then_a_late_repeat_is_still_found():
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}], "primaryKey": ["id"]})
    v = Validator(schema, ["id"])
    v.process(make_batch([[str(i) for i in range(1, 101)]]))
    assert v.process(make_batch([[str(i) for i in range(101, 201)]], first_row=102)).error_list() == []
    v.process(make_batch([["150", "7"]], first_row=202))
    assert [(e.row_number, e.note) for e in v.finish()] == [
        (202, "the same as in the row at position 151"), (203, "the same as in the row at position 8")]


def test_numbers_repeat_as_decimals_do():
    schema = load_table_schema({"fields": [{"name": "n", "type": "number", "constraints": {"unique": True}}]})
    v = Validator(schema, ["n"])
    v.process(make_batch([["0", "-0", "0.0", "1.5", "1.50", "NaN", "NaN", "1e309", "Infinity"]]))
    assert [(e.row_number, e.note) for e in v.finish()] == [
        (3, "the same as in the row at position 2"), (4, "the same as in the row at position 3"),
        (6, "the same as in the row at position 5")]
