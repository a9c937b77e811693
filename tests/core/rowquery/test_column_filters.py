"""Filters given apart from the query string (``ColumnFilter``): any column name, values with commas.

A table whose columns are named like the engine's parameters (``limit``, ``q``) and operators
(``a`` next to ``a__eq`` and ``a__gt``) shows that such names are only ever columns here.
"""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from opendata.core.errors import ValidationError
from opendata.core.rowquery import ColumnFilter, RowQueryEngine
from tests.core.rowquery.builders import SECRET, build_version

NAMES = ["id", "limit", "q", "a", "a__eq", "a__gt", "label"]
SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "limit", "type": "integer"},
                     {"name": "q", "type": "string"}, {"name": "a", "type": "integer"},
                     {"name": "a__eq", "type": "integer"}, {"name": "a__gt", "type": "string"},
                     {"name": "label", "type": "string"}], "primaryKey": "id"}
LABELS = ["x,y", "x", "y", "z"]


def _rows() -> list[dict]:
    rng = random.Random(42)
    return [{"id": i, "limit": rng.randrange(3), "q": rng.choice(["p", "r"]), "a": rng.randrange(4),
             "a__eq": rng.randrange(4), "a__gt": rng.choice(["1", "2"]), "label": rng.choice(LABELS)}
            for i in range(1, 101)]


ROWS = _rows()


@pytest.fixture(scope="module")
def odd_engine(tmp_path_factory):
    table = pa.Table.from_pylist(ROWS, schema=pa.schema(
        [("id", pa.int64()), ("limit", pa.int64()), ("q", pa.string()), ("a", pa.int64()), ("a__eq", pa.int64()),
         ("a__gt", pa.string()), ("label", pa.string())]))
    path = build_version(tmp_path_factory.mktemp("odd"), "odd", table, SCHEMA)
    engine = RowQueryEngine(lambda v: path if v == "odd" else None, SECRET, timeout=10.0)
    yield engine
    engine.close()


def ids(engine, filters, **args) -> list[int]:
    result = engine.query("odd", {"fields": "id", "limit": "1000", **args}, column_filters=filters)
    return [r[0] for r in result.rows]


def where(test) -> list[int]:
    return [r["id"] for r in ROWS if test(r)]


@pytest.mark.parametrize(("filters", "test"), [
    ([ColumnFilter("limit", ("1",))], lambda r: r["limit"] == 1),
    ([ColumnFilter("q", ("p",))], lambda r: r["q"] == "p"),
    ([ColumnFilter("a", ("2",))], lambda r: r["a"] == 2),  # not the column a__eq
    ([ColumnFilter("a__eq", ("2",))], lambda r: r["a__eq"] == 2),
    ([ColumnFilter("a__gt", ("1",))], lambda r: r["a__gt"] == "1"),  # a column, not a > 1
    ([ColumnFilter("label", ("x,y",))], lambda r: r["label"] == "x,y"),
    ([ColumnFilter("label", ("x,y", "z"))], lambda r: r["label"] in ("x,y", "z")),
    ([ColumnFilter("limit", ("0", "2")), ColumnFilter("q", ("r",))], lambda r: r["limit"] != 1 and r["q"] == "r"),
    ([ColumnFilter("label", ("X",), op="contains")], lambda r: "x" in r["label"]),
])
def test_column_filters_name_columns_only(odd_engine, filters, test):
    assert ids(odd_engine, filters) == where(test)


def test_column_filters_and_query_parameters_do_not_mix(odd_engine):
    got = ids(odd_engine, [ColumnFilter("limit", ("2",)), ColumnFilter("q", ("p",))], limit="5", q="p", sort="-id")
    assert got == sorted(where(lambda r: r["limit"] == 2 and r["q"] == "p"), reverse=True)[:5]


def test_answers_are_cached_per_column_filter(odd_engine):
    one = ids(odd_engine, [ColumnFilter("a", ("1",))])
    two = ids(odd_engine, [ColumnFilter("a", ("3",))])
    assert one == where(lambda r: r["a"] == 1) and two == where(lambda r: r["a"] == 3) and one != two


@pytest.mark.parametrize(("cf", "code"), [
    (ColumnFilter("nope", ("1",)), "unknown-column"),
    (ColumnFilter("a", ("one",)), "invalid-parameter"),
    (ColumnFilter("a", ("",)), "invalid-parameter"),
    (ColumnFilter("a", ()), "invalid-parameter"),
    (ColumnFilter("a", ("1",), op="between"), "invalid-parameter"),
    (ColumnFilter("label", ("x", "y"), op="contains"), "invalid-parameter"),
])
def test_problems_name_the_given_parameter(odd_engine, cf, code):
    with pytest.raises(ValidationError) as info:
        odd_engine.query("odd", {}, column_filters=[cf])
    assert [(p.path, p.code) for p in info.value.problems] == [("filters", code)]
    assert cf.column in info.value.problems[0].message or cf.op in info.value.problems[0].message
