"""Publish-time preparation: atomic output, checked against the schema, row ids and counts."""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.core.errors import SchemaError
from opendata.core.rowquery import RowQueryEngine, prepare_version
from opendata.core.rowquery.prepare import read_meta
from opendata.core.tableschema import load_table_schema
from tests.core.rowquery.builders import SECRET, SMALL_SCHEMA


def _parquet(tmp_path, table: pa.Table):
    path = tmp_path / "data.parquet"
    pq.write_table(table, path, compression="zstd")
    return path


def test_prepare_writes_only_the_final_file(tmp_path):
    parquet = _parquet(tmp_path, pa.table({"id": [3, 1, 2], "v": ["c", "a", "b"]}))
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "v"}], "primaryKey": "id"})
    out = prepare_version(parquet, schema, tmp_path / "v.duckdb")
    assert out == tmp_path / "v.duckdb"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "v.duckdb"]
    con = duckdb.connect(str(out), read_only=True)
    try:
        meta = read_meta(con)
        assert meta["rows"] == 3 and meta["primary_key"] == ["id"]
        assert con.execute("SELECT __od_rid, id FROM __od_rows").fetchall() == [(0, 1), (1, 2), (2, 3)]
        assert meta["counted"] == {"id": "__od_counts_0", "v": "__od_counts_1"}
    finally:
        con.close()


def test_without_a_primary_key_rows_keep_their_file_order(tmp_path):
    parquet = _parquet(tmp_path, pa.table({"v": ["c", "a", "b", "a"]}))
    out = prepare_version(parquet, load_table_schema({"fields": [{"name": "v"}]}), tmp_path / "v.duckdb")
    engine = RowQueryEngine(lambda v: out, SECRET)
    try:
        assert [r[0] for r in engine.query("v", {}).rows] == ["c", "a", "b", "a"]
        assert engine.query("v", {"sort": "v", "limit": "2"}).rows == (("a",), ("a",))
    finally:
        engine.close()


def test_a_field_missing_from_the_parquet_file_is_a_schema_error(tmp_path):
    parquet = _parquet(tmp_path, pa.table({"id": [1]}))
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "gone"}]})
    with pytest.raises(SchemaError) as info:
        prepare_version(parquet, schema, tmp_path / "v.duckdb")
    assert "gone" in str(info.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet"]  # nothing half-written


def test_a_dropped_masked_field_may_be_absent(tmp_path):
    parquet = _parquet(tmp_path, pa.table({"id": [1, 2]}))
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"},
                                           {"name": "idno", "x-mask": {"method": "drop"}}]})
    out = prepare_version(parquet, schema, tmp_path / "v.duckdb")
    engine = RowQueryEngine(lambda v: out, SECRET)
    try:
        assert engine.describe("v")["columns"] == [{"name": "id", "type": "BIGINT", "schema_type": "integer", "nulls": 0}]
        with pytest.raises(Exception, match="idno"):
            engine.query("v", {"idno": "1"})
    finally:
        engine.close()


def test_reserved_field_names_and_unknown_sort_columns_are_refused(tmp_path):
    parquet = _parquet(tmp_path, pa.table({"__od_rid": [1]}))
    with pytest.raises(SchemaError, match="reserved"):
        prepare_version(parquet, load_table_schema({"fields": [{"name": "__od_rid"}]}), tmp_path / "v.duckdb")
    parquet = _parquet(tmp_path, pa.table({"id": [1]}))
    with pytest.raises(SchemaError, match="nope"):
        prepare_version(parquet, load_table_schema({"fields": [{"name": "id"}]}), tmp_path / "v.duckdb",
                        sort_columns=["nope"])


