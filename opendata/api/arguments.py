"""One rule for every integer a client sends: it must fit the database's signed 64-bit integers.

SQLite and PostgreSQL store ids, numbers and sequence positions in 64 bits; a larger Python int
raised OverflowError deep in a query (a 500). The rule is applied once, here, not per route:

- path segments: the app's ``int`` URL converter is :class:`Int64Converter`, so
  ``/tokens/99999999999999999999`` matches no route and answers 404, as any id that does not exist;
  path segments name stored keys, so their maximum is ``core.keys.KEY_MAX`` (PostgreSQL's ``integer``
  columns are 32-bit and refuse a larger number instead of matching nothing);
- query and body arguments: input schemas derive from :class:`ArgumentsSchema`, which gives every
  integer field without its own bounds the 64-bit range, so a larger value is a 422 naming the field.

Both bounds appear in the OpenAPI document (``tests/api/test_openapi.py`` checks every integer a
request takes has them).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api
from marshmallow import Schema, fields, validate
from werkzeug.routing import IntegerConverter

from opendata.core.keys import KEY_MAX

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Int64Converter(IntegerConverter):
    """werkzeug's ``int`` converter, bounded to the stored keys' range (larger values match no route)."""

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, signed=signed,
                         max=KEY_MAX if max is None or max > KEY_MAX else max)


def _int64_param_schema(converter: Int64Converter) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "integer", "format": "int64", "maximum": converter.max}
    out["minimum"] = converter.min if converter.min is not None else (INT64_MIN if converter.signed else 0)
    return out


class ArgumentsSchema(Schema):
    """Base of every query and body schema: integer fields get the 64-bit range unless they are bounded."""

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        super().on_bind_field(field_name, field_obj)
        _bound(field_obj)


def _bound(field_obj: fields.Field) -> None:
    """Give an integer field (or the integers inside a list, tuple or dict field) the 64-bit range."""
    if isinstance(field_obj, fields.List):
        _bound(field_obj.inner)
    elif isinstance(field_obj, fields.Tuple):
        for inner in field_obj.tuple_fields:
            _bound(inner)
    elif isinstance(field_obj, fields.Dict) and field_obj.value_field is not None:
        _bound(field_obj.value_field)
    elif isinstance(field_obj, fields.Integer):
        ranges = [v for v in field_obj.validators if isinstance(v, validate.Range)]
        low = max((v.min for v in ranges if v.min is not None), default=None)
        high = min((v.max for v in ranges if v.max is not None), default=None)
        if low is None or high is None:
            field_obj.validators.append(validate.Range(INT64_MIN if low is None else low,
                                                       INT64_MAX if high is None else high))


def init_app(app: Flask, api: Api) -> None:
    """Bound the ``int`` converter before any route is added, and document it as int64."""
    app.url_map.converters["int"] = Int64Converter
    api.register_converter(Int64Converter, _int64_param_schema)
