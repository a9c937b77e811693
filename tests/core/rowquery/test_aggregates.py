"""group_by with count, sum, avg, min and max, compared with pandas on the same data; totals."""

from __future__ import annotations

import json
import math

import pytest

from opendata.core.errors import ValidationError


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9)
    return a == b


def test_group_by_matches_pandas(engine, small_frame):
    result = engine.query("small", {"group_by": "cat,flag", "agg": "count,sum:amount,avg:qty,min:d,max:big",
                                    "limit": "1000"})
    assert result.columns == ("cat", "flag", "count", "sum_amount", "avg_qty", "min_d", "max_big")
    fields = json.loads(result.body)["fields"]
    assert [f["type"] for f in fields] == ["string", "boolean", "integer", "number", "number", "date", "integer"]
    frame = small_frame.copy()
    frame["cat"] = frame.cat.fillna("\uffff")  # pandas drops NaN groups; the engine sorts NULL last
    grouped = frame.groupby(["cat", "flag"], sort=True).agg(
        count=("id", "size"), sum_amount=("amount", "sum"), avg_qty=("qty", "mean"),
        min_d=("d", "min"), max_big=("big", "max")).reset_index()
    expected = [tuple(r) for r in grouped.itertuples(index=False)]
    assert len(result.rows) == len(expected) == result.total
    for got, want in zip(result.rows, expected, strict=True):
        got = ("\uffff" if got[0] is None else got[0],) + got[1:]
        assert all(_same(a, b) for a, b in zip(got, want, strict=True)), (got, want)


def test_group_by_with_filters_and_sort_by_aggregate(engine, small_frame):
    result = engine.query("small", {"group_by": "name", "agg": "count", "qty__gte": "5", "sort": "-count,name"})
    f = small_frame[small_frame.qty >= 5]
    counts = f.groupby("name").size().reset_index(name="count")
    counts = counts.sort_values(["count", "name"], ascending=[False, True])
    assert [tuple(r) for r in result.rows] == [tuple(r) for r in counts.itertuples(index=False)]


def test_precomputed_group_counts_equal_computed_ones(engine, small_frame):
    fast = engine.query("small", {"group_by": "cat"})  # from publish-time counts
    slow = engine.query("small", {"group_by": "cat", "qty__gte": "-1000"})  # same rows, run in DuckDB
    assert fast.rows == slow.rows
    assert sum(r[1] for r in fast.rows) == len(small_frame)
    paged = engine.query("small", {"group_by": "cat", "limit": "2", "offset": "1"})
    assert paged.rows == fast.rows[1:3] and paged.total == len(fast.rows)


def test_aggregates_without_group_by_give_one_row(engine, small_frame):
    result = engine.query("small", {"agg": "count,sum:qty,max:ts", "cat": "甲类"})
    f = small_frame[small_frame.cat == "甲类"]
    assert result.rows == ((len(f), int(f.qty.sum()), f.ts.max().to_pydatetime()),)
    assert result.total == 1


def test_totals_are_exact_for_filters_q_and_pages(engine, small_frame):
    f = small_frame
    for args, expected in [({}, len(f)), ({"cat": "乙类"}, int((f.cat == "乙类").sum())),
                           ({"cat__in": "乙类,other"}, int(f.cat.isin(["乙类", "other"]).sum())),
                           ({"cat__isnull": "true"}, int(f.cat.isna().sum())),
                           ({"qty__gt": "3", "cat": "乙类"}, int(((f.qty > 3) & (f.cat == "乙类")).sum())),
                           ({"q": "pending"}, int(f.note.str.lower().str.contains("pending").fillna(False).sum()))]:
        for page in ({"limit": "5"}, {"limit": "5", "offset": "3"}, {"limit": "10000"}):
            result = engine.query("small", {**args, **page})
            assert (result.total, result.total_exact) == (expected, True), (args, page)
    skipped = engine.query("small", {"total": "false"})
    assert skipped.total is None and skipped.total_exact is False


@pytest.mark.parametrize(("args", "param"), [
    ({"group_by": "cat", "agg": "median:qty"}, "agg"),
    ({"group_by": "cat", "agg": "sum:name"}, "agg"),
    ({"group_by": "cat", "agg": "sum"}, "agg"),
    ({"group_by": "cat", "agg": "max:ghost"}, "agg"),
    ({"group_by": "ghost"}, "group_by"),
    ({"group_by": "cat", "sort": "qty"}, "sort"),
    ({"group_by": "cat", "fields": "cat"}, "fields"),
])
def test_bad_aggregates_name_their_parameter(engine, args, param):
    with pytest.raises(ValidationError) as info:
        engine.query("small", args)
    assert info.value.problems[0].path == param