def test_sorted_copies_follow_x_sortable_or_default_to_numeric_and_date_fields(versions, tmp_path):
    con = duckdb.connect(str(versions["small"]), read_only=True)
    try:
        assert sorted(read_meta(con)["sorted"]) == ["amount", "d"]
    finally:
        con.close()
    descriptor = {**SMALL_SCHEMA, "fields": [dict(f) for f in SMALL_SCHEMA["fields"]]}
    descriptor["fields"][7]["x-sortable"] = True  # qty
    from tests.core.rowquery.builders import make_small_table

    parquet = _parquet(tmp_path, make_small_table(50))
    marked = prepare_version(parquet, load_table_schema(descriptor), tmp_path / "m.duckdb")
    default = prepare_version(parquet, load_table_schema(SMALL_SCHEMA), tmp_path / "d.duckdb")
    for path, expected in ((marked, ["qty"]), (default, ["d", "ts"])):
        con = duckdb.connect(str(path), read_only=True)
        try:
            assert list(read_meta(con)["sorted"]) == expected
        finally:
            con.close()


def test_grouped_copies_default_to_the_fewest_valued_columns(versions):
    con = duckdb.connect(str(versions["wide"]), read_only=True)
    try:
        assert list(read_meta(con)["clustered"]) == ["cat"]  # 8 values; id and amount have too many
    finally:
        con.close()


