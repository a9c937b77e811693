"""Validation reports in the Frictionless v5 report shape.

Errors are data: each has a kebab-case ``type`` with Frictionless' title, description, message
template and tags. A :class:`ReportBuilder` counts every error but keeps only the first
``limit_errors`` with their positions (as frictionless' ``limit-errors``); every error is
counted by type (``errorSummary``) and by type and field (``errorCounts``), opendata
extensions that Frictionless readers ignore. A built report never exceeds ``MAX_REPORT_BYTES``.

A task's ``place`` is the file name as its owner named it, never a path of the machine that
validated it; :func:`public_report` reduces reports stored with a path to the base name.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.limits import LIMIT_ERRORS
from opendata.core.package_names import package_name
from opendata.core.report_bounds import ERRORS_WITH_CELLS, bound_report, error_counts

MAX_REPORT_BYTES = 1024 * 1024  # a stored report never exceeds this (JSON, UTF-8)
MAX_WARNINGS = 100  # warnings kept; all are counted
SHOWN_CHARS = 500  # a kept error's cell, label and note, and a warning, are cut to this
SHOWN_CELL_CHARS = 100  # each entry of a kept error's cells and labels is cut to this
SMALL_LIST_CHARS = 2_000  # beyond them, only errors whose cells or labels are this short keep them
SMALL_ERROR_TABLE = 512  # a batch's error table up to this many rows is counted in Python (see add_error_table)

# type -> (title, description, template, tags); wording copied from frictionless v5
ERROR_SPECS: dict[str, tuple[str, str, str, list[str]]] = {
    # opendata's own: valid for frictionless, but not publishable without losing data
    "storage-error": ("Storage Error", "Valid values that the typed outputs cannot hold without loss.",
                      'The cell "{cell}" in row at position "{rowNumber}" and field "{fieldName}" at position '
                      '"{fieldNumber}" cannot be published without loss: {note}', ["#table", "#row", "#cell"]),
    "source-error": ("Source Error", "Data reading error because of not supported or inconsistent contents.",
                     "The data source has not supported or has inconsistent contents: {note}", []),
    "format-error": ("Format Error", "Data reading error because of incorrect format.",
                     "The data source could not be successfully parsed: {note}", []),
    "encoding-error": ("Encoding Error", "Data reading error because of an encoding problem.",
                       "The data source could not be successfully decoded: {note}", []),
    "scheme-error": ("Scheme Error", "Data reading error because of incorrect scheme.",
                     "The data source could not be successfully loaded: {note}", []),
    "schema-error": ("Schema Error", "Provided schema is not valid.", "Schema is not valid: {note}", []),
    "extra-label": ("Extra Label",
                    "The header of the data source contains label that does not exist in the provided schema.",
                    'There is an extra label "{label}" in header at position "{fieldNumber}"',
                    ["#table", "#header", "#label"]),
    "missing-label": ("Missing Label",
                      "Based on the schema there should be a label that is missing in the data's header.",
                      'There is a missing label in the header\'s field "{fieldName}" at position "{fieldNumber}"',
                      ["#table", "#header", "#label"]),
    "blank-label": ("Blank Label",
                    "A label in the header row is missing a value. Label should be provided and not be blank.",
                    'Label in the header in field at position "{fieldNumber}" is blank',
                    ["#table", "#header", "#label"]),
    "duplicate-label": ("Duplicate Label",
                        "Two columns in the header row have the same value. Column names should be unique.",
                        'Label "{label}" in the header at position "{fieldNumber}" is duplicated to a label: {note}',
                        ["#table", "#header", "#label"]),
    "incorrect-label": ("Incorrect Label",
                        "One of the data source header does not match the field name defined in the schema.",
                        'Label "{label}" in field {fieldName} at position "{fieldNumber}" does not match the field name in the schema',
                        ["#table", "#header", "#label"]),
    "blank-row": ("Blank Row", "This row is empty. A row should contain at least one value.",
                  'Row at position "{rowNumber}" is completely blank', ["#table", "#row"]),
    "primary-key": ("PrimaryKey Error", "Values in the primary key fields should be unique for every row",
                    'Row at position "{rowNumber}" violates the primary key: {note}', ["#table", "#row"]),
    "extra-cell": ("Extra Cell",
                   "This row has more values compared to the header row (the first row in the data source). "
                   "A key concept is that all the rows in tabular data must have the same number of columns.",
                   'Row at position "{rowNumber}" has an extra value in field at position "{fieldNumber}"',
                   ["#table", "#row", "#cell"]),
    "missing-cell": ("Missing Cell",
                     "This row has less values compared to the header row (the first row in the data source). "
                     "A key concept is that all the rows in tabular data must have the same number of columns.",
                     'Row at position "{rowNumber}" has a missing cell in field "{fieldName}" at position "{fieldNumber}"',
                     ["#table", "#row", "#cell"]),
    "type-error": ("Type Error", "The value does not match the schema type and format for this field.",
                   'Type error in the cell "{cell}" in row "{rowNumber}" and field "{fieldName}" at position "{fieldNumber}": {note}',
                   ["#table", "#row", "#cell"]),
    "constraint-error": ("Constraint Error", "A field value does not conform to a constraint.",
                         'The cell "{cell}" in row at position "{rowNumber}" and field "{fieldName}" at position "{fieldNumber}" does not conform to a constraint: {note}',
                         ["#table", "#row", "#cell"]),
    "unique-error": ("Unique Error",
                     "This field is a unique field but it contains a value that has been used in another row.",
                     'Row at position "{rowNumber}" has unique constraint violation in field "{fieldName}" at position "{fieldNumber}": {note}',
                     ["#table", "#row", "#cell"]),
}
LABEL_TYPES = {"extra-label", "missing-label", "blank-label", "duplicate-label", "incorrect-label"}
ROW_TYPES = {"blank-row", "primary-key"}
CELL_TYPES = {"extra-cell", "missing-cell", "type-error", "constraint-error", "unique-error", "storage-error"}
# columns of the per-batch error table (see ``opendata.core.validation.TypedBatch.errors``)
ERROR_TABLE_SCHEMA = pa.schema([
    ("type", pa.string()), ("row_number", pa.int64()), ("field_number", pa.int32()),
    ("field_name", pa.string()), ("cell", pa.string()), ("note", pa.string()),
    ("row_index", pa.int32()),
])


@dataclass(frozen=True)
class Error:
    """One data problem, located by Frictionless' keys (rowNumber, fieldNumber, ...)."""

    type: str
    note: str = ""
    row_number: int | None = None
    field_number: int | None = None
    field_name: str | None = None
    cell: str | None = None
    label: str | None = None
    labels: tuple[str, ...] | None = None
    row_numbers: tuple[int, ...] | None = None
    cells: tuple[str, ...] | None = None

    def to_descriptor(self) -> dict[str, Any]:
        """The error as Frictionless writes it (``type``, ``title``, ..., ``message``, positions)."""
        title, description, template, tags = ERROR_SPECS.get(self.type, (self.type, "", "{note}", []))
        out: dict[str, Any] = {"type": self.type, "title": title, "description": description}
        values = {"note": self.note, "rowNumber": self.row_number, "fieldNumber": self.field_number,
                  "fieldName": self.field_name or "", "cell": self.cell or "", "label": self.label or ""}
        out["message"] = template.format(**values)
        out["tags"] = list(tags)
        out["note"] = self.note
        if self.type in LABEL_TYPES:
            out["labels"] = list(self.labels or ())
            out["rowNumbers"] = list(self.row_numbers or (1,))
            out["label"] = self.label or ""
            out["fieldName"] = self.field_name or ""
            out["fieldNumber"] = self.field_number
        elif self.type in ROW_TYPES or self.type in CELL_TYPES:
            out["cells"] = list(self.cells or ())
            out["rowNumber"] = self.row_number
            if self.type in CELL_TYPES:
                out["cell"] = self.cell or ""
                out["fieldName"] = self.field_name or ""
                out["fieldNumber"] = self.field_number
        return out


