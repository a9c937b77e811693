"""Unique fields and the primary key, checked across a whole file in bounded memory.

Each batch appends ``(row_number, key...)`` to an in-memory list; past ``SPILL_ROWS`` rows the
list goes to an Arrow IPC file in a temporary directory, and every later batch goes straight to
that file, so memory stays bounded while streaming. ``duplicates`` then finds, per key, the rows
after the first and the row each repeats (the first ``limit`` of them, and how many in all): in
Arrow while there are at most ``flush_rows`` keys (the file is read back, memory-mapped), else
with DuckDB over a Parquet copy of the file (DuckDB itself spills beyond its memory limit). Keys
that only ever increased (sequential ids) need no search at all. Like frictionless, the later row
is blamed, and the note names the most recent earlier row with the same key ("the same as in the
row at position N").

The file is plain Arrow IPC, uncompressed: writing it costs about 8 ms of CPU a million keys, loads
no library (the Parquet writer it replaced cost about 25 MB of memory for its code and buffers,
and kept a million keys in memory before the first write), and reads back without a copy.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

if TYPE_CHECKING:
    import duckdb

SPILL_ROWS = 64 * 1024  # keys of one key held in memory before they go to its spill file


@dataclass
class KeySpill:
    """One key (a unique field, or the primary key fields) being collected."""

    name: str
    arity: int
    path: str | None = None  # the spill file, once keys went to disk
    writer: pa.ipc.RecordBatchFileWriter | None = None  # open on ``path`` until the keys are searched
    spilled_rows: int = 0
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    used: list[bool] = field(default_factory=list)  # key parts ever non-null
    increasing: bool = True  # every key so far above the one before (sequential ids): no duplicates
    last: object = None


class UniquenessTracker:
    """Collects keys batch by batch; finds duplicates at the end."""

    def __init__(self, *, memory_limit: str = "128MB", temp_dir: str | None = None,
                 flush_rows: int = 1_000_000, spill_rows: int = SPILL_ROWS):
        self._temp_dir = temp_dir
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._files = 0
        self._memory_limit = memory_limit
        self._flush_rows = flush_rows
        self._spill_rows = spill_rows
        self.spills: dict[str, KeySpill] = {}

    def _folder(self) -> str:
        if self._tmp is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="opendata-keys-", dir=self._temp_dir)
        return self._tmp.name

    def _connection(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            import duckdb  # only keys that spilled to disk need it (most files never do)

            self._folder()
            self._con = duckdb.connect(":memory:")
            self._con.execute(f"SET memory_limit='{self._memory_limit}'")
            self._con.execute(f"SET temp_directory='{self._tmp.name}'")
            self._con.execute("SET preserve_insertion_order=false")
        return self._con

    def add(self, name: str, row_numbers: pa.Array, keys: list[pa.Array], mask: pa.Array | None = None) -> None:
        """Append the rows where ``mask`` is true (all rows if None) under key ``name``."""
        spill = self.spills.setdefault(name, KeySpill(name, len(keys), used=[False] * len(keys)))
        cols = {"rn": row_numbers, **{f"k{i}": k for i, k in enumerate(keys)}}
        table = pa.table(cols)
        if mask is not None:
            table = table.filter(mask)
        if table.num_rows == 0:
            return
        for i in range(spill.arity):
            spill.used[i] = spill.used[i] or table.column(f"k{i}").null_count < table.num_rows
        if spill.increasing:
            spill.increasing, spill.last = _still_increasing(table, spill.last)
        spill.pending.append(table)
        spill.pending_rows += table.num_rows
        if spill.writer is not None or spill.pending_rows > self._spill_rows:
            self._spill(spill)

    def _spill(self, spill: KeySpill) -> None:
        """Write the pending keys to the key's spill file (opened on the first spill)."""
        if not spill.pending:
            return
        if spill.writer is None:
            self._files += 1
            spill.path = os.path.join(self._folder(), f"keys-{self._files}.arrow")
            spill.writer = pa.ipc.new_file(spill.path, spill.pending[0].schema)
        for table in spill.pending:
            spill.writer.write_table(table)
            spill.spilled_rows += table.num_rows
        spill.pending = []
        spill.pending_rows = 0

    def _close_writer(self, spill: KeySpill) -> None:
        if spill.writer is not None:
            spill.writer.close()
            spill.writer = None

    def duplicates(self, name: str, limit: int | None = None) -> tuple[pa.Table, int]:
        """The first ``limit`` rows repeating an earlier key (columns ``rn``, ``prev`` and the key
        columns, by ``rn``) and how many there are in all: a file repeating one key on every row
        yields ``limit`` rows, not one per row. Call it once per key, after the last ``add``."""
        spill = self.spills.get(name)
        empty = pa.table({"rn": pa.array([], pa.int64()), "prev": pa.array([], pa.int64())})
        if spill is None or (not spill.spilled_rows and not spill.pending) or spill.increasing:
            return empty, 0
        used = [f"k{i}" for i in range(spill.arity) if spill.used[i]]
        in_arrow = spill.spilled_rows + spill.pending_rows <= self._flush_rows  # few enough keys for Arrow
        if spill.writer is not None or not in_arrow:  # every key in the file
            self._spill(spill)
            self._close_writer(spill)
        if in_arrow:
            parts = list(spill.pending)
            if spill.path is not None:  # memory-mapped: read back without a copy
                parts.insert(0, pa.ipc.open_file(pa.memory_map(spill.path)).read_all())
            keys = pa.concat_tables(parts)
            if len(used) == 1 and not pa.types.is_struct(keys.schema.field(used[0]).type) \
                    and keys.column(used[0]).null_count == 0:
                found = _duplicates_arrow(keys.select(["rn", used[0]]).rename_columns(["rn", "k0"]))
            else:
                found = _duplicates_sorted(keys, used)
            return (found if limit is None else found.slice(0, limit)), found.num_rows
        keys = ", ".join(used)
        table = f"read_parquet('{_as_parquet(spill.path)}')"
        # PARTITION BY groups NULLs together, as Python compares (None, 1) == (None, 1)
        source = table
        if len(used) == 1:
            k = used[0]
            source = f"(SELECT * FROM {table} WHERE {k} IN (SELECT {k} FROM {table} GROUP BY {k} HAVING count(*) > 1))"
        found = (f"SELECT rn, prev, {keys} FROM (SELECT rn, {keys}, lag(rn) OVER (PARTITION BY {keys} "
                 f"ORDER BY rn) AS prev FROM {source}) WHERE prev IS NOT NULL")
        con = self._connection()
        total = con.execute(f"SELECT count(*) FROM ({found})").fetchall()[0][0]
        first = con.sql(f"{found} ORDER BY rn" + ("" if limit is None else f" LIMIT {int(limit)}"))
        return first.to_arrow_table(), int(total)

    def close(self) -> None:
        for spill in self.spills.values():
            self._close_writer(spill)
        if self._con is not None:
            self._con.close()
            self._con = None
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


