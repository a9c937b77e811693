"""The report as its uploader reads it: groups by type and column, file positions, hints, CSV."""

from __future__ import annotations

import csv
import io

from opendata.core.report_view import column_letters, report_csv, report_overview
from opendata.core.tableschema import load_table_schema

SCHEMA = load_table_schema({"fields": [
    {"name": "id", "type": "integer", "constraints": {"required": True}},
    {"name": "amount", "type": "number"},
    {"name": "paid", "type": "date", "x-normalize": ["spaces"]},
]}, name="t")


def _error(kind, row, field, name, cell, cells=None):
    return {"type": kind, "rowNumber": row, "fieldNumber": field, "fieldName": name, "cell": cell,
            "cells": cells or [], "message": f"{kind} in {name}"}


REPORT = {"valid": False, "tasks": [{
    "labels": ["id", "amount", "paid"], "stats": {"errors": 4, "rows": 10},
    "errorSummary": {"type-error": 3, "constraint-error": 1},
    "errors": [
        _error("type-error", 3, 2, "amount", "1,234", ["2", "1,234", "2024-01-01"]),
        _error("type-error", 5, 2, "amount", "=HYPERLINK(1)", ["4", "=HYPERLINK(1)", "2024-01-02"]),
        _error("type-error", 6, 3, "paid", "2024年1月3日", ["5", "7", "2024年1月3日"]),
        _error("constraint-error", 8, 1, "id", "", ["", "9", "2024-01-04"]),
    ]}]}


def test_column_letters_count_as_a_spreadsheet_does():
    assert [column_letters(n) for n in (1, 26, 27, 52, 703)] == ["A", "Z", "AA", "AZ", "AAA"]


def test_errors_are_grouped_by_type_and_column_most_first():
    overview = report_overview(REPORT, SCHEMA)
    assert [(g.type, g.field_name, g.count, g.column) for g in overview.groups] == [
        ("type-error", "amount", 2, "B"), ("constraint-error", "id", 1, "A"), ("type-error", "paid", 1, "C")]
    assert overview.total_errors == 4 and overview.rows_checked == 10 and not overview.truncated


def test_counts_by_type_and_field_come_from_the_report_when_it_has_them():
    report = {"valid": False, "tasks": [{**REPORT["tasks"][0], "truncated": True,
                                         "errorCounts": [{"type": "type-error", "fieldNumber": 2,
                                                          "fieldName": "amount", "count": 900}]}]}
    groups = {(g.type, g.field_name): g.count for g in report_overview(report, SCHEMA).groups}
    assert groups[("type-error", "amount")] == 900 and report_overview(report, SCHEMA).truncated


def test_hints_name_the_normalizer_the_field_lacks():
    hints = {g.field_name: g.hints for g in report_overview(REPORT, SCHEMA).groups}
    assert hints["amount"] == [("normalize", {"field": "amount", "normalizers": ["thousands"]})]
    assert hints["paid"] == [("normalize", {"field": "paid", "normalizers": ["chinese-date"]})]
    assert hints["id"] == [("fill-required", {"field": "id"})]


def test_a_value_no_cleaning_fixes_gets_the_type_hint():
    report = {"valid": False, "tasks": [{"errors": [_error("type-error", 2, 2, "amount", "abc", ["1", "abc", ""])]}]}
    assert report_overview(report, SCHEMA).groups[0].hints == [
        ("type", {"field": "amount", "type": "number", "format": "default"})]


def test_rows_are_shown_with_their_file_numbers_and_bad_cells_marked():
    rows = report_overview(REPORT, SCHEMA).rows
    assert [r.number for r in rows] == [3, 5, 6, 8]
    assert rows[0].cells == [("2", []), ("1,234", ["type-error"]), ("2024-01-01", [])]


def test_the_csv_has_one_line_per_error_and_no_cell_excel_would_run():
    text = report_csv(REPORT)
    assert text.startswith("\ufeff")
    lines = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert lines[0] == ["rowNumber", "fieldNumber", "column", "fieldName", "type", "cell", "message"]
    assert lines[2][:6] == ["5", "2", "B", "amount", "type-error", "'=HYPERLINK(1)"]
    assert len(lines) == 5