def _tables(path) -> list[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return sorted(r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall())
    finally:
        con.close()


def test_each_sorted_column_has_one_ascending_copy_and_no_stored_text_column(versions):
    tables = _tables(versions["small"])
    assert [t for t in tables if t.startswith("__od_sorted_")] == ["__od_sorted_0_asc", "__od_sorted_1_asc"]
    con = duckdb.connect(str(versions["small"]), read_only=True)
    try:
        columns = [r[0] for r in con.execute("DESCRIBE __od_rows").fetchall()]
        assert "__od_q" not in columns
        assert read_meta(con)["text_columns"] == ["code", "name", "cat", "note"]
    finally:
        con.close()


def _make_old_format(path) -> None:
    """Turn a prepared version into what earlier releases built: a descending copy per sorted column
    and the lower-cased text of every text column stored in ``__od_q``."""
    con = duckdb.connect(str(path))
    try:
        meta = read_meta(con)
        text = ", ".join(f'"{c}"' for c in meta.pop("text_columns"))
        con.execute("ALTER TABLE __od_rows ADD COLUMN __od_q VARCHAR")
        con.execute(f"UPDATE __od_rows SET __od_q = lower(concat_ws(' ', {text}))")
        for i, (column, copies) in enumerate(meta["sorted"].items()):
            copies["desc"] = f"__od_sorted_{i}_desc"
            con.execute(f"CREATE TABLE {copies['desc']} AS SELECT * FROM {copies['asc']} "
                        f'ORDER BY "{column}" DESC NULLS LAST, __od_rid')
        con.execute("UPDATE __od_meta SET value = ? WHERE key = 'meta'", [json.dumps(meta, ensure_ascii=False)])
        con.execute("CHECKPOINT")
    finally:
        con.close()


@pytest.mark.parametrize("args", [{"sort": "-amount"}, {"sort": "-d", "cat": "甲类"}, {"q": "整改"},
                                  {"q": "pending review", "sort": "-amount"}, {"q": "acme 乙类"}])
def test_versions_prepared_by_earlier_releases_answer_as_new_ones(tmp_path, args):
    from tests.core.rowquery.builders import all_rows, build_version, make_small_table

    new = build_version(tmp_path, "new", make_small_table(), SMALL_SCHEMA, sort_columns=["amount", "d"])
    old = build_version(tmp_path, "old", make_small_table(), SMALL_SCHEMA, sort_columns=["amount", "d"])
    _make_old_format(old)
    engine = RowQueryEngine({"new": new, "old": old}.get, SECRET, result_cache=0)
    try:
        expected = all_rows(engine, "new", {**args, "limit": "9"})
        assert expected  # every case finds rows
        assert all_rows(engine, "old", {**args, "limit": "9"}) == expected
        assert engine.query("old", args).total == engine.query("new", args).total
    finally:
        engine.close()


def test_a_large_build_keeps_to_its_memory_limit_by_spilling_and_leaves_nothing_behind(tmp_path):
    from tests.core.rowquery.builders import WIDE_SCHEMA, make_wide_table

    parquet = _parquet(tmp_path, make_wide_table(300_000))
    out = prepare_version(parquet, load_table_schema(WIDE_SCHEMA), tmp_path / "v.duckdb", memory_limit_mb=24,
                          sort_columns=["amount"], threads=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.parquet", "v.duckdb"]  # the spill folder is gone
    engine = RowQueryEngine(lambda v: out, SECRET, result_cache=0)
    try:
        assert engine.query("v", {}).total == 300_000
        page = engine.query("v", {"sort": "-amount", "limit": "3"}).rows
        assert [r[2] for r in page] == sorted(make_wide_table(300_000).column("amount").to_pylist())[:-4:-1]
    finally:
        engine.close()


def test_duckdb_gets_a_quarter_of_the_ingest_memory_limit():
    from opendata.core.limits import IngestLimits

    assert IngestLimits(memory_bytes=2048 * 1024**2).duckdb_memory_mb == 512
    assert IngestLimits(memory_bytes=100 * 1024**2).duckdb_memory_mb == 64  # DuckDB needs a little to work at all


def test_default_copies_stop_at_twice_the_parquet_size_and_named_copies_are_always_built(versions, tmp_path,
                                                                                         monkeypatch):
    from opendata.core.rowquery import prepare
    from tests.core.rowquery.builders import WIDE_SCHEMA, build_version, make_wide_table

    assert list(read_meta(duckdb.connect(str(versions["wide"]), read_only=True))["sorted"]) == ["amount"]
    monkeypatch.setattr(prepare, "MIN_SIZE_CAP", 0)  # the cap as a large version meets it
    capped = build_version(tmp_path, "capped", make_wide_table(300_000), WIDE_SCHEMA)
    named = build_version(tmp_path, "named", make_wide_table(300_000), WIDE_SCHEMA, sort_columns=["amount"])
    metas = {}
    for name, path in (("capped", capped), ("named", named)):
        con = duckdb.connect(str(path), read_only=True)
        try:
            metas[name] = read_meta(con)
        finally:
            con.close()
    assert metas["capped"]["sorted"] == {}
    # three columns: a thin copy of amount is most of a full one, and with the index it does not fit;
    # a copy grouped by cat costs about the row table's bytes again, which the cap still holds
    assert metas["capped"]["thin"] == {} and list(metas["capped"]["clustered"]) == ["cat"]
    assert metas["capped"]["skipped_copies"] == [{"copy": "thin", "column": "amount"}]
    assert capped.stat().st_size <= 2 * (tmp_path / "capped.parquet").stat().st_size
    assert list(metas["named"]["sorted"]) == ["amount"]  # asked for: built whatever it costs
    # without its copies a version answers the same rows, in the same order
    engine = RowQueryEngine({"capped": capped, "full": versions["wide"]}.get, SECRET, result_cache=0)
    try:
        for args in ({"sort": "-amount", "cat": "c", "limit": "500"}, {"sort": "amount", "limit": "700"}):
            pages = {}
            for version in ("capped", "full"):
                walk, pages[version] = dict(args), []
                for _ in range(3):  # three pages, each after the cursor of the one before
                    result = engine.query(version, walk)
                    pages[version].append((result.rows, result.total))
                    walk["next"] = result.next_cursor
            assert pages["capped"] == pages["full"]
    finally:
        engine.close()


def test_a_grouped_copy_that_outgrows_its_estimate_is_dropped_and_the_cap_holds(tmp_path, monkeypatch):
    from opendata.core.rowquery import prepare
    from opendata.core.rowquery.budget import Budget
    from tests.core.rowquery.builders import WIDE_SCHEMA, build_version, make_wide_table

    monkeypatch.setattr(prepare, "MIN_SIZE_CAP", 0)
    # the row table (0.8x the Parquet file) and the spare megabyte fit under 1.5x, a grouped copy more does not
    monkeypatch.setattr(prepare, "MAX_SIZE_RATIO", 1.5)
    monkeypatch.setattr(Budget, "grouped_estimate", lambda self: 0)  # so it is built, then measured
    out = build_version(tmp_path, "v", make_wide_table(300_000), WIDE_SCHEMA)
    con = duckdb.connect(str(out), read_only=True)
    try:
        meta = read_meta(con)
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert meta["clustered"] == {} and {"copy": "clustered", "column": "cat"} in meta["skipped_copies"]
    assert not any(t.startswith("__od_clustered") for t in tables)
    assert out.stat().st_size <= 1.5 * (tmp_path / "v.parquet").stat().st_size
    engine = RowQueryEngine(lambda v: out, SECRET, result_cache=0)
    try:
        assert engine.query("v", {"cat": "c", "limit": "1"}).total == sum(
            1 for c in make_wide_table(300_000).column("cat").to_pylist() if c == "c")
    finally:
        engine.close()


@pytest.mark.parametrize("ids", [[1, 2, 5, 9, 10], [1, 2, 9, 5, 10], [1, 2, 2, 5, 9], [1, None, 2, 5, 9]],
                         ids=["in key order", "one step down", "a repeat", "a missing key"])
def test_row_ids_follow_the_primary_key_whether_or_not_the_file_is_in_its_order(tmp_path, ids):
    parquet = _parquet(tmp_path, pa.table({"id": pa.array(ids, pa.int64()), "v": ["a", "b", "c", "d", "e"]}))
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "v"}], "primaryKey": "id"})
    out = prepare_version(parquet, schema, tmp_path / "v.duckdb")
    con = duckdb.connect(str(out), read_only=True)
    try:
        stored = con.execute("SELECT __od_rid, id, v FROM __od_rows").fetchall()  # physical order
    finally:
        con.close()
    in_key_order = sorted(zip(ids, "abcde", strict=True), key=lambda r: (r[0] is None, r[0] or 0))  # stable
    assert stored == [(rid, k, v) for rid, (k, v) in enumerate(in_key_order)]


