"""Injection attempts are harmless, queries are time-limited, and threads can share one engine."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import duckdb
import pytest

from opendata.core.errors import OpendataError, ValidationError
from opendata.core.rowquery import QueryTimeoutError, RowQueryEngine
from tests.core.rowquery.builders import SECRET

INJECTIONS = [
    "x' OR '1'='1", "'; DROP TABLE __od_rows; --", "\" OR 1=1 --", "1) OR (1=1", "%' --", "\\'", "甲类' UNION SELECT 1 --",
]


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_in_values_is_only_data(engine, value):
    for param in ("cat", "cat__contains", "cat__startswith", "cat__in", "q", "name", "code__gt"):
        result = engine.query("small", {param: value, "limit": "10000"})
        assert result.total == len(result.rows)
        if param != "code__gt":
            assert result.total == 0, param  # nothing contains these strings
    assert engine.query("small", {"cat__ne": value}).total == 400
    assert engine.query("small", {}).total == 400  # the table is intact


def test_a_value_that_happens_to_contain_quotes_is_found(engine, small_frame):
    name = "O'Brien; DROP TABLE x"
    assert engine.query("small", {"name": name}).total == int((small_frame.name == name).sum())
    assert engine.query("small", {"q": "o'brien; drop"}).total == int((small_frame.name == name).sum())


@pytest.mark.parametrize("name", [
    'id" FROM __od_rows; --', "id; DROP TABLE __od_rows", "__od_rid", "__od_q", "1=1 OR id", "ID",
])
def test_injection_in_column_names_is_an_unknown_column(engine, name):
    for args in ({name: "1"}, {f"{name}__gt": "1"}, {"sort": name}, {"fields": name},
                 {"group_by": name}, {"agg": f"sum:{name}"}):
        with pytest.raises(ValidationError) as info:
            engine.query("small", args)
        assert name.strip() in info.value.problems[0].message
    assert engine.query("small", {}).total == 400


def test_a_column_with_quotes_in_its_schema_name_works(engine):
    result = engine.query("small", {'weird "col"; --': "2", "fields": 'id,weird "col"; --',
                                    "sort": '-weird "col"; --', "limit": "3"})
    assert result.columns == ("id", 'weird "col"; --') and all(r[1] == 2 for r in result.rows)


def test_a_slow_query_is_stopped_at_its_time_limit(versions):
    engine = RowQueryEngine(lambda v: versions.get(v), SECRET, timeout=0.005, result_cache=0)
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError) as info:  # ~0.3 s of string work on 300,000 rows
            engine.query("wide", {"group_by": "amount", "amount__contains": "9", "sort": "-count", "total": "false"})
        assert isinstance(info.value, OpendataError) and info.value.code == "query-timeout"
        assert time.monotonic() - started < 5
        engine.timeout = 30
        assert engine.query("wide", {"limit": "1"}).rows  # the connection is usable afterwards
    finally:
        engine.close()


def test_the_watchdog_stops_a_query_that_would_never_end(engine):
    version = engine._acquire("small")
    try:
        started = time.monotonic()
        with pytest.raises(QueryTimeoutError):
            engine._execute(version, "SELECT count(*) FROM range(1000000000000) t(x) WHERE hash(x) = 0", [],
                            timeout=0.2)
        assert time.monotonic() - started < 5
        assert engine._execute(version, "SELECT 42", []) == [(42,)]
    finally:
        engine._release(version)


def test_threads_share_one_engine(versions):
    engine = RowQueryEngine(lambda v: versions.get(v), SECRET, result_cache=0, max_open=1)
    queries = [{"cat": c, "sort": s, "limit": "50"} for c in "abcdefgh" for s in ("", "-amount", "amount,id")]
    try:
        serial = [engine.query("wide", q).rows for q in queries]
        with ThreadPoolExecutor(8) as pool:
            for _ in range(3):
                parallel = list(pool.map(lambda q: engine.query("wide", q).rows, queries))
                assert parallel == serial
                engine.query("small", {})  # max_open=1: evicts 'wide' while other threads may use it
    finally:
        engine.close()


def test_prepared_files_are_opened_read_only(engine, versions):
    engine.query("small", {})
    with pytest.raises(duckdb.Error):
        version = engine._acquire("small")
        try:
            version.cursor().execute("DELETE FROM __od_rows")
        finally:
            engine._release(version)


def test_a_query_needing_too_much_memory_is_refused_not_a_crash(versions):
    engine = RowQueryEngine(lambda v: versions.get(v), SECRET, result_cache=0, memory_limit="2MB")
    try:
        with pytest.raises(QueryTimeoutError, match="memory"):
            engine.query("wide", {"group_by": "id", "agg": "count,sum:amount", "sort": "-sum_amount"})
    finally:
        engine.close()
