"""Reading a version's files back: a bad value deep in a large file is found and named by its row."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.core.readback import BATCH_ROWS, PublishedFiles, check_readback

SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "day", "type": "date"},
                     {"name": "at", "type": "datetime"}], "primaryKey": "id"}


def _files(tmp_path, days: list[int]) -> PublishedFiles:
    """A Parquet file of len(days) rows (days since 1970 as date32), its CSV and datapackage.json."""
    rng = random.Random(42)
    n = len(days)
    stamps = [dt.datetime(2020, 1, 1) + dt.timedelta(seconds=rng.randrange(10**8)) for _ in range(n)]
    table = pa.table({"id": pa.array(range(1, n + 1), pa.int64()), "day": pa.array(days, pa.int32()).cast(pa.date32()),
                      "at": pa.array(stamps, pa.timestamp("us"))})
    pq.write_table(table, tmp_path / "data.parquet")
    epoch = dt.date(1970, 1, 1)
    with open(tmp_path / "data.csv", "w", encoding="utf-8") as fh:
        fh.write("id,day,at\n")
        for i, (d, s) in enumerate(zip(days, stamps, strict=True), start=1):
            day = (epoch + dt.timedelta(days=d)).isoformat() if d > -719_000 else "2020-01-01"
            fh.write(f"{i},{day},{s.isoformat()}\n")
    package = {"name": "t", "resources": [{"name": "data", "path": "data.csv", "schema": SCHEMA}]}
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    return PublishedFiles(tmp_path / "data.parquet", tmp_path / "data.csv", tmp_path / "datapackage.json", n)


def test_a_date_no_reader_can_convert_in_a_later_batch_is_named_by_its_row(tmp_path):
    rng = random.Random(42)
    days = [rng.randrange(18_000, 20_000) for _ in range(3 * BATCH_ROWS)]
    bad = 2 * BATCH_ROWS + 17  # in the third batch: only the first batch is converted in full
    days[bad] = -719_893  # 0000-01-01: pyarrow's to_pylist() and pandas both fail on it
    problems = check_readback(_files(tmp_path, days), frictionless_rows=100)
    messages = [p.message for p in problems]
    assert any(f'to_pylist() fails in row {bad + 2} of field "day"' in m for m in messages), messages
    assert any(m.startswith("pandas:") for m in messages), messages


def test_files_every_reader_reads_have_no_problems(tmp_path):
    rng = random.Random(42)
    days = [rng.randrange(-700_000, 2_900_000) for _ in range(2 * BATCH_ROWS + 5)]  # years 53 to 9909
    assert check_readback(_files(tmp_path, days), frictionless_rows=100) == []


def test_the_parquet_check_keeps_no_row_group_it_has_read(tmp_path, monkeypatch):
    # pyarrow's pre-buffering kept the compressed bytes of every row group read so far until the
    # end: for 10M rows about the file's size (240 MB) on top of the batches
    from opendata.core import readback

    rng = random.Random(42)
    n, group = 24 * 16_384, 16_384
    text = pa.array([rng.randbytes(96).hex() for _ in range(n)], pa.string())  # incompressible
    table = pa.table({"id": pa.array(range(1, n + 1), pa.int64()), "day": pa.array([18_000] * n, pa.int32()).cast(
        pa.date32()), "text": text})
    pq.write_table(table, tmp_path / "data.parquet", row_group_size=group, compression="zstd")
    size = (tmp_path / "data.parquet").stat().st_size
    del table, text
    held: list[int] = []
    ends_convert = readback._ends_convert

    def allocated() -> int:  # every pool: pyarrow reads ahead through the one it started with
        pools = [pa.system_memory_pool()]
        for name in ("jemalloc_memory_pool", "mimalloc_memory_pool"):
            with contextlib.suppress(NotImplementedError, AttributeError):
                pools.append(getattr(pa, name)())
        return sum(p.bytes_allocated() for p in pools)

    def sampled(column: pa.Array) -> bool:  # called once a batch after the first
        held.append(allocated())
        return ends_convert(column)

    monkeypatch.setattr(readback, "_ends_convert", sampled)
    monkeypatch.setattr(readback, "BATCH_ROWS", group)
    files = PublishedFiles(tmp_path / "data.parquet", tmp_path / "data.csv", tmp_path / "datapackage.json", n)
    before = allocated()
    assert readback._check_parquet(files) == []
    assert len(held) == 23 and max(held) - before < size / 4, (before, held, size)
