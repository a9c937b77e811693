"""Sorting, keyset cursors (complete, ordered, unforgeable, pinned to a version) and offsets."""

from __future__ import annotations

import base64
import json

import pytest

from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.rowquery import RowQueryEngine
from tests.core.rowquery.builders import (
    SECRET,
    WIDE_SCHEMA,
    all_rows,
    build_version,
    make_wide_table,
)


def expected_ids(frame, sort: list[tuple[str, bool]]) -> list[int]:
    """pandas order: the keys with missing values last, ties in primary-key order."""
    if not sort:
        return frame.id.tolist()
    ordered = frame.sort_values([c for c, _ in sort], ascending=[not d for c, d in sort],
                                na_position="last", kind="mergesort")
    return ordered.id.tolist()


SORTS = [
    [],
    [("amount", False)],  # a physically sorted copy, ascending
    [("amount", True)],  # ... and descending
    [("d", True)],
    [("cat", False), ("qty", True)],
    [("flag", True), ("amount", False), ("d", True)],
    [("note", False), ("big", False)],
    [("id", True)],
    [("id", False)],
]


def sort_param(sort: list[tuple[str, bool]]) -> str:
    return ",".join(("-" if d else "") + c for c, d in sort)


@pytest.mark.parametrize("sort", SORTS, ids=[sort_param(s) or "default" for s in SORTS])
def test_sorting_matches_pandas(engine, small_frame, sort):
    result = engine.query("small", {"sort": sort_param(sort), "fields": "id", "limit": "10000"})
    assert [r[0] for r in result.rows] == expected_ids(small_frame, sort)


@pytest.mark.parametrize("sort", SORTS, ids=[sort_param(s) or "default" for s in SORTS])
def test_keyset_walk_returns_every_row_once_in_order(engine, small_frame, sort):
    walked = all_rows(engine, "small", {"sort": sort_param(sort), "fields": "id", "limit": "7"})
    assert [r[0] for r in walked] == expected_ids(small_frame, sort)


def test_keyset_walk_with_filter_and_full_text(engine, small_frame):
    f = small_frame
    walked = all_rows(engine, "small", {"cat__ne": "甲类", "sort": "-amount", "limit": "9", "fields": "id"})
    assert [r[0] for r in walked] == expected_ids(f[f.cat.isna() | (f.cat != "甲类")], [("amount", True)])


@pytest.mark.parametrize("sort", ["", "amount", "-amount", "cat,-amount"])
def test_keyset_walk_across_row_groups(engine, wide_frame, sort):
    table = wide_frame[wide_frame.cat == "c"]
    keys = [(c.lstrip("-"), c.startswith("-")) for c in sort.split(",") if c]
    want = expected_ids(table, keys)[:10_000]
    got, args = [], {"cat": "c", "sort": sort, "fields": "id", "limit": "100"}
    while len(got) < 10_000:
        result = engine.query("wide", args)
        got.extend(r[0] for r in result.rows)
        args["next"] = result.next_cursor
        assert result.total == len(table) and result.total_exact
    assert got == want


def test_offset_pages_match_the_full_result(engine, small_frame):
    order = expected_ids(small_frame, [("amount", True)])
    page = engine.query("small", {"sort": "-amount", "fields": "id", "limit": "25", "offset": "50"})
    assert [r[0] for r in page.rows] == order[50:75]
    assert page.total == len(order) and page.total_exact and page.offset == 50
    beyond = engine.query("small", {"offset": "5000"})
    assert beyond.rows == () and beyond.total == len(order)


def test_limit_defaults_to_100_and_is_capped(engine):
    assert len(engine.query("small", {}).rows) == 100
    for bad in ("0", "10001", "-1", "ten"):
        with pytest.raises(ValidationError) as info:
            engine.query("small", {"limit": bad})
        assert info.value.problems[0].path == "limit"


