"""Thin sorted copies: pages read as row ids from a narrow sorted copy, then their rows by the row-id
index, are the pages the plain plan gives (order, ties, missing values, cursors, totals, formats)."""

from __future__ import annotations

import io

import duckdb
import pyarrow.parquet as pq
import pytest

from opendata.core.rowquery import RowQueryEngine, prepare
from opendata.core.rowquery import sql as sqlgen
from opendata.core.rowquery.params import parse_query
from opendata.core.rowquery.prepare import RID_INDEX, read_meta
from tests.core.rowquery.builders import (
    SECRET,
    THIN_SCHEMA,
    all_rows,
    build_version,
    make_thin_table,
)

N_ROWS = 150_000  # two DuckDB row groups


@pytest.fixture(scope="module")
def thin_versions(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("thin")
    table = make_thin_table(N_ROWS)
    return {
        "thin": build_version(tmp, "thin", table, THIN_SCHEMA, sort_columns=[], cluster_columns=[],
                              thin_columns=["amount", "d"]),
        "plain": build_version(tmp, "plain", table, THIN_SCHEMA, sort_columns=[], cluster_columns=[],
                               thin_columns=[]),
        "blocks": _with_small_blocks(lambda: build_version(tmp, "blocks", table, THIN_SCHEMA, sort_columns=[],
                                                           cluster_columns=[], thin_columns=["amount", "d"])),
    }


def _with_small_blocks(build):
    """Blocks of 10,000 rows: 15 of them, so counts sum some and count the rows of others."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(prepare, "BLOCK_ROWS", 10_000)
        return build()


@pytest.fixture(scope="module")
def thin_meta(thin_versions):
    con = duckdb.connect(str(thin_versions["thin"]), read_only=True)
    try:
        return read_meta(con)
    finally:
        con.close()


@pytest.fixture
def engine(thin_versions):
    eng = RowQueryEngine(thin_versions.get, SECRET, timeout=30.0, result_cache=0, count_cache=0)
    yield eng
    eng.close()


def _plan(meta, args, row_id=None):
    if row_id:
        column = {"name": row_id, "type": "BIGINT", "schema_type": "integer", "nulls": 0}
        meta = {**meta, "columns": [column, *meta["columns"]], "row_id": row_id,
                "virtual": {row_id: "(__od_rid + 1)"}}
    types = {c["name"]: c["type"] for c in meta["columns"]}
    query = parse_query(args, types)
    return sqlgen.rows_plan(query, meta), sqlgen.count_plan(query, meta)


def _pages(engine, version, args, n_pages, **kwargs):
    """Up to n_pages pages, each after the cursor of the one before: (rows, total, exact, more) each."""
    pages, walk = [], dict(args)
    for _ in range(n_pages):
        result = engine.query(version, walk, **kwargs)
        pages.append((result.rows, result.total, result.total_exact, result.next_cursor is not None))
        if result.next_cursor is None:
            break
        walk["next"] = result.next_cursor
    return pages


def test_thin_copies_hold_the_sort_column_the_fewest_valued_columns_and_the_row_id(thin_versions, thin_meta):
    assert thin_meta["sorted"] == {}
    assert {c: t["columns"] for c, t in thin_meta["thin"].items()} == {"amount": ["amount", "grp", "cat"],
                                                                     "d": ["d", "grp", "cat"]}
    con = duckdb.connect(str(thin_versions["thin"]), read_only=True)
    try:
        assert con.execute("SELECT index_name FROM duckdb_indexes()").fetchall() == [(RID_INDEX,)]
        table = thin_meta["thin"]["amount"]["table"]
        stored = con.execute(f"SELECT amount, __od_rid FROM {table}").fetchall()  # physical order
        assert stored == sorted(stored, key=lambda r: (r[0] is None, r[0] or 0, r[1]))
    finally:
        con.close()


CASES = [
    {"sort": "-amount"},
    {"sort": "amount"},
    {"sort": "-amount", "cat": "甲类"},
    {"sort": "amount", "cat": "乙类", "grp": "b"},
    {"sort": "-amount", "amount__gte": "150", "cat__in": "甲类,丙类"},
    {"sort": "amount", "amount__lt": "20", "cat__isnull": "true"},
    {"sort": "-amount", "amount__isnull": "true"},  # every key missing: row-id order
    {"sort": "-d", "cat__ne": "甲类"},
    {"sort": "d", "d__gte": "2021-06-01", "grp": "c"},
    {"sort": "-d", "grp": "a", "fields": "note,d"},
]


@pytest.mark.parametrize("args", CASES, ids=[str(sorted(a.items())) for a in CASES])
def test_pages_from_a_thin_copy_are_the_plain_plans_pages(engine, thin_meta, args):
    page = _plan(thin_meta, args)[0]
    assert page.fetch is not None and thin_meta["thin"][args["sort"].lstrip("-")]["table"] in page.sql
    args = {**args, "limit": "400"}
    assert _pages(engine, "thin", args, 4) == _pages(engine, "plain", args, 4)


@pytest.mark.parametrize("sort", ["amount", "-amount"])
def test_a_walk_to_the_end_crosses_ties_and_missing_values_in_the_same_order(engine, sort):
    args = {"sort": sort, "cat": "丙类", "grp": "a", "limit": "900"}  # about 12,500 rows, some amounts missing
    walked = all_rows(engine, "thin", args)
    assert walked == all_rows(engine, "plain", args)
    assert any(r[3] is None for r in walked) and len(walked) == engine.query("plain", args).total


def test_a_range_on_the_sort_column_is_counted_on_the_thin_copy(engine, thin_meta):
    args = {"cat": "甲类", "amount__gte": "250", "sort": "-amount", "limit": "10"}
    assert thin_meta["thin"]["amount"]["table"] in _plan(thin_meta, args)[1].sql
    thin, plain = engine.query("thin", args), engine.query("plain", args)
    assert thin.rows == plain.rows and thin.total == plain.total and thin.total_exact


def test_offsets_formats_withheld_columns_and_the_row_id_column_answer_alike(engine, thin_meta):
    args = {"sort": "-amount", "cat": "甲类", "offset": "700", "limit": "50"}
    assert engine.query("thin", args).rows == engine.query("plain", args).rows
    for fmt in ("csv", "ndjson"):
        assert engine.query("thin", {**args, "format": fmt}).body == engine.query("plain", {**args, "format": fmt}).body
    tables = [pq.read_table(io.BytesIO(engine.query(v, {**args, "format": "parquet"}).body)) for v in ("thin", "plain")]
    assert tables[0].equals(tables[1]) and tables[0].num_rows == 50
    withheld = frozenset({"note", "d"})
    thin, plain = (engine.query(v, {"sort": "amount", "grp": "b"}, withheld=withheld) for v in ("thin", "plain"))
    assert thin.columns == plain.columns == ("id", "cat", "grp", "amount") and thin.rows == plain.rows
    by_row_id = {"sort": "-amount", "_id__lte": "20000", "cat": "乙类", "limit": "300"}
    assert _plan(thin_meta, by_row_id, row_id="_id")[0].fetch is not None
    assert _pages(engine, "thin", by_row_id, 3, row_id="_id") == _pages(engine, "plain", by_row_id, 3, row_id="_id")


@pytest.mark.parametrize("args", [{"sort": "-amount", "note__startswith": "ab"}, {"sort": "-amount", "q": "abc"},
                                  {"sort": "-amount,d"}, {"sort": "note"}, {"cat": "甲类"}])
def test_filters_and_sorts_a_thin_copy_cannot_answer_take_the_plain_plan(engine, thin_meta, args):
    assert _plan(thin_meta, args)[0].fetch is None
    args = {**args, "limit": "300"}
    assert _pages(engine, "thin", args, 2) == _pages(engine, "plain", args, 2)


def test_an_empty_page_from_a_thin_copy(engine):
    args = {"sort": "-amount", "amount__gt": "1000"}
    for fmt in ("json", "parquet"):
        result = engine.query("thin", {**args, "format": fmt})
        assert result.rows == () and result.total == 0 and result.next_cursor is None


def test_a_large_page_joins_its_row_ids_instead_of_looking_each_up(engine, thin_meta):
    args = {"sort": "-amount", "grp": "b", "limit": "5000"}
    fetch = _plan(thin_meta, args)[0].fetch
    assert "SEMI JOIN" in fetch.query(range(5001))[0] and "SEMI JOIN" not in fetch.query(range(100))[0]
    assert _pages(engine, "thin", args, 3) == _pages(engine, "plain", args, 3)
    parquet = {**args, "format": "parquet"}
    assert engine.query("thin", parquet).body == engine.query("plain", parquet).body


COUNTS = [
    {"cat": "甲类", "amount__gte": "150"},
    {"cat": "乙类", "grp": "b", "amount__gt": "37", "amount__lte": "250"},
    {"cat__in": "甲类,丙类", "amount__lt": "100"},
    {"cat__isnull": "true", "amount__gte": "0"},
    {"grp__ne": "a", "amount__gte": "299"},  # one value of many ties: no block wholly inside
    {"grp": "c", "amount__gt": "-1"},  # every block with an amount, none of the missing ones
    {"cat": "丙类", "grp": "a"},  # no range: every block summed, missing amounts included
    {"d__gte": "2020-06-01", "d__lt": "2021-09-30", "cat": "乙类"},
    {"cat__startswith": "甲", "d__lte": "2021-01-01"},
    {"amount__gte": "500"},  # no row: no block inside either, and the zone maps skip every row group
]


@pytest.mark.parametrize("args", COUNTS, ids=[str(sorted(a.items())) for a in COUNTS])
def test_totals_from_block_counts_are_the_plain_counts(engine, thin_versions, args):
    con = duckdb.connect(str(thin_versions["blocks"]), read_only=True)
    try:
        meta = read_meta(con)
    finally:
        con.close()
    column = "d" if any(k.startswith("d__") for k in args) else "amount"
    assert len(meta["thin"][column]["blocks"]["bounds"]) == 15
    count = _plan(meta, args)[1].sql
    assert meta["thin"][column]["table"] in count
    assert (meta["thin"][column]["blocks"]["table"] in count) is (args.get("amount__gte") not in ("299", "500"))
    args = {**args, "limit": "1"}  # a page shorter than the matches: the total is counted
    counted = {v: engine.query(v, args) for v in ("blocks", "thin", "plain")}
    assert counted["blocks"].total == counted["thin"].total == counted["plain"].total
    assert counted["blocks"].total_exact and counted["blocks"].rows == counted["plain"].rows


def test_a_filter_the_block_counts_do_not_hold_is_counted_on_the_rows(thin_meta):
    for args in ({"note": "abc", "amount__gte": "3"}, {"amount": "3"}, {"cat": "甲类", "q": "ab"}):
        assert "_blocks" not in _plan(thin_meta, args)[1].sql


@pytest.fixture(scope="module")
def grouped_and_thin(tmp_path_factory):
    """A version with thin copies and a copy grouped by grp (3 values of about 50,000 rows each)."""
    tmp = tmp_path_factory.mktemp("grouped")
    return build_version(tmp, "both", make_thin_table(N_ROWS), THIN_SCHEMA, sort_columns=[], cluster_columns=["grp"],
                         thin_columns=["amount", "d"])


@pytest.mark.parametrize("args", [{"sort": "-amount", "grp": "a"}, {"sort": "amount", "grp": "b", "cat": "甲类"},
                                  {"sort": "-d", "grp": "c", "fields": "note,d"}])
def test_a_small_groups_first_page_is_sorted_from_its_grouped_copy_and_the_walk_matches_the_thin_copys(
        grouped_and_thin, monkeypatch, args):
    con = duckdb.connect(str(grouped_and_thin), read_only=True)
    try:
        meta = read_meta(con)
    finally:
        con.close()
    types = {c["name"]: c["type"] for c in meta["columns"]}
    query = parse_query(args, types)
    assert "__od_clustered_0" in sqlgen.rows_plan(query, meta, group_rows=50_000).sql
    assert sqlgen.rows_plan(query, meta, group_rows=50_000).fetch is None
    assert sqlgen.rows_plan(query, meta, group_rows=sqlgen.GROUP_SORT_ROWS + 1).fetch is not None  # thin
    assert sqlgen.rows_plan(query, meta).fetch is not None  # group size unknown: thin
    assert sqlgen.rows_plan(query, meta, after=[1.0], after_rid=5, group_rows=50_000).fetch is not None  # a later page
    eng = RowQueryEngine(lambda v: grouped_and_thin, SECRET, timeout=30.0, result_cache=0, count_cache=0)
    seen: list[str] = []
    execute = eng._execute
    monkeypatch.setattr(eng, "_execute", lambda version, sql, *a, **k: seen.append(sql) or execute(version, sql, *a, **k))
    try:
        grouped = _pages(eng, "v", {**args, "limit": "700"}, 4)
        from_group = [q for q in seen if "__od_clustered_0" in q]
        monkeypatch.setattr(sqlgen, "GROUP_SORT_ROWS", 0)  # every group read through the thin copy
        seen.clear()
        thin = _pages(eng, "v", {**args, "limit": "700"}, 4)
        from_thin = [q for q in seen if "__od_thin_" in q]
    finally:
        eng.close()
    assert len(from_group) == 1 and len(from_thin) >= 4  # the first page from the grouped copy, the rest thin
    assert len(grouped) == 4 and grouped == thin
