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

DEFAULT_BATCH_ROWS = 65_536


@dataclass(frozen=True)
class ReadLimits:
    """Safety limits for untrusted input."""

    max_columns: int = 20_000
    max_cell_chars: int = 1_000_000
    max_xlsx_rows: int = 5_000_000
    max_xlsx_uncompressed_bytes: int = 2 * 1024**3
    max_xlsx_compression_ratio: float = 200.0
    batch_rows: int = DEFAULT_BATCH_ROWS


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
    - ``cell_counts``: int32, how many cells each row actually has.
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

    def iter_batches(self) -> Iterator[RawBatch]: ...

    def close(self) -> None: ...
