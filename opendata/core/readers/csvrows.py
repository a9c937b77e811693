"""Row bookkeeping for the CSV reader: physical row numbers, ragged rows, empty lines."""

from __future__ import annotations

import bisect
import io
from collections import deque

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.readers.base import RawBatch, concat_batches, rows_to_batch
from opendata.core.readers.textstream import BLANK_MARK


def number_rows(
    record_batch: pa.RecordBatch, number: int, invalid: deque, width: int
) -> tuple[RawBatch, int]:
    """Give each parsed row its physical number, putting back the invalid rows before it."""
    total = record_batch.num_rows
    pieces: list[np.ndarray] = []
    taken: list[tuple[int, list[str]]] = []
    remaining = total
    while remaining:
        if invalid and invalid[0][0] == number:
            taken.append(invalid.popleft())
            number += 1
            continue
        run = remaining if not invalid else min(remaining, invalid[0][0] - number)
        pieces.append(np.arange(number, number + run, dtype=np.int64))
        number += run
        remaining -= run
    numbers = np.concatenate(pieces) if pieces else np.empty(0, dtype=np.int64)
    batch = RawBatch(
        row_numbers=from_numpy(numbers, pa.int64()),
        columns=list(record_batch.columns),
        cell_counts=from_numpy(np.full(total, width, dtype=np.int32), pa.int32()),
    )
    if taken:
        batch = concat_batches([batch, invalid_batch(taken, width)])
    return batch, number


class MarkBlankLines(Exception):  # noqa: N818 (a signal, not an error)
    """A row of empty cells was read: it may be an empty line, so read again with markers."""


def from_numpy(values: np.ndarray, type: pa.DataType) -> pa.Array:
    """Zero-copy; pa.array(ndarray) and pa.repeat would import pandas (a second) on first use."""
    return pa.Array.from_buffers(type, len(values), [None, pa.py_buffer(values)])


def empty_rows(batch: RawBatch) -> pa.Array:
    """Which rows have only empty cells (vectorized); null cells (missing) do not count."""
    empty = None
    for column in batch.columns:
        # "length is 0" without a Python scalar (pa.scalar imports pandas on first use);
        # a null (missing) cell makes the Kleene AND false
        lengths = pc.binary_length(column)
        test = pc.and_kleene(pc.invert(pc.cast(lengths, pa.bool_())), pc.is_valid(lengths))
        empty = test if empty is None else pc.and_kleene(empty, test)
    return empty


def has_empty_row(batch: RawBatch) -> bool:
    """Whether some row has only empty cells."""
    return bool(batch.num_rows and pc.any(empty_rows(batch)).as_py())


def unmark_blank_lines(batch: RawBatch) -> RawBatch:
    """In a one-column file an empty line parses as one cell holding the mark: no cells."""
    marked = pc.equal(batch.columns[0], BLANK_MARK)
    if not pc.any(marked).as_py():
        return batch
    return RawBatch(
        row_numbers=batch.row_numbers,
        columns=[pc.if_else(marked, pa.scalar(None, pa.string()), batch.columns[0])],
        cell_counts=pc.if_else(marked, pa.scalar(0, pa.int32()), batch.cell_counts),
        extra_cells=batch.extra_cells,
        extra_unlisted=batch.extra_unlisted,
    )


def invalid_batch(rows: list[tuple[int, list[str]]], width: int) -> RawBatch:
    return rows_to_batch([n for n, _ in rows], [list(cells) for _, cells in rows], width)


def drop_rows_until(batch: RawBatch, last_emitted: int) -> RawBatch:
    """Drop the header and rows already emitted before a re-read (row numbers are sorted)."""
    if batch.num_rows == 0 or batch.row_numbers[0].as_py() > last_emitted:
        return batch
    numbers = batch.row_numbers  # (to_numpy would import pandas on first use)
    start = bisect.bisect_right(range(len(numbers)), last_emitted, key=lambda i: numbers[i].as_py())
    return RawBatch(
        row_numbers=batch.row_numbers.slice(start),
        columns=[column.slice(start) for column in batch.columns],
        cell_counts=batch.cell_counts.slice(start),
        extra_cells=[cell for cell in batch.extra_cells if cell[0] > last_emitted],
        extra_unlisted=[n for n in batch.extra_unlisted if n[0] > last_emitted],
    )


class LineCounter:
    """Iterates the lines of a StringIO and remembers whether the reader stopped early."""

    def __init__(self, stream: io.StringIO):
        self._stream = stream

    def __iter__(self) -> LineCounter:
        return self

    def __next__(self) -> str:
        line = self._stream.readline()
        if not line:
            raise StopIteration
        return line

    def rest(self, stream: io.StringIO) -> bool:
        """True when the first record ended before the end of the text."""
        return stream.tell() < len(stream.getvalue())
