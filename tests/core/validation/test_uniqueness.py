"""The key spill: what stays in memory, what goes to disk, and the same duplicates either way."""

from __future__ import annotations

import pyarrow as pa
import pytest

from opendata.core.validation.uniqueness import UniquenessTracker


def _add(tracker: UniquenessTracker, start: int, n: int) -> None:
    numbers = pa.array(range(start + 2, start + 2 + n), pa.int64())
    tracker.add("k", numbers, [pa.array([(start + i) % 70 for i in range(n)], pa.int64())])


def _expected() -> list[tuple[int, int]]:
    last, out = {}, []
    for i in range(200):
        if i % 70 in last:
            out.append((i + 2, last[i % 70]))
        last[i % 70] = i + 2
    return out


@pytest.mark.parametrize("flush_rows", [10, 1_000])  # searched with DuckDB, and read back into Arrow
def test_past_the_spill_size_every_batch_goes_to_one_file_and_the_duplicates_are_the_same(flush_rows):
    tracker = UniquenessTracker(flush_rows=flush_rows, spill_rows=50)
    try:
        for start in range(0, 200, 20):
            _add(tracker, start, 20)
            spill = tracker.spills["k"]
            assert spill.pending_rows == (start + 20 if start + 20 <= 50 else 0)  # nothing waits once spilled
        assert spill.spilled_rows == 200 and spill.path.endswith(".arrow")
        found, total = tracker.duplicates("k")
        assert total == 130
        assert list(zip(found.column("rn").to_pylist(), found.column("prev").to_pylist(), strict=True)) == _expected()
    finally:
        tracker.close()


def test_keys_of_a_small_file_never_touch_the_disk():
    tracker = UniquenessTracker(flush_rows=10, spill_rows=1_000)  # found with DuckDB: written at the end
    try:
        for start in range(0, 200, 20):
            _add(tracker, start, 20)
        assert tracker.spills["k"].path is None and tracker._tmp is None
        found, total = tracker.duplicates("k")
        assert total == 130 and found.column("prev").to_pylist()[:2] == [2, 3]
    finally:
        tracker.close()
