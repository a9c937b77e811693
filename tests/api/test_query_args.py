"""QuickQueryArgsSchema: a quick answer is exactly the schema's, and anything doubtful goes to the schema.

Each query string is loaded as webargs loads it (a MultiDictProxy over the request's arguments,
unknown parameters excluded), once by marshmallow's own ``Schema.load`` (the general path) and
once by the quick path. Where the schema refuses, the quick path must give no answer (so the
schema answers, with its error); where the quick path answers, it must equal the schema's answer.
"""

from __future__ import annotations

import marshmallow as ma
import pytest
from marshmallow import fields, validate
from webargs.multidictproxy import MultiDictProxy
from werkzeug.datastructures import MultiDict

from opendata.api.query_args import QuickQueryArgsSchema
from opendata.api.v1.datasets.read import SEARCH_ARGS
from opendata.api.v1.schemas import DatasetSearchQueryArgsSchema

SIMPLE = [  # read quickly
    [],
    [("q", "财政预算")],
    [("q", "")],
    [("q", "  spaces kept  ")],
    [("q", "a"), ("q", "b")],  # the first, as the schema takes it
    [("sort", "title")],
    [("sort", "quality"), ("quality__gte", "0")],
    [("quality__gte", "100")],
    [("page", "2"), ("page_size", "50")],
    [("page", "007")],
    [("page", "100000"), ("page_size", "0")],
    [("page_size", "100")],
    [("theme", "fiscal")],
    [("theme", "fiscal,environment")],
    [("theme", "财政预决算")],
    [("theme", " fiscal , health ")],
    [("theme", "fiscal"), ("theme", "health")],
    [("disclosure", "unconditional"), ("frequency", "daily,monthly")],
    [("publisher", "city,finance"), ("publisher", "env")],
    [("keyword", "招生"), ("format", "CSV"), ("license", "CC-BY-4.0")],
    [("q", "深圳 公交"), ("theme", "transport"), ("sort", "modified"), ("page", "3"), ("page_size", "20")],
]
DOUBTFUL = [  # valid or not, the schema answers
    [("page", "+2")],
    [("page", " 2")],
    [("page", "٢")],  # a digit int() reads, not ASCII
    [("page", "1_0")],
    [("page", "2.0")],
    [("page", "")],
    [("page", "0")],
    [("page", "-1")],
    [("page", "100001")],
    [("page", "9" * 30)],
    [("page", "1" * 5000)],
    [("page_size", "101")],
    [("page_size", "abc")],
    [("quality__gte", "101")],
    [("quality__gte", "-0")],
    [("sort", "best")],
    [("sort", "")],
    [("sort", "Title")],
    [("theme", "nonsense")],
    [("theme", "fiscal,")],
    [("theme", "")],
    [("theme", "fiscal"), ("theme", "nonsense")],
    [("disclosure", "open")],
    [("frequency", "hourly")],
    [("unknown", "1")],
    [("q", "财政"), ("utm_source", "x")],
    [("page", "2"), ("sort", "nope"), ("theme", "fiscal")],
]


def proxy(pairs, schema) -> MultiDictProxy:
    return MultiDictProxy(MultiDict(pairs), schema)


def general(schema, pairs):
    """marshmallow's own load, as webargs calls it for a query string."""
    return ma.Schema.load(schema, proxy(pairs, schema), unknown=ma.EXCLUDE)


@pytest.mark.parametrize("pairs", SIMPLE + DOUBTFUL)
def test_a_quick_answer_is_the_schemas_and_a_refusal_is_left_to_it(pairs):
    schema = SEARCH_ARGS
    quick = schema._quick_load(proxy(pairs, schema))
    try:
        expected = general(schema, pairs)
    except ma.ValidationError as exc:
        assert quick is None
        with pytest.raises(ma.ValidationError) as raised:  # through load: the schema's own error
            schema.load(proxy(pairs, schema), unknown=ma.EXCLUDE)
        assert raised.value.messages == exc.messages
        return
    assert quick is None or quick == expected
    assert schema.load(proxy(pairs, schema), unknown=ma.EXCLUDE) == expected


@pytest.mark.parametrize("pairs", SIMPLE)
def test_simple_search_arguments_are_read_quickly(pairs):
    assert SEARCH_ARGS._quick_load(proxy(pairs, SEARCH_ARGS)) == general(SEARCH_ARGS, pairs)


@pytest.mark.parametrize("pairs", DOUBTFUL)
def test_doubtful_search_arguments_go_through_the_schema(pairs):
    assert SEARCH_ARGS._quick_load(proxy(pairs, SEARCH_ARGS)) is None


def test_a_fresh_schema_instance_reads_the_same():
    fresh = DatasetSearchQueryArgsSchema()
    for pairs in SIMPLE:
        assert fresh._quick_load(proxy(pairs, fresh)) == SEARCH_ARGS._quick_load(proxy(pairs, SEARCH_ARGS))


class _OddSchema(QuickQueryArgsSchema):
    """Fields the quick path must not read: each present value sends the query to the schema."""

    when = fields.Date()
    ratio = fields.Float()
    code = fields.String(validate=validate.Length(max=3))
    strict = fields.Integer(strict=True)
    needed = fields.String(required=True)
    tags = fields.List(fields.String(validate=validate.OneOf(["a"])))
    name = fields.String(data_key="n", load_default="none")


@pytest.mark.parametrize("pairs", [
    [("needed", "x")],
    [("needed", "x"), ("when", "2024-01-01")],
    [("needed", "x"), ("ratio", "0.5")],
    [("needed", "x"), ("code", "abcd")],
    [("needed", "x"), ("strict", "3")],
    [("needed", "x"), ("tags", "b")],
    [("needed", "x"), ("n", "renamed")],
    [("needed", "x"), ("name", "by attribute")],
    [],
])
def test_fields_it_cannot_read_are_left_to_the_schema(pairs):
    schema = _OddSchema()
    quick = schema._quick_load(proxy(pairs, schema))
    try:
        expected = general(schema, pairs)
    except ma.ValidationError:
        assert quick is None
        return
    assert quick is None or quick == expected


def test_a_required_field_makes_every_query_go_through_the_schema():
    schema = _OddSchema()
    assert schema._quick_load(proxy([("needed", "x")], schema)) is None
    assert schema._quick_load(proxy([], schema)) is None


@pytest.mark.parametrize(("query", "name"), [
    ("page=0", "page"), ("page=%2B", "page"), ("page_size=101", "page_size"), ("sort=best", "sort"),
    ("theme=fiscal,nonsense", "theme"), ("quality__gte=101", "quality__gte"), ("page=" + "1" * 5000, "page"),
])
def test_bad_search_arguments_are_a_422_naming_the_parameter(client, query, name):
    response = client.get("/api/v1/datasets?" + query)
    assert response.status_code == 422
    assert set(response.json) == {"code", "status", "message", "errors"}
    assert list(response.json["errors"]["query"]) == [name]
