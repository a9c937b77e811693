"""Build, at publish time, the per-version DuckDB database the row-query engine reads.

The database holds the published rows once, sorted by the primary key with a dense row id
(``__od_rid``) that is the tiebreaker of every sort and the key of keyset pagination; copies of the
table physically sorted by a few columns (ascending only: a descending page reads the same copy
with ORDER BY, and DuckDB's top-N skips every row group whose min/max cannot reach the page) so a
sorted page never sorts all matches; copies grouped by a low-cardinality column; and exact value
counts for low-cardinality columns so common totals and group-by counts cost nothing. ``q`` is
matched column by column (no stored text column). DuckDB builds it within ``memory_limit_mb``,
spilling to a temporary folder beside the output: memory stays bounded whatever the row count.

Each copy costs about the row table's bytes again, so the copies chosen by default are built
only while the database stays within ``MAX_SIZE_RATIO`` times the Parquet file (or
``MIN_SIZE_CAP`` bytes, so that small versions keep every copy): sorted copies first, as they
replace a sort of every match by a streamed read, a gain that grows with the row count (at 1M
rows, in-process: a date range sorted by date 2.8 against 19 CPU ms), then grouped copies, which
save a constant share of a scan (2.4-2.5x on an equality filter with a sort or a group-by).

When full sorted copies of the default sort columns do not all fit (at 10M rows of the benchmark
only one did), each gets a thin copy instead: the sort column, the row id and up to four columns of
2 to 64 values, sorted like a full copy, with row counts per block of it and values of those
columns; plus one ART index on the row table's row id. A sorted page filtered on those columns reads
its row ids from the thin copy, then its rows by the index; its total sums the blocks (sql.py). At
10M rows a thin copy took 41-51 MiB and 3.5-4.4 s against 185 MiB and 17 s for a full one, the
index 77 MiB and 2.1 s; a page by category sorted by amount took 1.5 + 3 CPU ms against 115, while
a full copy saves only the 3 ms of the second step; totals took 1-2 CPU ms against 7-38. DuckDB
builds the index in memory (it failed under 64 MB at 10M rows): one estimated over half of
``memory_limit_mb`` is left out with the thin copies, and the version keeps the plain plans.
Copies a schema or the caller names (``x-sortable``, ``x-cluster``, the arguments) are always built.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from opendata.core.errors import Problem, SchemaError
from opendata.core.rowquery.budget import Budget
from opendata.core.rowquery.cursor import value_to_text
from opendata.core.tableschema import TableSchema

FORMAT_VERSION = 1
ROWS_TABLE = "__od_rows"
META_TABLE = "__od_meta"
RID = "__od_rid"
TEXT = "__od_q"  # the lower-cased text of versions prepared before text_columns (read, never written)
MAX_COUNTED_DISTINCT = 1000  # columns with at most this many values get precomputed counts
DEFAULT_SORTED_COLUMNS = 2  # sortable columns chosen when the schema marks none (x-sortable)
DEFAULT_CLUSTERED_COLUMNS, MAX_CLUSTER_DISTINCT = 2, 64
THIN_FILTER_COLUMNS = 4  # columns with the fewest (2 to 64) values that a thin sorted copy carries
RID_INDEX, INDEX_BYTES_PER_ROW = "__od_rid_index", 10  # its ART index took 8.1 bytes a row at 10M rows
BLOCK_ROWS = 122_880  # rows of a thin copy per counted block: a DuckDB row group, which a rowid range skips
MAX_BLOCK_CELLS = 200_000  # counted (block, values) cells of a thin copy at most
DEFAULT_MEMORY_LIMIT_MB = 512  # DuckDB's own buffers; it spills beyond (its default is 80% of the machine)
MAX_SIZE_RATIO = 2.0  # default copies stop before the database outgrows this many times the Parquet file
MIN_SIZE_CAP = 16 * 2**20  # ...or this many bytes: below it a copy costs little whatever the ratio
_SORTABLE_TYPES = ("integer", "number", "date", "datetime", "year", "time")


def quote_ident(name: str) -> str:
    """A DuckDB identifier for a name taken from the schema (never from the client)."""
    return '"' + name.replace('"', '""') + '"'


def sorted_table(index: int) -> str:
    return f"__od_sorted_{index}_asc"


def counts_table(index: int) -> str:
    return f"__od_counts_{index}"


def prepare_version(parquet_path: str | Path, schema: TableSchema, out_path: str | Path, *,
                    sort_columns: Sequence[str] | None = None, cluster_columns: Sequence[str] | None = None,
                    thin_columns: Sequence[str] | None = None,
                    threads: int | None = None, memory_limit_mb: int = DEFAULT_MEMORY_LIMIT_MB) -> Path:
    """Build the row-query database for one published version; durable and atomic at ``out_path``.

    ``sort_columns`` names columns that get physically sorted copies (fast sorted pages); by
    default the fields marked ``"x-sortable": true``, else the first two numeric or date fields
    outside the primary key. ``cluster_columns`` names columns that get a copy grouped by their
    value (fast equality filters and their totals); by default the fields marked
    ``"x-cluster": true``, else the two columns with the fewest (2 to 64) distinct values.
    ``thin_columns`` names columns that get thin sorted copies (always built); by default the
    default sort columns get them when their full copies would not all fit the size cap.
    DuckDB keeps to ``memory_limit_mb`` and spills sorts to a folder next to ``out_path``.
    """
    parquet_path, out_path = Path(parquet_path), Path(out_path)
    tmp = out_path.with_name(f".{out_path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    spill = out_path.with_name(tmp.name + ".spill")
    config: dict[str, Any] = {"preserve_insertion_order": True, "memory_limit": f"{int(memory_limit_mb)}MB",
                              "temp_directory": str(spill)}
    if threads:
        config["threads"] = threads
    con = duckdb.connect(str(tmp), config=config)
    try:
        con.execute("SET enable_progress_bar = false")  # not in the logs of a job
        meta = _build(con, parquet_path, schema, sort_columns, cluster_columns, thin_columns, memory_limit_mb)
        con.execute(f"CREATE TABLE {META_TABLE} (key VARCHAR, value VARCHAR)")
        con.execute(f"INSERT INTO {META_TABLE} VALUES ('meta', ?)", [json.dumps(meta, ensure_ascii=False)])
        con.execute("CHECKPOINT")
        con.close()
        _fsync(tmp)
        os.replace(tmp, out_path)
        _fsync(out_path.parent)
    except BaseException:
        con.close()
        for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
            leftover.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(spill, ignore_errors=True)
    return out_path


def read_meta(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The metadata ``prepare_version`` stored in a prepared database."""
    row = con.execute(f"SELECT value FROM {META_TABLE} WHERE key = 'meta'").fetchone()
    meta = json.loads(row[0])
    if meta.get("format") != FORMAT_VERSION:
        raise SchemaError(f"prepared row database has format {meta.get('format')}, expected {FORMAT_VERSION}")
    return meta


