"""A stored validation report as its uploader reads it: grouped, located as in the file, with fix hints.

Pure functions over the report's Frictionless shape (``tasks[0]``: ``errors`` kept with their
positions, ``errorSummary`` counted by type, ``errorCounts`` by type and field when the report
has them, ``labels``, ``warnings``) and the dataset's Table Schema. Row numbers are the file's
(the header is row 1, as in a spreadsheet), field numbers count columns from 1 and are also given
as spreadsheet letters (A, B, ... AA). Hints are codes with values; the page words them.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opendata.core.normalize import normalizers_that_fix
from opendata.core.tableschema import FieldSpec, TableSchema

MAX_ROWS_SHOWN = 20
SAMPLES_PER_GROUP = 5
CSV_COLUMNS = ("rowNumber", "fieldNumber", "column", "fieldName", "type", "cell", "message")
_CELL_TYPES = ("type-error", "constraint-error")


@dataclass
class ErrorGroup:
    """Errors of one type in one column (or in no column: row and header errors)."""

    type: str
    count: int
    field_name: str | None = None
    field_number: int | None = None
    samples: list[str] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    hints: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    blank: bool = False  # an empty cell is among the errors (a required field left empty)

    @property
    def column(self) -> str | None:
        return column_letters(self.field_number) if self.field_number else None


@dataclass
class ShownRow:
    """One row of the file as the report kept it, with its bad cells marked."""

    number: int
    cells: list[tuple[str, list[str]]]  # (text, error types of that cell)


@dataclass
class ReportOverview:
    valid: bool
    total_errors: int
    rows_checked: int | None
    by_type: dict[str, int]
    groups: list[ErrorGroup]
    labels: list[str]
    rows: list[ShownRow]
    kept_errors: int
    truncated: bool
    warnings: list[Any]
    encoding: str | None = None


def column_letters(number: int) -> str:
    """1 -> A, 26 -> Z, 27 -> AA: the column as a spreadsheet names it."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _task(report: Mapping[str, Any] | None) -> Mapping[str, Any]:
    tasks = (report or {}).get("tasks") or [{}]
    return tasks[0] if isinstance(tasks[0], Mapping) else {}


def report_overview(report: Mapping[str, Any] | None, schema: TableSchema | None) -> ReportOverview:
    """The report grouped by type and column, the first rows with their bad cells, and fix hints."""
    task = _task(report)
    errors = [e for e in task.get("errors") or [] if isinstance(e, Mapping)]
    by_type = dict(task.get("errorSummary") or Counter(e.get("type", "error") for e in errors))
    stats = task.get("stats") or (report or {}).get("stats") or {}
    groups = _groups(task, errors)
    for group in groups:
        group.hints = hints_for(group, _field(schema, group))
    labels = [str(x) for x in task.get("labels") or (schema.field_names if schema else [])]
    return ReportOverview(
        valid=bool((report or {}).get("valid")), total_errors=int(stats.get("errors") or sum(by_type.values())),
        rows_checked=stats.get("rows"), by_type=by_type, groups=groups, labels=labels,
        rows=_shown_rows(errors, len(labels)), kept_errors=len(errors),
        truncated=bool(task.get("truncated")) or len(errors) < sum(by_type.values()),
        warnings=list(task.get("warnings") or []), encoding=task.get("encoding") or stats.get("encoding"))