def _tamper(token: str) -> str:
    raw = bytearray(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    body = json.loads(raw[16:])
    body["r"] = body["r"] + 1000
    forged = bytes(raw[:16]) + json.dumps(body).encode()
    return base64.urlsafe_b64encode(forged).rstrip(b"=").decode()


def test_forged_or_tampered_cursors_are_rejected(engine, versions):
    token = engine.query("small", {"limit": "5"}).next_cursor
    other = RowQueryEngine(lambda v: versions.get(v), b"another-secret", result_cache=0)
    foreign = other.query("small", {"limit": "5"}).next_cursor
    other.close()
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    for bad in (_tamper(token), foreign, flipped, "not base64!", "", "e30"):
        with pytest.raises(ValidationError) as info:
            engine.query("small", {"limit": "5", "next": bad} if bad else {"next": "x"})
        assert info.value.problems[0].path == "next"


def test_a_cursor_only_continues_the_query_it_was_made_for(engine):
    token = engine.query("small", {"sort": "amount", "limit": "5"}).next_cursor
    with pytest.raises(ValidationError, match="cursor"):
        engine.query("small", {"sort": "-amount", "limit": "5", "next": token})
    with pytest.raises(ValidationError, match="cursor"):
        engine.query("small", {"sort": "amount", "cat": "甲类", "next": token})
    assert engine.query("small", {"sort": "amount", "limit": "50", "fields": "id", "next": token}).rows
    with pytest.raises(ValidationError):
        engine.query("small", {"sort": "amount", "next": token, "offset": "5"})


def test_a_cursor_is_bound_to_its_scope(engine):
    token = engine.query("small", {"limit": "5"}, scope="dataset-a").next_cursor
    assert engine.query("small", {"limit": "5", "next": token}, scope="dataset-a").rows
    with pytest.raises(ValidationError):
        engine.query("small", {"limit": "5", "next": token}, scope="dataset-b")


def test_cursor_stays_pinned_to_its_version_when_a_new_one_is_published(tmp_path, versions):
    located = {"v1": build_version(tmp_path, "v1", make_wide_table(1000), WIDE_SCHEMA)}
    engine = RowQueryEngine(lambda v: located.get(v), SECRET, result_cache=0)
    try:
        first = engine.query("v1", {"sort": "-amount", "limit": "10", "fields": "id"})
        located["v2"] = build_version(tmp_path, "v2", make_wide_table(2000, seed=7), WIDE_SCHEMA)
        walked = list(first.rows)
        args = {"sort": "-amount", "limit": "10", "fields": "id", "next": first.next_cursor}
        while args.get("next"):  # the client asks for "latest" (v2); the cursor keeps it on v1
            page = engine.query("v2", args)
            assert page.version_id == "v1"
            walked.extend(page.rows)
            args["next"] = page.next_cursor
        frame = make_wide_table(1000).to_pandas().sort_values("id")
        assert [r[0] for r in walked] == expected_ids(frame, [("amount", True)])
        assert engine.query("v2", {"limit": "1"}).total == 2000
        del located["v1"]  # withdrawn: its cursors stop working, even with v1 still open
        with pytest.raises(NotFoundError):
            engine.query("v2", {"sort": "-amount", "limit": "10", "fields": "id", "next": first.next_cursor})
    finally:
        engine.close()


def test_unknown_version_is_not_found(engine):
    with pytest.raises(NotFoundError):
        engine.query("no-such-version", {})


def test_evict_forgets_a_withdrawn_version_and_its_cached_answers(tmp_path):
    located = {"v1": build_version(tmp_path, "v1", make_wide_table(500), WIDE_SCHEMA)}
    engine = RowQueryEngine(lambda v: located.get(v), SECRET)
    try:
        assert engine.query("v1", {"cat": "a"}).cached is False
        assert engine.query("v1", {"cat": "a"}).cached is True
        del located["v1"]
        engine.evict("v1")
        with pytest.raises(NotFoundError):
            engine.query("v1", {"cat": "a"})
    finally:
        engine.close()


@pytest.mark.parametrize("sort", ["amount", "-amount", "amount,-id"])
def test_keyset_walk_over_nan_and_missing_values_equals_one_big_page(tmp_path, sort):
    import pyarrow as pa

    amounts = [1.5, float("nan"), None, 0.0, float("nan"), 2.5, None, 1.5, float("-inf"), float("inf")] * 3
    table = pa.table({"id": list(range(len(amounts))), "amount": pa.array(amounts, pa.float64())})
    path = build_version(tmp_path, "nan", table, {"fields": [{"name": "id", "type": "integer"},
                                                             {"name": "amount", "type": "number"}],
                                                  "primaryKey": "id"})
    engine = RowQueryEngine(lambda v: path, SECRET, result_cache=0)
    try:
        whole = engine.query("nan", {"sort": sort, "limit": "1000", "fields": "id"}).rows
        assert [r[0] for r in all_rows(engine, "nan", {"sort": sort, "limit": "4", "fields": "id"})] == \
            [r[0] for r in whole]
        assert len(whole) == len(amounts)
    finally:
        engine.close()


def test_full_text_with_a_sort_that_has_a_sorted_copy(engine, small_frame):
    f = small_frame
    mask = f.note.str.lower().str.contains("pending", regex=False).fillna(False).astype(bool)
    walked = all_rows(engine, "small", {"q": "Pending", "sort": "-amount", "limit": "6", "fields": "id"})
    assert [r[0] for r in walked] == expected_ids(f[mask], [("amount", True)])


@pytest.mark.parametrize("args", [
    {"cat": "甲类"}, {"cat": "甲类", "sort": "-amount"}, {"cat__in": "甲类,other", "sort": "qty,-d"},
    {"cat__isnull": "true"}, {"flag": "true", "qty__gt": "3"}, {"cat": "乙类", "flag": "false", "sort": "name"},
    {"cat": "甲类", "q": "pending"}, {"cat__in": "甲类,乙类"}, {"cat": "none-such"},
])
def test_sorted_and_grouped_copies_answer_exactly_like_the_plain_table(engine, args):
    for extra in ({"limit": "7"}, {"limit": "7", "offset": "5"}):
        fast = engine.query("small", {**args, **extra})
        plain = engine.query("small-plain", {**args, **extra})
        assert (fast.rows, fast.total, fast.total_exact) == (plain.rows, plain.total, plain.total_exact)
    assert all_rows(engine, "small", {**args, "limit": "6"}) == all_rows(engine, "small-plain", {**args, "limit": "6"})
    group = {k: v for k, v in args.items() if k != "sort"}
    for agg in ({"group_by": "name", "agg": "count,sum:qty,max:amount"}, {"agg": "count,max:d"}):  # float sums vary
        assert engine.query("small", {**group, **agg}).rows == engine.query("small-plain", {**group, **agg}).rows
