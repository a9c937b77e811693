"""A quick load of simple query strings, with the schema's own answer for everything else.

Loading query arguments through a marshmallow schema costs about a tenth of a millisecond a
request (field by field, validator by validator), which counts on the busiest endpoints. Most
query strings are plain: a search text, a sort out of a list, a page number of a few digits.
:class:`QuickQueryArgsSchema` reads those directly, from a table made once of its own fields,
and hands anything else to ``Schema.load``: a value it does not read as the schema would, an
unknown parameter, any value that is invalid. So every error still comes from the schema, with
the same message and field, and a quick answer is exactly the schema's (tests/api/test_query_args.py
compares them over a spread of inputs).

Fields read quickly: ``String`` (no validator, or ``OneOf``), ``Integer`` (``Range`` validators;
values of ASCII digits only), ``List(String())`` without validators, and fields that declare
their own ``quick_load(value)`` (returning None when they cannot tell). Others make the whole
query string go through the schema when present.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import fields, missing, validate

from opendata.api.arguments import ArgumentsSchema

MAX_DIGITS = 18  # a page number, a limit, a score: longer numbers go through the schema


def _no_hooks(field: fields.Field) -> bool:
    return not (getattr(field, "pre_load", None) or getattr(field, "post_load", None))


def _string_reader(field: fields.Field) -> Callable[[Any], Any] | None:
    if not field.validators:
        return lambda value: value if isinstance(value, str) else None
    if len(field.validators) == 1 and isinstance(field.validators[0], validate.OneOf):
        choices = frozenset(field.validators[0].choices)
        return lambda value: value if isinstance(value, str) and value in choices else None
    return None


def _integer_reader(field: fields.Integer) -> Callable[[Any], Any] | None:
    if not all(isinstance(v, validate.Range) and v.min_inclusive and v.max_inclusive for v in field.validators):
        return None
    low = max((v.min for v in field.validators if v.min is not None), default=None)
    high = min((v.max for v in field.validators if v.max is not None), default=None)

    def read(value: Any) -> int | None:
        if not (isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= MAX_DIGITS):
            return None
        number = int(value)
        return number if (low is None or number >= low) and (high is None or number <= high) else None

    return read


def _list_reader(field: fields.List) -> Callable[[Any], Any] | None:
    inner = field.inner
    if field.validators or type(inner) is not fields.String or inner.validators or not _no_hooks(inner):
        return None
    return lambda value: list(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def _reader(field: fields.Field) -> Callable[[Any], Any] | None:
    """How to read one field's raw value quickly (None when only the schema can)."""
    if not _no_hooks(field) or field.allow_none:
        return None
    if hasattr(field, "quick_load"):
        return field.quick_load
    if type(field) is fields.String:
        return _string_reader(field)
    if type(field) is fields.Integer and not field.strict:
        return _integer_reader(field)
    if type(field) is fields.List:
        return _list_reader(field)
    return None


class QuickQueryArgsSchema(ArgumentsSchema):
    """Query arguments loaded quickly when they are simple, through the schema otherwise."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # input name -> (output name, reader or None, default); the schema's own hooks rule it out,
        # and so does a required field (its absence is the schema's error to make)
        self._quick: dict[str, tuple[str, Callable[[Any], Any] | None, Any]] | None = None
        if (not any(self._hooks.values()) and not self.partial and not self.many
                and not any(f.required for f in self.load_fields.values())):
            self._quick = {(f.data_key or name): (f.attribute or name, _reader(f), f.load_default)
                           for name, f in self.load_fields.items()}

    def load(self, data: Mapping[str, Any], *, many: bool | None = None, partial: Any = None,
             unknown: str | None = None) -> Any:
        quick = self._quick_load(data) if many is None and partial is None else None
        return quick if quick is not None else super().load(data, many=many, partial=partial, unknown=unknown)

    def _quick_load(self, data: Mapping[str, Any]) -> dict[str, Any] | None:
        table = self._quick
        if table is None or not isinstance(data, Mapping):
            return None
        out: dict[str, Any] = {}
        for key in data:  # an unknown parameter: the schema says what happens to it
            if key not in table:
                return None
        for key, (name, read, default) in table.items():
            raw = data.get(key, missing)
            if raw is missing:
                if default is not missing:
                    out[name] = default() if callable(default) else default
                continue
            value = read(raw) if read is not None else None
            if value is None:
                return None
            out[name] = value
        return out