def test_when_full_sorted_copies_do_not_all_fit_the_default_sort_columns_get_thin_copies(tmp_path, monkeypatch):
    from opendata.core.rowquery import prepare
    from tests.core.rowquery.builders import THIN_SCHEMA, build_version, make_thin_table

    # a cap (four times the Parquet file: at this size blocks and the spare megabyte weigh) that the
    # row table, the index and two thin copies fit, and two full copies do not
    monkeypatch.setattr(prepare, "MIN_SIZE_CAP", 0)
    monkeypatch.setattr(prepare, "MAX_SIZE_RATIO", 4.0)
    out = build_version(tmp_path, "v", make_thin_table(150_000), THIN_SCHEMA)
    con = duckdb.connect(str(out), read_only=True)
    try:
        meta = read_meta(con)
    finally:
        con.close()
    assert meta["sorted"] == {} and list(meta["thin"]) == ["amount", "d"]
    assert {"copy": "sorted", "column": "amount"} not in meta["skipped_copies"]
    assert out.stat().st_size <= 4 * (tmp_path / "v.parquet").stat().st_size
    engine = RowQueryEngine(lambda v: out, SECRET, result_cache=0)
    try:
        page = engine.query("v", {"sort": "-amount", "grp": "a", "limit": "3", "fields": "amount"}).rows
        assert page == ((299.0,), (299.0,), (299.0,))
    finally:
        engine.close()


def test_a_row_id_index_beyond_half_the_memory_limit_leaves_the_plain_plans(tmp_path, monkeypatch):
    from opendata.core.rowquery import prepare
    from tests.core.rowquery.builders import THIN_SCHEMA, build_version, make_thin_table

    monkeypatch.setattr(prepare, "INDEX_BYTES_PER_ROW", 200)  # 30 MB for 150,000 rows, over half of 48 MB
    out = build_version(tmp_path, "v", make_thin_table(150_000), THIN_SCHEMA, thin_columns=["amount"],
                        memory_limit_mb=48)
    con = duckdb.connect(str(out), read_only=True)
    try:
        meta = read_meta(con)
        assert con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone() == (0,)
    finally:
        con.close()
    assert meta["thin"] == {}
    assert {"copy": "thin", "column": "amount", "reason": "memory"} in meta["skipped_copies"]
    engine = RowQueryEngine(lambda v: out, SECRET, result_cache=0)
    try:
        assert engine.query("v", {"sort": "-amount", "limit": "2", "fields": "amount"}).rows == ((299.0,), (299.0,))
    finally:
        engine.close()
