"""Every filter operator and type conversion, compared with pandas on the same generated data."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from opendata.core.errors import ValidationError


def ids(engine, args) -> list[int]:
    result = engine.query("small", {**args, "fields": "id", "limit": "10000"})
    return [r[0] for r in result.rows]


def expect(frame: pd.DataFrame, mask) -> list[int]:
    return frame.loc[mask.fillna(False).astype(bool), "id"].tolist()


@pytest.mark.parametrize(("args", "mask"), [
    ({"cat": "甲类"}, lambda f: f.cat == "甲类"),
    ({"cat__eq": "other"}, lambda f: f.cat == "other"),
    ({"cat__ne": "甲类"}, lambda f: f.cat.isna() | (f.cat != "甲类")),
    ({"cat__in": "甲类,乙类"}, lambda f: f.cat.isin(["甲类", "乙类"])),
    ({"cat__isnull": "true"}, lambda f: f.cat.isna()),
    ({"cat__isnull": "false"}, lambda f: f.cat.notna()),
    ({"qty": "3"}, lambda f: f.qty == 3),
    ({"qty__gt": "10"}, lambda f: f.qty > 10),
    ({"qty__gte": "10"}, lambda f: f.qty >= 10),
    ({"qty__lt": "-2"}, lambda f: f.qty < -2),
    ({"qty__lte": "-2"}, lambda f: f.qty <= -2),
    ({"qty__ne": "0"}, lambda f: f.qty != 0),
    ({"qty__in": "1,2,+3"}, lambda f: f.qty.isin([1, 2, 3])),
    ({"amount__gt": "500.5"}, lambda f: f.amount > 500.5),
    ({"amount__lte": "1e2"}, lambda f: f.amount <= 100),
    ({"d": "2021-03-04"}, lambda f: f.d == dt.date(2021, 3, 4)),
    ({"d__gte": "2022-01-01"}, lambda f: f.d >= dt.date(2022, 1, 1)),
    ({"d__lt": "2020-02-01"}, lambda f: f.d < dt.date(2020, 2, 1)),
    ({"ts__gt": "2021-06-01T12:00:00"}, lambda f: f.ts > pd.Timestamp("2021-06-01T12:00:00")),
    ({"ts__lte": "2021-05-20 00:00"}, lambda f: f.ts <= pd.Timestamp("2021-05-20")),
    ({"flag": "true"}, lambda f: f.flag),
    ({"flag": "0"}, lambda f: ~f.flag),
    ({"note__contains": "pending"}, lambda f: f.note.str.lower().str.contains("pending", regex=False)),
    ({"note__contains": "100%"}, lambda f: f.note.str.contains("100%", regex=False)),
    ({"note__contains": "ok_"}, lambda f: f.note.str.contains("ok_", regex=False)),
    ({"name__startswith": "北京市"}, lambda f: f.name.str.startswith("北京市")),
    ({"name__contains": "西湖"}, lambda f: f.name.str.contains("西湖", regex=False)),
    ({"qty__contains": "1"}, lambda f: f.qty.astype(str).str.contains("1", regex=False)),
    ({"big": "9007199254740999"}, lambda f: f.big == 9007199254740999),
    ({"big__gt": str(2**62)}, lambda f: f.big > 2**62),
    ({"weird \"col\"; --": "1"}, lambda f: f['weird "col"; --'] == 1),
])
def test_each_operator_matches_pandas(engine, small_frame, args, mask):
    assert ids(engine, args) == expect(small_frame, mask(small_frame))


def test_several_filters_and_repeated_parameters_are_combined(engine, small_frame):
    f = small_frame
    got = ids(engine, {"qty__gte": "0", "qty__lt": "5", "cat": "甲类"})
    assert got == expect(f, (f.qty >= 0) & (f.qty < 5) & (f.cat == "甲类"))
    got = ids(engine, {"qty__gte": ["0", "3"]})  # both apply: qty >= 0 and qty >= 3
    assert got == expect(f, f.qty >= 3)


def test_eighteen_digit_string_ids_are_matched_as_text(engine, small_frame):
    code = small_frame.code[7]
    assert ids(engine, {"code": code}) == [small_frame.id[7]]
    assert ids(engine, {"code__startswith": code[:12]}) == expect(small_frame, small_frame.code.str.startswith(code[:12]))


def test_q_searches_every_string_column_case_insensitively(engine, small_frame):
    f = small_frame
    text = (f.code.fillna("") + " " + f.name.fillna("") + " " + f.cat.fillna("") + " " + f.note.fillna("")).str.lower()
    assert ids(engine, {"q": "PENDING"}) == expect(f, text.str.contains("pending", regex=False))
    assert ids(engine, {"q": "西湖 整改"}) == expect(f, text.str.contains("西湖") & text.str.contains("整改"))
    assert ids(engine, {"q": "no such words"}) == []


@pytest.mark.parametrize(("param", "value"), [
    ("qty", "abc"), ("qty__gt", "1.5"), ("qty__in", "1,x"), ("amount__lt", "cheap"), ("d", "2021-13-01"),
    ("d", "yesterday"), ("ts__gt", "noon"), ("flag", "perhaps"), ("big", str(2**63)), ("qty", ""),
    ("cat__isnull", "maybe"), ("note__contains", ""), ("amount", "nan"), ("q", "x " * 21), ("q", "y" * 501),
    ("qty__in", ",".join(["1"] * 1001)),
])
def test_a_bad_value_names_its_parameter(engine, param, value):
    with pytest.raises(ValidationError) as info:
        engine.query("small", {param: value})
    assert [p.path for p in info.value.problems] == [param]
    assert param in info.value.problems[0].message or param == "q"


def test_unknown_columns_and_operators_are_named(engine):
    with pytest.raises(ValidationError) as info:
        engine.query("small", {"nope": "1", "qty__between": "1", "sort": "-ghost", "fields": "id,phantom"})
    problems = {p.path: p for p in info.value.problems}
    assert set(problems) == {"nope", "qty__between", "sort", "fields"}
    assert "nope" in problems["nope"].message and problems["nope"].code == "unknown-column"
    assert "between" in problems["qty__between"].message
    assert "ghost" in problems["sort"].message and "phantom" in problems["fields"].message


def test_a_column_named_like_a_parameter_is_filtered_with_eq(engine, small_frame):
    # 'q' is full-text search; a column called q would be reached as q__eq (here: unknown column)
    with pytest.raises(ValidationError) as info:
        engine.query("small", {"q__eq": "x"})
    assert info.value.problems[0].code == "unknown-column"
