"""Unique fields and the primary key, checked across a whole file in bounded memory.

Each batch appends ``(row_number, key...)`` to an in-memory list; past ``flush_rows`` rows the
list goes to a Parquet file in a temporary directory, and every later batch goes straight to
that file as a row group of its own, so memory stays bounded while streaming. The file is written
without dictionary encoding: keys are mostly distinct, and the writer's dictionary of a million
keys took about 60 MB that the process kept after the file was closed.
``duplicates`` then finds, per key, the rows after the first and the row each repeats (the first
``limit`` of them, and how many in all): in Arrow
when everything stayed in memory, else with DuckDB over the Parquet files (DuckDB itself spills
beyond its memory limit). Keys that only ever increased (sequential ids) need no search at all. Like frictionless, the later row is blamed, and the note names the most
recent earlier row with the same key ("the same as in the row at position N").
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
    import pyarrow.parquet as pq


@dataclass
class KeySpill:
    """One key (a unique field, or the primary key fields) being collected."""

    name: str
    arity: int
    files: list[str] = field(default_factory=list)
    writer: pq.ParquetWriter | None = None  # open on files[-1] once the keys spilled
    pending: list[pa.Table] = field(default_factory=list)
    pending_rows: int = 0
    used: list[bool] = field(default_factory=list)  # key parts ever non-null
    increasing: bool = True  # every key so far above the one before (sequential ids): no duplicates
    last: object = None


class UniquenessTracker:
    """Collects keys batch by batch; finds duplicates at the end."""

    def __init__(self, *, memory_limit: str = "128MB", temp_dir: str | None = None,
                 flush_rows: int = 1_000_000):
        self._temp_dir = temp_dir
        self._tmp: tempfile.TemporaryDirectory | None = None
        self._con: duckdb.DuckDBPyConnection | None = None
        self._files = 0
        self._memory_limit = memory_limit
        self._flush_rows = flush_rows
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
        if spill.writer is not None or spill.pending_rows > self._flush_rows:
            self._flush(spill)

    def _flush(self, spill: KeySpill) -> None:
        """Write the pending keys to the key's spill file (opened on the first flush), batch by batch."""
        if not spill.pending:
            return
        if spill.writer is None:
            import pyarrow.parquet as pq

            self._files += 1
            path = os.path.join(self._folder(), f"keys-{self._files}.parquet")
            spill.writer = pq.ParquetWriter(path, spill.pending[0].schema, compression="lz4",
                                            use_dictionary=False)
            spill.files.append(path)
        for table in spill.pending:  # no concatenated copy
            spill.writer.write_table(table)
        spill.pending = []
        spill.pending_rows = 0

    def _close_writer(self, spill: KeySpill) -> None:
        if spill.writer is not None:
            spill.writer.close()
            spill.writer = None

    def duplicates(self, name: str, limit: int | None = None) -> tuple[pa.Table, int]:
        """The first ``limit`` rows repeating an earlier key (columns ``rn``, ``prev`` and the key
        columns, by ``rn``) and how many there are in all: a file repeating one key on every row
        yields ``limit`` rows, not one per row."""
        spill = self.spills.get(name)
        empty = pa.table({"rn": pa.array([], pa.int64()), "prev": pa.array([], pa.int64())})
        if spill is None or (not spill.files and not spill.pending) or spill.increasing:
            return empty, 0
        used = [f"k{i}" for i in range(spill.arity) if spill.used[i]]
        if not spill.files:  # everything stayed in memory: Arrow
            pending = pa.concat_tables(spill.pending)
            if len(used) == 1 and not pa.types.is_struct(pending.schema.field(used[0]).type) \
                    and pending.column(used[0]).null_count == 0:
                found = _duplicates_arrow(pending.select(["rn", used[0]]).rename_columns(["rn", "k0"]))
            else:
                found = _duplicates_sorted(pending, used)
            return (found if limit is None else found.slice(0, limit)), found.num_rows
        self._flush(spill)
        self._close_writer(spill)
        keys = ", ".join(used)
        table = "read_parquet([" + ", ".join(f"'{f}'" for f in spill.files) + "])"
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
