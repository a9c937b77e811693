"""A tiny reader of UTF-8 CSV with Python's csv module, as frictionless-py reads it.

It feeds the validator exactly the cells frictionless sees (an empty line is a row with no
cells), so the differential test isolates the validator from the production readers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa

from opendata.core.readers.base import RawBatch


class CsvModuleReader:
    """The ``TableReader`` protocol over ``csv.reader`` (comma, double quotes)."""

    format = "csv"
    encoding = "utf-8"

    def __init__(self, path: str | Path, batch_rows: int = 4):
        self._path = Path(path)
        self._batch_rows = batch_rows
        with self._path.open(encoding="utf-8", newline="") as f:
            self.labels: list[str] = next(csv.reader(f), [])
        self.source_errors: list = []
        self.warnings: list[str] = []

    def iter_batches(self) -> Iterator[RawBatch]:
        width = len(self.labels)
        with self._path.open(encoding="utf-8", newline="") as f:
            rows = enumerate(csv.reader(f), start=1)
            next(rows, None)
            chunk: list[tuple[int, list[str]]] = []
            for item in rows:
                chunk.append(item)
                if len(chunk) == self._batch_rows:
                    yield _batch(chunk, width)
                    chunk = []
            if chunk:
                yield _batch(chunk, width)

    def close(self) -> None:
        pass


def _batch(chunk: list[tuple[int, list[str]]], width: int) -> RawBatch:
    columns = [pa.array([cells[i] if i < len(cells) else None for _, cells in chunk], pa.string())
               for i in range(width)]
    extra = [(n, i + 1, cells[i]) for n, cells in chunk for i in range(width, len(cells))]
    return RawBatch(
        row_numbers=pa.array([n for n, _ in chunk], pa.int64()),
        columns=columns,
        cell_counts=pa.array([len(cells) for _, cells in chunk], pa.int32()),
        extra_cells=extra,
    )