@dataclass
class Report:
    """A finished validation report (one table task)."""

    descriptor: dict[str, Any]

    @property
    def valid(self) -> bool:
        return bool(self.descriptor["valid"])

    @property
    def task(self) -> dict[str, Any]:
        return self.descriptor["tasks"][0]

    @property
    def error_counts(self) -> dict[str, int]:
        """Every error counted by type (including those not kept)."""
        return dict(self.task.get("errorSummary", {}))

    def flatten(self, keys: list[str]) -> list[list[Any]]:
        """Like frictionless' ``Report.flatten``: one list of values per kept error."""
        return [[e.get(k) for k in keys] for e in self.task["errors"]]

    def to_descriptor(self) -> dict[str, Any]:
        return self.descriptor


@dataclass
class ReportBuilder:
    """Collects errors and warnings of one table while it streams by.

    Every error is counted by type and by field; the first ``limit_errors`` (in row order within
    a batch) are kept in full, their texts shortened (:data:`SHOWN_CHARS`). The built report is
    bounded to ``max_bytes`` by :func:`opendata.core.report_bounds.bound_report`.
    """

    name: str
    place: str
    limit_errors: int = LIMIT_ERRORS
    max_bytes: int = MAX_REPORT_BYTES
    labels: list[str] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    field_counts: Counter = field(default_factory=Counter)  # (type, field number, field name) -> n
    kept: list[tuple[int, int, Error]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    warning_count: int = 0
    started: float = field(default_factory=time.perf_counter)
    _seq: int = 0
    _labels_seen: tuple[str, ...] | None = None  # label errors share one header: shortened once
    _labels_shown: tuple[str, ...] | None = None

    @property
    def room(self) -> int:
        """How many more errors will be kept in full."""
        return max(0, self.limit_errors - len(self.kept))

    def add_error(self, error: Error) -> None:
        """Count one error, keeping it while fewer than ``limit_errors`` are kept."""
        self.counts[error.type] += 1
        self.field_counts[(error.type, error.field_number, error.field_name)] += 1
        if self.room:
            self._keep(error)

    def add_errors(self, errors: list[Error]) -> None:
        for error in errors:
            self.add_error(error)

    def count_errors(self, kind: str, n: int, field_number: int | None = None, field_name: str | None = None) -> None:
        """Count ``n`` errors that are not listed (extra cells beyond those listed, repeated keys)."""
        if n:
            self.counts[kind] += n
            self.field_counts[(kind, field_number, field_name)] += n

    def add_error_table(self, table: pa.Table, row_cells=None) -> None:
        """Count a batch's error table by type and field; keep its first ones with ``row_cells(i)``."""
        if table.num_rows == 0:
            return
        columns = ("type", "field_number", "field_name")
        if table.num_rows <= SMALL_ERROR_TABLE:  # Acero's plan costs ~2 ms a batch; a few rows count faster here
            counted = Counter(zip(*(table.column(c).to_pylist() for c in columns), strict=True)).items()
        else:
            grouped = table.group_by(list(columns), use_threads=False).aggregate([([], "count_all")])
            keys = zip(*(grouped.column(c).to_pylist() for c in columns), strict=True)
            counted = zip(keys, grouped.column("count_all").to_pylist(), strict=True)
        for (kind, number, name), n in counted:
            self.counts[kind] += n
            self.field_counts[(kind, number, name)] += n
        room = self.room
        if not room:
            return
        keys = [("row_number", "ascending"), ("field_number", "ascending")]
        first = table.take(pc.select_k_unstable(table, k=room, sort_keys=keys)).sort_by(keys)
        for rec in first.to_pylist():
            cells = tuple(row_cells(rec["row_index"])) if row_cells and rec["row_index"] is not None else None
            self._keep(Error(rec["type"], rec["note"] or "", rec["row_number"], rec["field_number"],
                             rec["field_name"], rec["cell"], cells=cells))

    def _keep(self, error: Error) -> None:
        if len(self.kept) >= ERRORS_WITH_CELLS and (_longer_than(error.cells, SMALL_LIST_CHARS)
                                                     or _longer_than(error.labels, SMALL_LIST_CHARS)):
            # a wide row or header: only the first errors carry a copy of it (the task has the labels)
            error = replace(error, cells=() if error.cells is not None else None,
                            labels=() if error.labels is not None else None)
        if error.labels and error.labels is not self._labels_seen:
            self._labels_seen, self._labels_shown = error.labels, _cut(error.labels, SHOWN_CELL_CHARS)
        self._seq += 1
        self.kept.append((error.row_number or 0, self._seq,
                          shortened(error, labels=self._labels_shown if error.labels else error.labels)))

    def add_warning(self, message: str) -> None:
        """Keep the first MAX_WARNINGS warnings (shortened); count them all."""
        self.warning_count += 1
        if len(self.warnings) < MAX_WARNINGS:
            self.warnings.append(_short(message, SHOWN_CHARS))

    def build(self, *, stats: dict[str, Any] | None = None, valid: bool | None = None) -> Report:
        """The report in the Frictionless v5 shape, bounded to ``max_bytes``."""
        seconds = round(time.perf_counter() - self.started, 3)
        total = sum(self.counts.values())
        errors = [e.to_descriptor() for _, _, e in sorted(self.kept, key=lambda k: (k[0], k[1]))]
        is_valid = total == 0 if valid is None else valid
        task_stats = {"errors": total, "warnings": self.warning_count, "seconds": seconds}
        task_stats.update(stats or {})
        task = {
            "name": self.name, "type": "table", "valid": is_valid, "place": self.place,
            "labels": [_short(str(label), SHOWN_CHARS) for label in self.labels],
            "stats": task_stats, "warnings": list(self.warnings), "errors": errors,
            "errorSummary": dict(sorted(self.counts.items())),
            "errorCounts": error_counts(self.field_counts),
            "truncated": len(errors) < total or self.warning_count > len(self.warnings),
        }
        return Report(bound_report({
            "valid": is_valid,
            "stats": {"tasks": 1, "errors": total, "warnings": self.warning_count, "seconds": seconds},
            "warnings": [], "errors": [], "tasks": [task],
        }, self.max_bytes))


def failure_report(place: str, note: str, *, stats: dict[str, Any] | None = None) -> dict[str, Any]:
    """The report of a file that could not be read at all (beyond a limit, damaged): one
    source-error naming why, a few hundred bytes."""
    shown = public_place(place)
    builder = ReportBuilder(name=package_name(shown.rsplit(".", 1)[0], default="table"), place=shown)
    builder.add_error(Error("source-error", note))
    return builder.build(stats=stats).to_descriptor()


def shortened(error: Error, labels: tuple[str, ...] | None = None) -> Error:
    """The error with its texts cut to what a report shows (cells, labels, notes); ``labels``,
    when given, are the error's labels already cut."""
    return replace(error, note=_short(error.note, SHOWN_CHARS), cell=_short(error.cell, SHOWN_CHARS),
                   label=_short(error.label, SHOWN_CHARS), cells=_cut(error.cells, SHOWN_CELL_CHARS),
                   labels=labels if labels is not None else _cut(error.labels, SHOWN_CELL_CHARS))


def _cut(values: tuple[str, ...] | None, n: int) -> tuple[str, ...] | None:
    return None if values is None else tuple(_short(str(v), n) for v in values)


def _longer_than(values: tuple[str, ...] | None, n: int) -> bool:
    """Whether ``values`` hold more than ``n`` characters in all; stops counting past ``n`` (a
    header of 100,000 labels is shared by as many errors: summing it for each was quadratic)."""
    total = 0
    for value in values or ():
        total += len(value)
        if total > n:
            return True
    return False


def _short(text: str | None, n: int) -> str | None:
    """``text`` cut to ``n`` characters, ending in an ellipsis when cut."""
    if text is None or len(text) <= n:
        return text
    return text[: n - 1] + "…"


def public_place(place: str) -> str:
    """The last component of a task's ``place`` ("/srv/home/uploads/a.csv" and "C:\\x\\a.csv" become "a.csv")."""
    return re.split(r"[\\/]", place.rstrip("\\/"))[-1] or place


def public_report(report: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored report as it may be shown to anyone: each task's place reduced to its base name.

    Reports stored before the pipeline was given the uploader's file name hold a server path there.
    """
    if report is None:
        return None
    out = dict(report)
    if isinstance(report.get("tasks"), list):
        out["tasks"] = [{**task, "place": public_place(task["place"])}
                        if isinstance(task, Mapping) and isinstance(task.get("place"), str) else task
                        for task in report["tasks"]]
    return out
