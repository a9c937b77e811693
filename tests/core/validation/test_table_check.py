"""`validate_table` (what `opendata validate` runs) gives the verdict an ingest gives."""

from __future__ import annotations

import random

import pytest

from opendata.core.pipeline import run_pipeline
from opendata.core.tableschema import load_table_schema
from opendata.core.validation import validate_table

SCHEMA = {"fields": [
    {"name": "id", "type": "integer"},
    {"name": "amount", "type": "number", "x-normalize": True},
    {"name": "day", "type": "date", "x-normalize": ["chinese-date", "excel-date"]},
    {"name": "big", "type": "integer"},
    {"name": "at", "type": "datetime"},
], "primaryKey": ["id"]}

CELLS = {
    "amount": ["¥1,234.50", "１２３", "12.5", "1,234", "1e309", "-1e-400", "abc", "  7 "],
    "day": ["2023年6月18日", "45095", "2020-01-31", "0000-01-01", "10000-01-01", "2020-02-30"],
    "big": ["1", "-9223372036854775808", "9223372036854775808", "123456789012345678901234567890"],
    "at": ["2020-01-01T10:00:00", "0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-05:00", "2020-01-01T10:00Z"],
}


def _write(path, rng: random.Random, rows: int) -> None:
    lines = ["id,amount,day,big,at"]
    for i in range(1, rows + 1):
        key = i if rng.random() > 0.05 else max(1, i - 1)  # a few repeated keys
        cells = [rng.choice(CELLS[name]) for name in ("amount", "day", "big", "at")]
        lines.append(",".join([str(key)] + [f'"{c}"' for c in cells]))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _errors(report: dict) -> set[tuple]:
    return {(e["type"], e.get("rowNumber"), e.get("fieldName")) for e in report["tasks"][0]["errors"]}


@pytest.mark.parametrize("seed", range(5))
def test_validate_and_ingest_report_the_same_errors_and_normalization(tmp_path, seed):
    src = tmp_path / "t.csv"
    _write(src, random.Random(42 + seed), 60)
    schema = load_table_schema(SCHEMA)
    checked = validate_table(src, schema).to_descriptor()
    ingested = run_pipeline(src, schema, tmp_path / "out").report
    assert _errors(checked) == _errors(ingested)
    assert checked["tasks"][0]["normalization"] == ingested["tasks"][0]["normalization"]
    assert checked["valid"] == ingested["valid"]


def test_values_the_outputs_cannot_hold_are_storage_errors_naming_the_cell(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text('id,amount,day,big,at\n1,1e309,2020-01-01,1,2020-01-01T00:00:00\n'
                   '2,-1e-400,0000-01-01,9223372036854775808,0001-01-01T00:00:00+01:00\n', encoding="utf-8")
    report = validate_table(src, load_table_schema(SCHEMA)).to_descriptor()
    found = {(e["type"], e["rowNumber"], e["fieldName"]): e["message"] for e in report["tasks"][0]["errors"]}
    assert set(found) == {("storage-error", 2, "amount"), ("storage-error", 3, "amount"),
                          ("type-error", 3, "day"),  # frictionless: year 0 is not a date
                          ("storage-error", 3, "big"), ("storage-error", 3, "at")}
    assert "1.8e308" in found[("storage-error", 2, "amount")] and '"1e309"' in found[("storage-error", 2, "amount")]
    assert "64-bit integer" in found[("storage-error", 3, "big")]
    assert "UTC" in found[("storage-error", 3, "at")]
