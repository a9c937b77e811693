"""The key spill: what stays in memory and what the spill file looks like."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.core.validation.uniqueness import UniquenessTracker


def _add(tracker: UniquenessTracker, start: int, n: int) -> None:
    numbers = pa.array(range(start + 2, start + 2 + n), pa.int64())
    tracker.add("k", numbers, [pa.array([(start + i) % 70 for i in range(n)], pa.int64())])


def test_after_the_first_flush_each_batch_goes_to_the_one_spill_file_at_once():
    tracker = UniquenessTracker(flush_rows=50)
    try:
        for start in range(0, 200, 20):
            _add(tracker, start, 20)
            spill = tracker.spills["k"]
            if start + 20 > 50:
                assert spill.pending_rows == 0  # nothing waits in memory once the keys spilled
        assert len(spill.files) == 1
        found, total = tracker.duplicates("k")
        assert total == 130 and found.column("prev").to_pylist()[:2] == [2, 3]
        assert pq.ParquetFile(spill.files[0]).metadata.num_rows == 200
    finally:
        tracker.close()


def test_spilled_keys_are_not_dictionary_encoded():
    # a dictionary of a million distinct keys cost the writer about 60 MB that the process kept
    tracker = UniquenessTracker(flush_rows=10)
    try:
        for start in range(0, 100, 25):
            _add(tracker, start, 25)
        path = tracker.spills["k"].files[0]
        tracker.duplicates("k")  # closes the file
        meta = pq.ParquetFile(path).metadata
        for g in range(meta.num_row_groups):
            for c in range(meta.num_columns):
                assert not any("DICTIONARY" in e for e in meta.row_group(g).column(c).encodings)
    finally:
        tracker.close()