def _groups(task: Mapping[str, Any], errors: list[Mapping[str, Any]]) -> list[ErrorGroup]:
    keyed: dict[tuple[str, int | None], ErrorGroup] = {}
    for entry in task.get("errorCounts") or []:  # every error, counted by type and field
        key = (entry.get("type"), entry.get("fieldNumber"))
        keyed[key] = ErrorGroup(entry.get("type"), int(entry.get("count", 0)), entry.get("fieldName"),
                                entry.get("fieldNumber"))
    counted = bool(keyed)
    for e in errors:
        number = e.get("fieldNumber") if e.get("type") not in ("blank-row", "primary-key") else None
        key = (e.get("type", "error"), number)
        group = keyed.get(key)
        if group is None:
            group = keyed[key] = ErrorGroup(key[0], 0, e.get("fieldName") or None if number else None, number)
        if not counted:
            group.count += 1
        if e.get("cell") in (None, "") and number is not None:
            group.blank = True
        if e.get("cell") not in (None, "") and len(group.samples) < SAMPLES_PER_GROUP \
                and e["cell"] not in group.samples:
            group.samples.append(str(e["cell"]))
        if e.get("rowNumber") is not None and len(group.rows) < SAMPLES_PER_GROUP:
            group.rows.append(int(e["rowNumber"]))
    return sorted(keyed.values(), key=lambda g: (-g.count, g.field_number or 0, g.type))


def _field(schema: TableSchema | None, group: ErrorGroup) -> FieldSpec | None:
    if schema is None or not group.field_name:
        return None
    try:
        return schema.get_field(group.field_name)
    except KeyError:
        return None


def hints_for(group: ErrorGroup, spec: FieldSpec | None) -> list[tuple[str, dict[str, Any]]]:
    """What would fix a group of errors: (hint code, values) pairs, most specific first."""
    name = group.field_name or ""
    if group.type in _CELL_TYPES and spec is not None:
        fixes = normalizers_that_fix(group.samples, spec)
        missing = [n for n in fixes if n not in spec.normalize]
        if missing:
            return [("normalize", {"field": name, "normalizers": missing})]
        if group.type == "constraint-error" and spec.required and group.blank:
            return [("fill-required", {"field": name})]
        return [("type", {"field": name, "type": spec.type, "format": spec.format})]
    if group.type == "constraint-error":
        return [("fill-required", {"field": name})]
    return [(group.type, {"field": name})] if group.type in _OWN_HINTS else []


# error types whose hint is the same whatever the column: the page words each
_OWN_HINTS = ("missing-label", "extra-label", "incorrect-label", "duplicate-label", "blank-label",
              "blank-row", "extra-cell", "missing-cell", "unique-error", "primary-key", "encoding-error",
              "format-error", "source-error", "storage-error")


def _shown_rows(errors: list[Mapping[str, Any]], width: int) -> list[ShownRow]:
    """The first rows the report kept a copy of, each cell with the error types found in it."""
    rows: dict[int, ShownRow] = {}
    marks: dict[tuple[int, int], list[str]] = {}
    for e in errors:
        number, cells = e.get("rowNumber"), e.get("cells")
        if number is None:
            continue
        if e.get("fieldNumber") is not None:
            marks.setdefault((number, e["fieldNumber"]), []).append(e.get("type", "error"))
        if number not in rows and cells and len(rows) < MAX_ROWS_SHOWN:
            padded = [str(c) for c in cells] + [""] * max(0, width - len(cells))
            rows[number] = ShownRow(number, [(text, []) for text in padded])
    for (number, column), types in marks.items():
        row = rows.get(number)
        if row is not None and 1 <= column <= len(row.cells):
            row.cells[column - 1] = (row.cells[column - 1][0], types)
    return [rows[n] for n in sorted(rows)]


def report_csv(report: Mapping[str, Any] | None) -> str:
    """The report's kept errors as CSV, one line per error (with a UTF-8 BOM, for Excel)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for e in _task(report).get("errors") or []:
        number = e.get("fieldNumber")
        writer.writerow([e.get("rowNumber", ""), number or "", column_letters(number) if number else "",
                         e.get("fieldName", ""), e.get("type", ""), _excel_safe(e.get("cell", "")),
                         _excel_safe(e.get("message", ""))])
    return out.getvalue()


def _excel_safe(value: Any) -> str:
    """A cell Excel will not evaluate: text starting with = + - @ gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
