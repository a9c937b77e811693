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

DEFAULT_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ReadLimits:
    """Safety limits for untrusted input."""

    max_columns: int = 20_000
    max_cell_chars: int = 1_000_000
    max_xlsx_rows: int = 5_000_000
    max_xlsx_uncompressed_bytes: int = 2 * 1024**3
    max_xlsx_compression_ratio: float = 200.0
    batch_rows: int = DEFAULT_BATCH_ROWS  # rows per batch (CSV batches follow csv_block_bytes)
    csv_block_bytes: int = 4 * 1024 * 1024  # bytes pyarrow parses at a time (grows for huge rows)


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
      field_number 1-based (these rows are rare, so a plain list is fine).
    """

    row_numbers: pa.Array
    columns: list[pa.Array]
    cell_counts: pa.Array
    extra_cells: list[tuple[int, int, str]] = field(default_factory=list)

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

    Cells past ``width`` become ``extra_cells``; short rows get null (missing) cells.
    """
    counts = [len(row) for row in rows]
    extra: list[tuple[int, int, str]] = []
    if width and all(n == width for n in counts):
        columns = list(zip(*rows, strict=True))  # the common case, transposed at C speed
    else:
        short = [None] * width
        columns = list(zip(*((row + short)[:width] for row in rows), strict=True))
        for number, row, n in zip(row_numbers, rows, counts, strict=True):
            extra.extend((number, i + 1, row[i]) for i in range(width, n))
    if not columns:
        columns = [()] * width
    return RawBatch(
        row_numbers=pa.array(row_numbers, type=pa.int64()),
        columns=[pa.array(column, type=pa.string()) for column in columns],
        cell_counts=pa.array(counts, type=pa.int32()),
        extra_cells=extra,
    )


def concat_batches(batches: list[RawBatch]) -> RawBatch:
    """Join RawBatches of the same width and order their rows by row number."""
    numbers = pa.concat_arrays([b.row_numbers for b in batches])
    order = pc.sort_indices(numbers)
    width = len(batches[0].columns)
    columns = [pa.concat_arrays([b.columns[i] for b in batches]).take(order) for i in range(width)]
    counts = pa.concat_arrays([b.cell_counts for b in batches]).take(order)
    extra = sorted(cell for b in batches for cell in b.extra_cells)
    return RawBatch(numbers.take(order), columns, counts, extra)