def _as_parquet(path: str) -> str:
    """The spill file rewritten as Parquet, batch by batch, for DuckDB: it scans Parquet within its
    memory limit, where its scan of the Arrow file through pyarrow held about 350 MB more at 10M keys."""
    import pyarrow.parquet as pq

    out = path.removesuffix(".arrow") + ".parquet"
    with pa.OSFile(path) as source:  # read, not memory-mapped: the pages read are not kept
        reader = pa.ipc.open_file(source)
        with pq.ParquetWriter(out, reader.schema, compression="lz4", use_dictionary=False) as writer:
            for i in range(reader.num_record_batches):
                writer.write_batch(reader.get_batch(i))
    os.unlink(path)
    return out


def _still_increasing(table: pa.Table, last: object) -> tuple[bool, object]:
    """Whether a single, never-null key keeps strictly increasing (then it cannot repeat)."""
    key = table.column("k0").combine_chunks()
    others_null = all(table.column(c).null_count == table.num_rows for c in table.column_names[2:])
    if not others_null or key.null_count or not (pa.types.is_integer(key.type) or pa.types.is_string(key.type)):
        return False, None
    n = len(key)
    if n > 1 and not pc.all(pc.less(key.slice(0, n - 1), key.slice(1))).as_py():
        return False, None
    if last is not None and not pc.greater(key[0], pa.scalar(last, key.type)).as_py():
        return False, None
    return True, key[n - 1].as_py()


def _duplicates_arrow(table: pa.Table) -> pa.Table:
    """The same answer as the SQL query, in Arrow, for one non-null key that fits one flush."""
    # one hash kernel (a quarter of an Acero group-by's time on 1M keys), then only the repeating rows
    counts = pc.value_counts(table.column("k0"))
    dup_keys = counts.field("values").filter(pc.greater(counts.field("counts"), 1))
    if len(dup_keys) == 0:
        return pa.table({"rn": pa.array([], pa.int64()), "prev": pa.array([], pa.int64()),
                         "k0": pa.array([], table.schema.field("k0").type)})
    rows = table.filter(pc.is_in(table.column("k0"), value_set=dup_keys)).sort_by(
        [("k0", "ascending"), ("rn", "ascending")])
    rn = rows.column("rn").combine_chunks()
    key = rows.column("k0").combine_chunks()
    prev = rn.slice(0, len(rn) - 1)
    same = pc.equal(key.slice(1), key.slice(0, len(key) - 1))
    out = pa.table({"rn": rn.slice(1), "prev": prev, "k0": key.slice(1)}).filter(same)
    return out.sort_by([("rn", "ascending")])


def _duplicates_sorted(table: pa.Table, keys: list[str]) -> pa.Table:
    """Any key (several parts, nulls, structs): sort by key then row, compare neighbours."""
    cols = {"rn": table.column("rn")}
    for k in keys:
        col = table.column(k).combine_chunks()
        if pa.types.is_struct(col.type):
            for i in range(col.type.num_fields):
                cols[f"{k}_{i}"] = pc.struct_field(col, [i])
        else:
            cols[k] = col
    flat = pa.table(cols)
    parts = [c for c in flat.column_names if c != "rn"]
    rows = flat.sort_by([*[(c, "ascending") for c in parts], ("rn", "ascending")])
    rn = rows.column("rn").combine_chunks()
    if len(rn) < 2:
        return pa.table({"rn": pa.array([], pa.int64()), "prev": pa.array([], pa.int64())})
    same = pa.array([True] * (len(rn) - 1))
    for c in parts:
        col = rows.column(c).combine_chunks()
        a, b = col.slice(1), col.slice(0, len(col) - 1)
        eq = pc.fill_null(pc.equal(a, b), False)
        same = pc.and_(same, pc.or_(eq, pc.and_(pc.is_null(a), pc.is_null(b))))
    out = pa.table({"rn": rn.slice(1), "prev": rn.slice(0, len(rn) - 1),
                    **{k: rows.column(k).slice(1) for k in parts if k in table.column_names}}).filter(same)
    return out.sort_by([("rn", "ascending")])
