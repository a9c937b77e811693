"""One streaming pass of reader + validator over a file, giving a report (no database)."""

from __future__ import annotations

import os
from pathlib import Path

from opendata.core.readers.ahead import read_ahead
from opendata.core.readers.base import ReadLimits
from opendata.core.report import LIMIT_ERRORS, Error, Report, ReportBuilder
from opendata.core.tableschema import TableSchema
from opendata.core.validation.validator import ValidationLimits, Validator


def validate_table(path: str | Path, schema: TableSchema, *, sheet: str | None = None,
                   format: str | None = None, limits: ValidationLimits | None = None,
                   read_limits: ReadLimits | None = None, limit_errors: int = LIMIT_ERRORS) -> Report:
    """Validate one file against a Table Schema in one streaming pass; returns the report.

    A file beyond one of ``read_limits`` raises :class:`~opendata.core.errors.LimitError`.
    """
    from opendata.core.memory import use_streaming_memory_pool
    from opendata.core.readers import open_table  # the readers package, written alongside

    use_streaming_memory_pool()
    path = Path(path)
    reader = open_table(path, sheet=sheet, format=format, limits=read_limits or ReadLimits())
    try:
        return validate_reader(reader, schema, name=path.stem, place=str(path), limits=limits,
                               size=os.path.getsize(path), limit_errors=limit_errors)
    finally:
        reader.close()


def validate_reader(reader, schema: TableSchema, *, name: str, place: str,
                    limits: ValidationLimits | None = None, size: int | None = None,
                    limit_errors: int = LIMIT_ERRORS) -> Report:
    """Validate what a reader (``TableReader`` protocol) yields; returns the report."""
    builder = ReportBuilder(name=name, place=place, limit_errors=limit_errors)
    builder.labels = list(reader.labels)
    rows = 0
    if not reader.labels and not reader.source_errors:
        builder.add_error(Error("source-error", "the source is empty"))
    validator = Validator(schema, list(reader.labels), limits=limits)
    try:
        builder.add_errors(validator.check_labels())
        for batch in read_ahead(reader.iter_batches()):
            typed = validator.process(batch)
            rows += batch.num_rows
            builder.add_error_table(typed.errors, typed.row_cells)
            builder.count_errors("extra-cell", sum(n for _, n in getattr(batch, "extra_unlisted", ())))
            for warning in typed.warnings:
                builder.add_warning(warning)
        builder.add_errors(validator.finish(limit_errors))
        for (kind, number, field_name), n in validator.unlisted.items():
            builder.count_errors(kind, n, number, field_name)
    finally:
        validator.close()
    for err in reader.source_errors:
        builder.add_error(Error(err.type, err.note, row_number=err.row_number))
    for warning in getattr(reader, "warnings", []):
        builder.add_warning(str(warning))
    stats = {"fields": len(schema.fields), "rows": rows}
    if size is not None:
        stats["bytes"] = size
    return builder.build(stats=stats)
