"""One streaming pass over a table: normalize, then validate, into a report (no database).

:class:`TableCheck` is what ingest and ``opendata validate`` both run, so a file checked before
its upload gets the verdict its ingest will get: the schema's ``x-normalize`` is applied first,
values the typed outputs cannot hold are ``storage-error``, and the reader's own problems and the
normalization counts end up in the same report.
"""

from __future__ import annotations

import os
from contextlib import closing
from pathlib import Path

from opendata.core.normalize import Normalizer
from opendata.core.readers.ahead import read_ahead
from opendata.core.readers.base import RawBatch, ReadLimits
from opendata.core.report import LIMIT_ERRORS, Error, Report, ReportBuilder
from opendata.core.tableschema import TableSchema
from opendata.core.validation.validator import TypedBatch, ValidationLimits, Validator


class TableCheck:
    """Normalize and validate what a reader yields, batch by batch, into a report builder."""

    def __init__(self, reader, schema: TableSchema, builder: ReportBuilder, *,
                 limits: ValidationLimits | None = None, limit_errors: int = LIMIT_ERRORS):
        self.reader = reader
        self.builder = builder
        self.limit_errors = limit_errors
        labels = list(reader.labels)
        builder.labels = labels
        self.normalizer = Normalizer(schema, labels)
        self.validator = Validator(schema, labels, limits=limits)

    def start(self) -> bool:
        """Report an empty source and header errors; True when rows may be written as they come."""
        if not self.reader.labels and not self.reader.source_errors:
            self.builder.add_error(Error("source-error", "the source is empty"))
        label_errors = self.validator.check_labels()
        self.builder.add_errors(label_errors)
        return bool(self.reader.labels) and not label_errors and not self.reader.source_errors

    def process(self, raw: RawBatch) -> tuple[RawBatch, TypedBatch]:
        """The normalized batch and its typed values; its errors and warnings go to the report."""
        batch = self.normalizer.apply(raw)
        typed = self.validator.process(batch)
        self.builder.add_error_table(typed.errors, typed.row_cells)
        # cells beyond those a batch lists are counted, not kept (see readers.base.RawBatch)
        self.builder.count_errors("extra-cell", sum(n for _, n in getattr(batch, "extra_unlisted", ())))
        for warning in typed.warnings:
            self.builder.add_warning(warning)
        return batch, typed

    def finish(self) -> list[dict]:
        """Key errors across the file, the reader's problems and normalization counts; returns the changes."""
        self.builder.add_errors(self.validator.finish(self.limit_errors))
        for (kind, number, field_name), n in self.validator.unlisted.items():
            self.builder.count_errors(kind, n, number, field_name)
        for err in self.reader.source_errors:
            self.builder.add_error(Error(err.type, err.note, row_number=err.row_number))
        for warning in getattr(self.reader, "warnings", []):
            self.builder.add_warning(str(warning))
        for stat in self.normalizer.stats:
            self.builder.add_warning(stat.message)
        return self.normalizer.warnings()

    def close(self) -> None:
        self.validator.close()


def validate_table(path: str | Path, schema: TableSchema, *, sheet: str | None = None,
                   format: str | None = None, limits: ValidationLimits | None = None,
                   read_limits: ReadLimits | None = None, limit_errors: int = LIMIT_ERRORS) -> Report:
    """Validate one file against a Table Schema in one streaming pass, as ingest does; returns the report.

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
    check = TableCheck(reader, schema, builder, limits=limits, limit_errors=limit_errors)
    rows = 0
    try:
        check.start()
        # Closed here, also on an error: its thread is joined before the report is returned.
        with closing(read_ahead(reader.iter_batches())) as batches:
            for raw in batches:
                check.process(raw)
                rows += raw.num_rows
        normalization = check.finish()
    finally:
        check.close()
    stats = {"fields": len(schema.fields), "rows": rows}
    if size is not None:
        stats["bytes"] = size
    report = builder.build(stats=stats)
    report.descriptor["tasks"][0]["normalization"] = normalization
    return report