def _build(con: duckdb.DuckDBPyConnection, parquet_path: Path, schema: TableSchema,
           sort_columns: Sequence[str] | None, cluster_columns: Sequence[str] | None,
           thin_columns: Sequence[str] | None, memory_limit_mb: int) -> dict[str, Any]:
    literal = "'" + str(parquet_path).replace("'", "''") + "'"  # a view cannot take parameters
    parquet_types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()}
    numbered = "file_row_number" not in parquet_types  # file order breaks primary-key ties
    con.execute(f"CREATE TEMP VIEW __od_src AS SELECT * FROM read_parquet({literal}"
                f"{', file_row_number = true' if numbered else ''})")
    columns, problems = [], []
    for f in schema.fields:
        if f.name in parquet_types:
            columns.append({"name": f.name, "type": parquet_types[f.name], "schema_type": f.type})
        elif not (f.mask and f.mask.method == "drop"):
            problems.append(Problem("schema-error", f"field '{f.name}' is not in the Parquet file",
                                    file=str(parquet_path), path=f"fields/{schema.field_names.index(f.name)}"))
        if f.name.startswith("__od_"):
            problems.append(Problem("schema-error", f"field name '{f.name}' is reserved", path="fields"))
    if problems:
        raise SchemaError(f"{parquet_path.name}: the Parquet file does not match its Table Schema", problems=problems)
    names = [c["name"] for c in columns]
    pk = [k for k in schema.primary_key if k in names]
    order = ", ".join([f"{quote_ident(k)} NULLS LAST" for k in pk] + (["file_row_number"] if numbered else [])) or "1"
    select = ", ".join(quote_ident(n) for n in names)
    text_cols = [c["name"] for c in columns if c["type"] == "VARCHAR"]  # what q searches, lower-cased
    # row_number over the primary key (file order otherwise) is the stable row id of this version;
    # a file already in that order (most are: ids written as they were issued) is read straight in,
    # its row number the row id, instead of sorted twice (a third of this step's CPU at 1M rows)
    if numbered and _in_file_order(con, pk):
        # on one thread: parallel inserts write row groups ahead and merge them at the checkpoint,
        # which left a fifth of the file free blocks (and took more CPU) at 1M rows
        threads = con.execute("SELECT current_setting('threads')").fetchone()[0]
        con.execute("SET threads = 1")
        con.execute(f"""CREATE TABLE {ROWS_TABLE} AS
            SELECT file_row_number::BIGINT AS {RID}, {select} FROM __od_src""")
        con.execute(f"SET threads = {int(threads)}")
    else:
        con.execute(f"""CREATE TABLE {ROWS_TABLE} AS
            SELECT (row_number() OVER (ORDER BY {order}) - 1)::BIGINT AS {RID}, {select}
            FROM __od_src ORDER BY {RID}""")
    n_rows = con.execute(f"SELECT count(*) FROM {ROWS_TABLE}").fetchone()[0]
    missing = con.execute("SELECT " + ", ".join(f"count(*) - count({quote_ident(n)})" for n in names)
                          + f" FROM {ROWS_TABLE}").fetchone()
    for c, n_missing in zip(columns, missing, strict=True):
        c["nulls"] = n_missing
    counted, distinct = {}, {}
    approx = con.execute("SELECT " + ", ".join(f"approx_count_distinct({quote_ident(n)})" for n in names)
                         + f" FROM {ROWS_TABLE}").fetchone()  # one scan for every column
    for i, col in enumerate(names):
        q = quote_ident(col)
        if approx[i] > MAX_COUNTED_DISTINCT * 2:
            continue
        con.execute(f"""CREATE TABLE {counts_table(i)} AS SELECT {q} AS value, count(*)::BIGINT AS n
            FROM {ROWS_TABLE} GROUP BY ALL ORDER BY value NULLS LAST""")
        distinct[col] = con.execute(f"SELECT count(*) FROM {counts_table(i)}").fetchone()[0]
        if distinct[col] > MAX_COUNTED_DISTINCT:
            con.execute(f"DROP TABLE {counts_table(i)}")
            continue
        counted[col] = counts_table(i)
    budget = Budget(con, max(MAX_SIZE_RATIO * parquet_path.stat().st_size, MIN_SIZE_CAP), len(names) + 1)
    sorted_meta, skipped = {}, []
    chosen, named = _choose_sorted(schema, columns, pk, sort_columns)
    thin_named = None if thin_columns is None else _named(thin_columns, names, "thin_columns")
    if named or budget.fits_copies(len(chosen)):
        thin_chosen = thin_named or []
        for i, col in enumerate(chosen):
            if not named and not budget.room():
                skipped.append({"copy": "sorted", "column": col})
                continue
            con.execute(f"""CREATE TABLE {sorted_table(i)} AS SELECT {RID}, {select} FROM {ROWS_TABLE}
                ORDER BY {quote_ident(col)} ASC NULLS LAST, {RID}""")
            budget.spent()
            sorted_meta[col] = {"asc": sorted_table(i)}
    else:  # a full copy of each does not fit: thin copies, a fraction of the bytes
        thin_chosen = chosen if thin_named is None else thin_named
    thin = _build_thin(con, budget, thin_chosen, names, pk, distinct, n_rows, skipped, named=thin_named is not None,
                       memory_mb=memory_limit_mb)
    clustered = {}
    chosen, named = _choose_clustered(schema, names, pk, distinct, cluster_columns)
    estimate = budget.grouped_estimate()
    for i, col in enumerate(chosen):
        if not named and not budget.room(estimate):
            skipped.append({"copy": "clustered", "column": col})
            continue
        # rows grouped by one low-cardinality column: an equality filter on it reads only its
        # row groups (min/max pruning), for the page, the total and aggregates alike
        table = f"__od_clustered_{i}"
        con.execute(f"""CREATE TABLE {table} AS SELECT {RID}, {select} FROM {ROWS_TABLE}
            ORDER BY {quote_ident(col)} NULLS LAST, {RID}""")
        estimate = budget.spent(full=False)
        if not named and budget.over():  # the estimate fell short: the cap holds, the copy goes
            con.execute(f"DROP TABLE {table}")
            budget.spent(full=False)
            skipped.append({"copy": "clustered", "column": col})
            continue
        clustered[col] = table
    con.execute("DROP VIEW __od_src")
    return {
        "format": FORMAT_VERSION,
        "rows": n_rows,
        "columns": columns,
        "primary_key": pk,
        "text": bool(text_cols),
        "text_columns": text_cols,
        "sorted": sorted_meta,
        "thin": thin,
        "clustered": clustered,
        "counted": counted,
        "skipped_copies": skipped,  # default copies left out to keep within the size cap
        "schema": schema.to_dict(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def _build_thin(con: duckdb.DuckDBPyConnection, budget: Budget, chosen: list[str], names: list[str],
                pk: list[str], distinct: dict[str, int], n_rows: int, skipped: list[dict[str, str]], *,
                named: bool, memory_mb: int) -> dict[str, Any]:
    """Thin sorted copies of the chosen columns (sort column, row id, the columns with fewest values)
    and the index on the row id that fetches their pages' rows; those left out to keep within the cap
    (unless ``named``) or because the index does not fit in memory are added to ``skipped``."""
    filters = sorted((c for c in names if c not in pk[:1] and 2 <= distinct.get(c, 0) <= MAX_CLUSTER_DISTINCT),
                     key=lambda c: (distinct[c], names.index(c)))
    if not chosen:
        return {}
    # the index first: without it a page's rows cost a join that reads every column (20 CPU ms at
    # 10M rows, against 3 with it); it and one thin copy must fit, or no thin copy is built
    first = 2 + min(len(filters), THIN_FILTER_COLUMNS)  # sort column, row id, filter columns
    if not named and not budget.room(INDEX_BYTES_PER_ROW * n_rows + budget.thin_estimate(first)):
        skipped.extend({"copy": "thin", "column": col} for col in chosen)
        return {}
    # DuckDB builds the index in memory (a 64 MB limit failed at 10M rows): beyond half the limit,
    # or if it fails anyway, the version keeps the plain plans rather than fail its publication
    try:
        if INDEX_BYTES_PER_ROW * n_rows > memory_mb * 2**20 // 2:
            raise duckdb.OutOfMemoryException("the row-id index would take more than half the memory limit")
        con.execute(f"CREATE INDEX {RID_INDEX} ON {ROWS_TABLE} ({RID})")
    except duckdb.OutOfMemoryException:
        skipped.extend({"copy": "thin", "column": col, "reason": "memory"} for col in chosen)
        return {}
    budget.spent(full=False)
    thin, last = {}, 0
    for i, col in enumerate(chosen):
        kept = [col, *[c for c in filters if c != col][:THIN_FILTER_COLUMNS]]
        if thin and not named and not budget.room(last):  # the first was counted with the index
            skipped.append({"copy": "thin", "column": col})
            continue
        table = f"__od_thin_{i}"
        con.execute(f"""CREATE TABLE {table} AS SELECT {", ".join(quote_ident(c) for c in kept)}, {RID}
            FROM {ROWS_TABLE} ORDER BY {quote_ident(col)} ASC NULLS LAST, {RID}""")
        thin[col] = {"table": table, "columns": kept}
        blocks = _build_blocks(con, table, col, kept[1:], names, distinct, n_rows)
        if blocks:
            thin[col]["blocks"] = blocks
        last = budget.spent(full=False)
    return thin


def _build_blocks(con: duckdb.DuckDBPyConnection, table: str, col: str, columns: list[str], names: list[str],
                  distinct: dict[str, int], n_rows: int) -> dict[str, Any] | None:
    """Row counts of a thin copy per block of ``BLOCK_ROWS`` rows (in its order) and values of its other
    columns, with each block's range of the sort column: a count filtered on those columns and by a
    range of the sort column sums the blocks inside the range and counts the rows of the others only
    (at 10M rows, a category and an amount range counted 1.2M rows of category, 25 CPU ms, in the copy)."""
    if any(n.lower() == "rowid" for n in names):
        return None  # "rowid" would name the column, not the row's position
    kept, cells = [], -(-n_rows // BLOCK_ROWS)
    for c in columns:
        if cells * distinct[c] > MAX_BLOCK_CELLS:
            break
        kept.append(c)
        cells *= distinct[c]
    s = quote_ident(col)
    bounds = con.execute(f"""SELECT rowid // {BLOCK_ROWS} AS b, min({s}), max({s}), count({s}) < count(*)
        FROM {table} GROUP BY b ORDER BY b""").fetchall()
    # the row ids of a table written in one statement are the rows' positions, so blocks follow the sort
    ranges = [(lo, hi) for _, lo, hi, _ in bounds if lo is not None]
    if [b[0] for b in bounds] != list(range(len(bounds))) or any(
            a[1] > b[0] for a, b in zip(ranges, ranges[1:], strict=False)):
        return None
    cols = "".join(f", {quote_ident(c)}" for c in kept)
    con.execute(f"""CREATE TABLE {table}_blocks AS SELECT rowid // {BLOCK_ROWS} AS __od_block{cols},
        count(*)::BIGINT AS __od_n FROM {table} GROUP BY ALL ORDER BY ALL""")
    return {"table": f"{table}_blocks", "rows": BLOCK_ROWS, "columns": kept,
            "bounds": [[value_to_text(lo), value_to_text(hi), bool(nulls)] for _, lo, hi, nulls in bounds]}


def _in_file_order(con: duckdb.DuckDBPyConnection, pk: list[str]) -> bool:
    """True when the file's rows are already in row-id order: no primary key, or a one-column key
    with no missing value that rises strictly from each row to the next."""
    if not pk:
        return True
    if len(pk) > 1:
        return False
    k = quote_ident(pk[0])
    rising, complete = con.execute(f"""SELECT coalesce(bool_and(rises), true), count(*) = count(key) FROM (
        SELECT {k} AS key, {k} > lag({k}) OVER (ORDER BY file_row_number) AS rises FROM __od_src)""").fetchone()
    return bool(rising and complete)


def _named(requested: Sequence[str], names: list[str], param: str) -> list[str]:
    unknown = [c for c in requested if c not in names]
    if unknown:
        raise SchemaError(f"{param} names unknown columns: {', '.join(unknown)}")
    return list(dict.fromkeys(requested))


def _choose_sorted(schema: TableSchema, columns: list[dict[str, Any]], pk: list[str],
                   requested: Sequence[str] | None) -> tuple[list[str], bool]:
    """The columns that get sorted copies, and whether they were named (True) or chosen by default."""
    names = [c["name"] for c in columns]
    if requested is not None:
        return _named(requested, names, "sort_columns"), True
    marked = [f.name for f in schema.fields if f.descriptor.get("x-sortable") is True and f.name in names]
    if marked:
        return marked, True
    candidates = [c["name"] for c in columns
                  if c["schema_type"] in _SORTABLE_TYPES and c["name"] not in pk[:1]]
    return candidates[:DEFAULT_SORTED_COLUMNS], False


def _choose_clustered(schema: TableSchema, names: list[str], pk: list[str], distinct: dict[str, int],
                      requested: Sequence[str] | None) -> tuple[list[str], bool]:
    """The columns that get grouped copies, and whether they were named (True) or chosen by default."""
    if requested is not None:
        return _named(requested, names, "cluster_columns"), True
    marked = [f.name for f in schema.fields if f.descriptor.get("x-cluster") is True and f.name in names]
    if marked:
        return marked, True
    candidates = [c for c in names if c not in pk[:1] and 2 <= distinct.get(c, 0) <= MAX_CLUSTER_DISTINCT]
    return sorted(candidates, key=lambda c: (distinct[c], names.index(c)))[:DEFAULT_CLUSTERED_COLUMNS], False


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
