"""The contract between readers and the rest of the pipeline.

A reader turns a file of any supported format into a header (``labels``) and a stream of
:class:`RawBatch` objects: every cell as text, exactly as found after decoding, with the
frictionless row number of each row. Typing, normalizing and validating happen downstream,
vectorized over these batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.errors import LimitError, Problem
from opendata.core.limits import DEFAULT_BATCH_ROWS, ReadLimits

__all__ = ["DEFAULT_BATCH_ROWS", "EXTRA_CELLS_LISTED", "RawBatch", "ReadLimits", "SourceError", "TableReader"]

EXTRA_CELLS_LISTED = 10_000  # extra cells listed per batch; the others are counted only


@dataclass(frozen=True)
class SourceError:
    """A file-level problem found while reading (frictionless error types)."""

    type: str  # encoding-error | format-error | source-error | scheme-error
    note: str
    row_number: int | None = None
    byte_offset: int | None = None


@dataclass
class RawBatch:
    """A slice of consecutive data rows, every cell as text.

    - ``row_numbers``: int64, the frictionless ``rowNumber`` of each row (the header row is 1;
      physical rows, so blank rows still count).
    - ``columns``: one string array per header position; a cell is null when the row is too short
      to have it (a missing cell), and "" when it is present but empty.
    - ``cell_counts``: int32, how many cells each row actually has. An empty line in a CSV is a
      row with 0 cells (all null), as frictionless reads it (blank-row whatever the
      missingValues); a line such as ",," has its cells, each "".
      XLSX/XLS rows always have the sheet's width; empty sheet cells are "" there.
    - ``extra_cells``: cells beyond the header width as (row_number, field_number, text),
      field_number 1-based (these rows are rare, so a plain list is fine); at most
      ``EXTRA_CELLS_LISTED`` per batch, the others only counted in ``extra_unlisted`` as
      (row_number, how many).
    """

    row_numbers: pa.Array
    columns: list[pa.Array]
    cell_counts: pa.Array
    extra_cells: list[tuple[int, int, str]] = field(default_factory=list)
    extra_unlisted: list[tuple[int, int]] = field(default_factory=list)

    @property
    def num_rows(self) -> int:
        return len(self.row_numbers)


class TableReader(Protocol):
    """What every reader offers; obtain one with ``opendata.core.readers.open_table``."""

    format: str  # csv | tsv | xlsx | xls | json | ndjson
    encoding: str | None  # detected text encoding, None for binary formats
    labels: list[str]  # header cells as found (merged header cells flattened)
    source_errors: list[SourceError]  # problems found so far (grows while batches are read)
    warnings: list[str]
    sheet_names: list[str]  # workbook sheets in order ([] for text formats)

    def iter_batches(self) -> Iterator[RawBatch]: ...

    def close(self) -> None: ...

    def __enter__(self) -> TableReader: ...

    def __exit__(self, *exc: object) -> None: ...


def rows_to_batch(row_numbers: list[int], rows: list[list[str]], width: int) -> RawBatch:
    """Build a RawBatch from rows of text cells (for the non-vectorized formats).

    Cells past ``width`` become ``extra_cells`` (the first ``EXTRA_CELLS_LISTED``, the others
    counted); short rows get null (missing) cells.
    """
    counts = [len(row) for row in rows]
    extra: list[tuple[int, int, str]] = []
    unlisted: list[tuple[int, int]] = []
    if width and all(n == width for n in counts):
        columns = list(zip(*rows, strict=True))  # the common case, transposed at C speed
    else:
        short = [None] * width
        columns = list(zip(*((row + short)[:width] for row in rows), strict=True))
        for number, row, n in zip(row_numbers, rows, counts, strict=True):
            if n <= width:
                continue
            room = max(0, min(n - width, EXTRA_CELLS_LISTED - len(extra)))
            extra.extend((number, i + 1, row[i]) for i in range(width, width + room))
            if n - width > room:
                unlisted.append((number, n - width - room))
    if not columns:
        columns = [()] * width
    return RawBatch(
        row_numbers=pa.array(row_numbers, type=pa.int64()),
        columns=[pa.array(column, type=pa.string()) for column in columns],
        cell_counts=pa.array(counts, type=pa.int32()),
        extra_cells=extra,
        extra_unlisted=unlisted,
    )


def check_row_width(row_number: int, cells: int, limits: ReadLimits) -> None:
    """Refuse a row with more cells than ``max_columns`` (before its cells are kept)."""
    if cells > limits.max_columns:
        what = "columns" if row_number == 1 else "cells"
        raise LimitError(f"the file's row {row_number} has {cells:,} {what}; the limit is "
                         f"{limits.max_columns:,}", problems=[limit_problem("columns", row_number)])


def check_cells(batch: RawBatch, limits: ReadLimits) -> None:
    """Refuse a batch holding a cell longer than ``max_cell_bytes`` (before it is validated)."""
    limit = limits.max_cell_bytes
    for index, column in enumerate(batch.columns):
        if not len(column):
            continue
        lengths = pc.binary_length(column)
        longest = pc.max(lengths).as_py()
        if longest is not None and longest > limit:
            row = pc.index(lengths, longest).as_py()
            raise cell_too_long(int(batch.row_numbers[row].as_py()), index + 1, longest, limit)
    for number, field_number, text in batch.extra_cells:
        if len(text) * 4 > limit and len(text.encode("utf-8")) > limit:
            raise cell_too_long(number, field_number, len(text.encode("utf-8")), limit)


def cell_too_long(row_number: int, field_number: int, size: int, limit: int) -> LimitError:
    """The error for a cell beyond ``max_cell_bytes`` (``size`` may be a lower bound)."""
    return LimitError(f"the file's row {row_number}, column {field_number} holds a cell of {size:,} bytes; "
                      f"the limit is {limit:,}", problems=[limit_problem("cell-bytes", row_number)])


def row_too_long(row: int | str, limit: int) -> LimitError:
    """The error for a row (a CSV record, a JSON record) beyond ``max_row_bytes``.

    ``row`` is its row number, or words that place it ("a row after row 5").
    """
    where = f"the file's row {row}" if isinstance(row, int) else row
    return LimitError(f"{where} is longer than the limit of {limit:,} bytes",
                      problems=[limit_problem("row-bytes", row if isinstance(row, int) else None)])


def public_text(text: str, path: str) -> str:
    """A library's message about ``path`` without the folders of this machine (the file's own name kept)."""
    import os

    folder = os.path.dirname(path)
    text = text.replace(path, os.path.basename(path))
    return text.replace(folder + os.sep, "").replace(folder, "") if folder else text


def limit_problem(limit: str, row_number: int | None = None) -> Problem:
    """The located problem of a LimitError: which limit (``path``) and which row (``line``)."""
    return Problem("limit-exceeded", f"the input passes the {limit} limit", line=row_number,
                   path=f"limits/{limit}")


def concat_batches(batches: list[RawBatch]) -> RawBatch:
    """Join RawBatches of the same width and order their rows by row number."""
    numbers = pa.concat_arrays([b.row_numbers for b in batches])
    order = pc.sort_indices(numbers)
    width = len(batches[0].columns)
    columns = [pa.concat_arrays([b.columns[i] for b in batches]).take(order) for i in range(width)]
    counts = pa.concat_arrays([b.cell_counts for b in batches]).take(order)
    extra = sorted(cell for b in batches for cell in b.extra_cells)
    unlisted = sorted(n for b in batches for n in b.extra_unlisted)
    return RawBatch(numbers.take(order), columns, counts, extra, unlisted)
