"""The prepared row database's bytes against its size cap, as copies are added (prepare.py)."""

from __future__ import annotations

import duckdb


class Budget:
    """The database's bytes against its cap: a copy is built while one more (about the bytes of the
    last copy; before any, the row table's and a third, as a copy in another order compresses its row
    id and primary key worse; a grouped copy, see ``grouped_estimate``) still fits, with a few blocks
    to spare for the metadata. A default copy that outgrows its estimate is dropped again."""

    SPARE = 1 << 20

    def __init__(self, con: duckdb.DuckDBPyConnection, cap: float, n_columns: int):
        self.con, self.cap, self.n_columns = con, cap - self.SPARE, n_columns
        self.used = self.rows_bytes = self._measure()  # the row table and the small count tables
        self.per_copy = self.used * 4 // 3

    def _measure(self) -> int:
        self.con.execute("CHECKPOINT")  # written to blocks, so the count below is what the file holds
        used, size = self.con.execute("SELECT used_blocks, block_size FROM pragma_database_size()").fetchone()
        return int(used) * int(size)

    def room(self, nbytes: float | None = None) -> bool:
        """True while one more copy (or ``nbytes``) fits."""
        return self.used + (self.per_copy if nbytes is None else nbytes) <= self.cap

    def fits_copies(self, n: int) -> bool:
        """True when ``n`` full copies fit, as for small versions."""
        return self.room(n * self.per_copy)

    def over(self) -> bool:
        """True when the database has outgrown its cap."""
        return self.used > self.cap

    def grouped_estimate(self) -> int:
        """Bytes of a copy grouped by a low-cardinality column: within each group the rows keep the
        row table's order, so it compresses about as well (15.8 and 16.5 MiB against 16.0 at 1M rows
        of the benchmarks), and a sixteenth to spare."""
        return self.rows_bytes * 17 // 16

    def thin_estimate(self, n_columns: int) -> int:
        """Bytes of a copy of ``n_columns`` columns: their share of the row table's, and a third."""
        return self.rows_bytes * n_columns // self.n_columns * 4 // 3

    def spent(self, *, full: bool = True) -> int:
        """Measure what the last step cost; a full copy's cost is the estimate of the next."""
        before, self.used = self.used, self._measure()
        if full:
            self.per_copy = max(self.used - before, 0)
        return max(self.used - before, 0)
