"""Every output format parses back to the same rows; big integers and 18-digit IDs stay exact."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

from opendata.core.errors import ValidationError

ARGS = {"sort": "-amount", "limit": "60", "cat__ne": "甲类"}


def reference(engine) -> tuple[tuple[str, ...], list[dict]]:
    result = engine.query("small", {**ARGS, "format": "json"})
    body = json.loads(result.body)
    return result.columns, body["rows"]


def test_json_body_has_the_envelope_and_json_ready_rows(engine, small_frame):
    result = engine.query("small", {**ARGS, "format": "json"})
    assert result.media_type == "application/json"
    body = json.loads(result.body)
    assert body["version"] == "small" and body["limit"] == 60 and body["offset"] == 0
    assert body["total"] == result.total and body["total_exact"] is True
    assert body["next"] == result.next_cursor
    assert [f["name"] for f in body["fields"]] == list(result.columns)
    assert {f["name"]: f["type"] for f in body["fields"]}["d"] == "date"
    first = body["rows"][0]
    source = small_frame.set_index("id").loc[first["id"]]
    assert first["d"] == source.d.isoformat() and first["ts"] == source.ts.isoformat()
    assert first["amount"] == source.amount and first["flag"] is bool(source.flag)


def test_large_integers_and_18_digit_ids_are_exact_in_json(engine, small_frame):
    body = json.loads(engine.query("small", {"limit": "10000"}).body)
    by_id = small_frame.set_index("id")
    for row in body["rows"]:
        assert isinstance(row["code"], str) and row["code"] == by_id.code[row["id"]]
        assert isinstance(row["big"], int) and row["big"] == int(by_id.big[row["id"]])
    assert any(r["big"] > 2**53 for r in body["rows"])
    odd = next(int(b) for b in small_frame.big if b < 2**60 and b % 2 == 0)  # 2**53 + an odd step
    text = engine.query("small", {"big": str(odd), "fields": "big"}).body.decode()
    assert f'"big":{odd}' in text and odd > 2**53  # written digit for digit, not as a rounded float


def test_csv_parses_back_to_the_json_rows(engine):
    columns, rows = reference(engine)
    result = engine.query("small", {**ARGS, "format": "csv"})
    assert result.media_type.startswith("text/csv")
    parsed = list(csv.reader(io.StringIO(result.body.decode("utf-8"))))
    assert tuple(parsed[0]) == columns
    for line, row in zip(parsed[1:], rows, strict=True):
        for column, cell in zip(columns, line, strict=True):
            value = row[column]
            expected = "" if value is None else ("true" if value is True else "false" if value is False else str(value))
            if isinstance(value, float):
                assert float(cell) == value
            else:
                assert cell == expected


def test_ndjson_parses_back_to_the_json_rows(engine):
    _, rows = reference(engine)
    result = engine.query("small", {**ARGS, "format": "ndjson"})
    assert result.media_type == "application/x-ndjson"
    assert [json.loads(line) for line in result.body.decode().splitlines()] == rows


def test_parquet_parses_back_with_types_kept(engine, small_frame):
    _, rows = reference(engine)
    result = engine.query("small", {**ARGS, "format": "parquet"})
    assert result.media_type == "application/vnd.apache.parquet"
    table = pq.read_table(io.BytesIO(result.body))
    assert table.column_names == [c for c in small_frame.columns]
    assert str(table.schema.field("d").type) == "date32[day]" and str(table.schema.field("big").type) == "int64"
    assert table.column("id").to_pylist() == [r["id"] for r in rows]
    assert table.column("big").to_pylist() == [r["big"] for r in rows]
    assert result.next_cursor is not None and result.total is not None
    follow = engine.query("small", {**ARGS, "format": "json", "next": result.next_cursor})
    assert follow.rows and follow.rows[0][0] not in table.column("id").to_pylist()


def test_fields_projects_in_the_requested_order(engine):
    result = engine.query("small", {"fields": "amount,id", "format": "ndjson", "limit": "3"})
    assert [list(json.loads(line)) for line in result.body.decode().splitlines()] == [["amount", "id"]] * 3


def test_unknown_format_is_rejected(engine):
    with pytest.raises(ValidationError) as info:
        engine.query("small", {"format": "xml"})
    assert info.value.problems[0].path == "format"


def test_aggregates_in_every_format(engine):
    args = {"group_by": "cat", "agg": "count,min:d,sum:amount"}
    reference = json.loads(engine.query("small", args).body)["rows"]
    table = pq.read_table(io.BytesIO(engine.query("small", {**args, "format": "parquet"}).body))
    assert str(table.schema.field("min_d").type) == "date32[day]"
    assert table.column("count").to_pylist() == [r["count"] for r in reference]
    lines = engine.query("small", {**args, "format": "ndjson"}).body.decode().splitlines()
    assert [json.loads(line) for line in lines] == reference
    parsed = list(csv.DictReader(io.StringIO(engine.query("small", {**args, "format": "csv"}).body.decode())))
    assert [int(r["count"]) for r in parsed] == [r["count"] for r in reference]
