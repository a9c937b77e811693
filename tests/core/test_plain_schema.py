"""The plain Table Schema subset agrees with frictionless: what is plain, frictionless accepts,
and the options and constraint values resolved without frictionless are frictionless' own."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from frictionless import Schema

from opendata.core.plain_schema import (
    defined_options,
    is_plain,
    plain_value_reader,
    resolved_options,
)
from opendata.core.tableschema import frictionless_cell_readers, load_table_schema

TYPES = ["string", "integer", "number", "boolean", "date", "time", "datetime", "year", "yearmonth",
         "geopoint", "any", "array", "duration"]
# values of every JSON kind, to put where a property expects one kind
ODD = [None, True, 3, 2.5, "x", "", [], ["a"], [1], {}, {"a": 1}, "2020-01-01"]
CONSTRAINTS = ["required", "unique", "minLength", "maxLength", "pattern", "enum", "minimum", "maximum",
               "exclusiveMinimum", "exclusiveMaximum", "other"]
FIELD_PROPS = ["format", "title", "description", "missingValues", "bareNumber", "groupChar", "decimalChar",
               "trueValues", "falseValues", "floatNumber", "example", "rdfType", "required", "x-pii", "other"]
SCHEMA_PROPS = ["missingValues", "title", "description", "name", "foreignKeys", "fieldsMatch", "$schema",
                "uniqueKeys", "x-note", "other"]


def _value(rng: random.Random, good: object) -> object:
    return good if rng.random() < 0.9 else rng.choice(ODD)


def _constraint(rng: random.Random, name: str) -> object:
    good = {"required": True, "unique": False, "minLength": 1, "maxLength": 5, "pattern": "[0-9]+",
            "enum": ["1", "2"], "minimum": 0, "maximum": 100, "exclusiveMinimum": 0,
            "exclusiveMaximum": 9, "other": 1}[name]
    return _value(rng, good)


def _field(rng: random.Random, i: int) -> dict:
    fd: dict = {"name": _value(rng, f"f{i}"), "type": rng.choice(TYPES)}
    for prop in rng.sample(FIELD_PROPS, rng.choice([0, 0, 1, 1, 2])):
        good = {"format": rng.choice(["default", "email", "uri", "any", "%Y", "uuid", "array"]),
                "title": "标题", "description": "说明", "missingValues": ["", "-"], "bareNumber": False,
                "groupChar": ",", "decimalChar": ",", "trueValues": ["是"], "falseValues": ["否"],
                "floatNumber": True, "example": "1", "rdfType": "x", "required": True, "x-pii": False,
                "other": 1}[prop]
        fd[prop] = _value(rng, good)
    if rng.random() < 0.6:
        fd["constraints"] = {c: _constraint(rng, c) for c in rng.sample(CONSTRAINTS, rng.randint(1, 3))}
    return fd


def _descriptor(rng: random.Random) -> dict:
    fields = [_field(rng, i) for i in range(rng.randint(1, 3))]
    if rng.random() < 0.1:
        fields.append(dict(fields[0]))  # a duplicate name
    out: dict = {"fields": fields}
    if rng.random() < 0.5:
        out["primaryKey"] = rng.choice(["f0", ["f0"], ["nope"], 3, "f1"])
    for prop in rng.sample(SCHEMA_PROPS, rng.choice([0, 0, 1])):
        good = {"missingValues": ["", "NA"], "title": "t", "description": "d", "name": "bad name",
                "foreignKeys": [], "fieldsMatch": "exact", "$schema": "x", "uniqueKeys": [["f0"]],
                "x-note": 1, "other": 1}[prop]
        out[prop] = _value(rng, good)
    return out


@pytest.fixture(scope="module")
def descriptors() -> list[dict]:
    rng = random.Random(42)
    return [_descriptor(rng) for _ in range(8000)]


def test_every_plain_descriptor_passes_frictionless_check(descriptors):
    plain = [d for d in descriptors if is_plain(d)]
    assert len(plain) > 300  # the generator reaches the subset often enough to mean something
    refused = [(d, [e.note for e in report.errors]) for d in plain
               if not (report := Schema.validate_descriptor(d)).valid]
    assert refused == []


def test_descriptors_outside_the_subset_are_not_plain():
    base = {"fields": [{"name": "a", "type": "number"}]}
    assert is_plain(base)
    for changed in ({"fields": [{"name": "a", "type": "number", "constraints": {"exclusiveMinimum": 0}}]},
                    {"fields": [{"name": "a", "type": "date", "format": "%d/%m/%Y"}]},
                    {"fields": [{"name": "a", "type": "string", "required": True}]},
                    {"fields": [{"name": "a", "type": "string", "constraints": {"required": "yes"}}]},
                    {"fields": [{"name": "a", "type": "integer", "constraints": {"pattern": "x"}}]},
                    {"fields": [{"name": "a"}], "foreignKeys": []},
                    {"fields": [{"name": "a"}], "$schema": "https://datapackage.org/profiles/2.0/tableschema.json"},
                    {"fields": [{"name": "a"}], "missingValues": [{"value": "-"}]}):
        assert not is_plain(changed), changed


def test_options_and_missing_values_equal_frictionless_for_plain_schemas(descriptors):
    plain = [d for d in descriptors if is_plain(d) and Schema.validate_descriptor(d).valid]
    for descriptor in plain[:400]:
        fl_schema = Schema.from_descriptor(descriptor)
        for fd, fl_field in zip(descriptor["fields"], fl_schema.fields, strict=True):
            expected = {k: getattr(fl_field, k) for k in
                        ("bare_number", "group_char", "decimal_char", "true_values", "false_values")
                        if hasattr(fl_field, k)}
            assert resolved_options(fd) == expected, fd
            processing = {"bare_number", "group_char", "decimal_char"}
            assert defined_options(fd) & processing == set(fl_field.list_defined()) & processing, fd


def test_missing_values_resolve_as_frictionless_reads_them():
    descriptor = {"fields": [{"name": "a", "type": "integer", "missingValues": ["-"]},
                             {"name": "b", "type": "integer"}], "missingValues": ["", "NA"]}
    readers = frictionless_cell_readers(load_table_schema(descriptor))
    fl_schema = Schema.from_descriptor(descriptor)
    assert readers["a"].missing_values == ("-",) == tuple(fl_schema.fields[0].missing_values)
    assert readers["b"].missing_values == ("", "NA") == tuple(fl_schema.missing_values)


@pytest.mark.parametrize("field", [
    {"name": "a", "type": "string"},
    {"name": "a", "type": "integer"},
    {"name": "a", "type": "number"},
])
def test_constraint_values_are_read_as_frictionless_reads_them(field):
    values = [0, 1, -7, 2.5, 1e300, 0.1, True, False, "12", " 12 ", "1_000", "١٢", "1.5", "abc", "",
              "NaN", "inf", "1e5", None, [1], Decimal("2.50"), Decimal("3"), 10**30, 3.0]
    ours = plain_value_reader(field)
    theirs = Schema.from_descriptor({"fields": [field]}).fields[0].create_value_reader()
    for value in values:
        got, want = ours(value), theirs(value)
        assert (type(got), got) == (type(want), want) or (got != got and want != want), (value, got, want)


def test_validating_canonical_cells_does_not_need_frictionless_readers():
    schema = load_table_schema({"fields": [{"name": "n", "type": "number", "constraints": {"minimum": 0}},
                                           {"name": "s", "type": "string", "constraints": {"enum": ["a"]}}]})
    readers = frictionless_cell_readers(schema)
    assert readers["n"].value_reader(1.5) == Decimal("1.5")
    assert readers["n"]._fields._by_name is None  # frictionless' schema never built
    assert readers["n"].cell_reader("1,5") == (None, {"type": 'type is "number/default"'})
    assert readers["n"]._fields._by_name is not None  # built on the first unusual cell
