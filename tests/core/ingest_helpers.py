"""Builders shared by the ingest tests (normalize, pii, masking, writers, pipeline)."""

from __future__ import annotations

import pyarrow as pa

from opendata.core.readers.base import RawBatch
from opendata.core.tableschema import TableSchema, load_table_schema


def make_batch(columns: list[list[str | None]], *, first_row: int = 2) -> RawBatch:
    """A RawBatch of string columns whose rows are numbered from ``first_row``."""
    n = len(columns[0]) if columns else 0
    return RawBatch(
        row_numbers=pa.array(range(first_row, first_row + n), pa.int64()),
        columns=[pa.array(c, pa.string()) for c in columns],
        cell_counts=pa.array([len(columns)] * n, pa.int32()),
    )


def make_schema(*fields: dict, **extra) -> TableSchema:
    """A checked Table Schema from field descriptors."""
    return load_table_schema({"fields": list(fields), **extra})
