"""The bounds on untrusted input and on the work an ingest may do.

:class:`ReadLimits` bound what readers accept (each checked before the work it bounds);
:class:`IngestLimits` adds how many errors a report keeps in full and the memory of the child
process an ingest runs in. The defaults equal the settings' defaults (OPENDATA_INGEST_*,
OPENDATA_LIMIT_ERRORS; docs/configuration.md), and :meth:`IngestLimits.from_settings` reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

DEFAULT_BATCH_ROWS = 65_536
LIMIT_ERRORS = 1000  # errors a report keeps in full, as frictionless' limit-errors
MEMORY_BYTES = 2 * 1024**3


@dataclass(frozen=True)
class ReadLimits:
    """Bounds on untrusted input, each checked before the work it bounds."""

    max_columns: int = 2_000  # cells in any row, the header included
    max_cell_bytes: int = 1024 * 1024  # one cell, UTF-8
    max_row_bytes: int = 16 * 1024 * 1024  # one row as written in the file: a CSV record, a JSON record
    max_json_depth: int = 64  # arrays and objects nested in one JSON record
    max_xlsx_rows: int = 5_000_000
    max_xlsx_uncompressed_bytes: int = 1024**3  # a workbook unpacked (XLSX), or an XLS file
    max_xlsx_compression_ratio: float = 200.0
    batch_rows: int = DEFAULT_BATCH_ROWS  # rows per batch (CSV batches follow csv_block_bytes)
    batch_cells: int = 1_000_000  # wide tables get fewer rows per batch
    csv_block_bytes: int = 4 * 1024 * 1024  # bytes pyarrow parses at a time (grows for long rows)

    def rows_per_batch(self, width: int) -> int:
        """Rows per batch for a table ``width`` cells wide (at least one)."""
        return max(1, min(self.batch_rows, self.batch_cells // max(width, 1)))


# setting name -> ReadLimits field
READ_SETTINGS = {
    "INGEST_MAX_COLUMNS": "max_columns",
    "INGEST_MAX_CELL_BYTES": "max_cell_bytes",
    "INGEST_MAX_ROW_BYTES": "max_row_bytes",
    "INGEST_MAX_JSON_DEPTH": "max_json_depth",
    "INGEST_MAX_WORKBOOK_BYTES": "max_xlsx_uncompressed_bytes",
}


@dataclass(frozen=True)
class IngestLimits:
    """Everything that bounds one ingest or publish preparation."""

    read: ReadLimits = field(default_factory=ReadLimits)
    limit_errors: int = LIMIT_ERRORS
    memory_bytes: int = MEMORY_BYTES  # of the child process the pipeline runs in

    @property
    def duckdb_memory_mb(self) -> int:
        """DuckDB's buffer budget in a child (row database, profile): a quarter of the child's limit;
        DuckDB spills to disk beyond it, so the child stays under its limit whatever the row count."""
        return max(64, self.memory_bytes // 4 // 1024**2)

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> IngestLimits:
        """The limits from resolved settings (``Config.values``)."""
        read = ReadLimits(**{name: int(values[key]) for key, name in READ_SETTINGS.items()})
        return cls(read=read, limit_errors=int(values["LIMIT_ERRORS"]),
                   memory_bytes=int(values["INGEST_MEMORY_MB"]) * 1024**2)
