"""Table Schemas inside a plain subset that opendata reads without importing frictionless.

Importing frictionless costs about a quarter of a second (it loads every format, portal and
jsonschema), more than the rest of ``opendata validate`` on a small file. Most schemas use a
plain subset of Table Schema: known field types with the default format, titles, descriptions,
missing values, the usual constraints and opendata's ``x-`` properties. For those,
frictionless' own descriptor check always passes and its reading rules are simple enough to
resolve here (the options' defaults, how a constraint value is read); anything else goes to
frictionless as before. ``tests/core/test_plain_schema.py`` holds this module to frictionless'
answers on generated descriptors, so the subset stays one frictionless agrees with.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

TRUE_VALUES = ("true", "True", "TRUE", "1")
FALSE_VALUES = ("false", "False", "FALSE", "0")

_SCHEMA_KEYS = {"fields", "primaryKey", "missingValues", "title", "description", "uniqueKeys"}
_TEXT_KEYS = ("name", "title", "description")
_FIELD_KEYS = {"name", "type", "format", "title", "description", "constraints", "missingValues"}
_TYPE_KEYS = {  # type options a field of the type may carry, with the JSON type each must have
    "integer": {"bareNumber": bool},
    "number": {"bareNumber": bool, "groupChar": str, "decimalChar": str},
    "boolean": {"trueValues": list, "falseValues": list},
}
_CONSTRAINTS = {  # constraints frictionless supports per type (besides "unique"), minus the v2 ones
    "string": ("required", "minLength", "maxLength", "pattern", "enum"),
    "integer": ("required", "minimum", "maximum", "enum"),
    "number": ("required", "minimum", "maximum", "enum"),
    "boolean": ("required", "enum"),
    "date": ("required", "minimum", "maximum", "enum"),
    "time": ("required", "minimum", "maximum", "enum"),
    "datetime": ("required", "minimum", "maximum", "enum"),
    "year": ("required", "minimum", "maximum", "enum"),
    "yearmonth": ("required", "minimum", "maximum", "enum"),
    "geopoint": ("required", "enum"),
    "any": ("required", "enum"),
}
_STRING_FORMATS = ("default", "email", "uri", "binary", "uuid", "wkt")
_SNAKE = {"bareNumber": "bare_number", "groupChar": "group_char", "decimalChar": "decimal_char",
          "trueValues": "true_values", "falseValues": "false_values", "missingValues": "missing_values"}


def is_plain(descriptor: Any) -> bool:
    """Whether a descriptor lies in the plain subset (and so passes frictionless' check)."""
    if not isinstance(descriptor, Mapping) or not set(descriptor) <= _SCHEMA_KEYS | _extensions(descriptor):
        return False
    if not all(isinstance(descriptor.get(k, ""), str) for k in ("title", "description")):
        return False
    if not _strings(descriptor.get("missingValues", [])):
        return False
    fields = descriptor.get("fields")
    if not isinstance(fields, list) or not fields or not all(_plain_field(f) for f in fields):
        return False
    names = [f["name"] for f in fields]
    if len(set(names)) != len(names):
        return False
    pk = descriptor.get("primaryKey", [])
    pk = [pk] if isinstance(pk, str) else pk
    return isinstance(pk, list) and all(isinstance(n, str) and n in names for n in pk)


def _extensions(node: Mapping[str, Any]) -> set[str]:
    return {k for k in node if isinstance(k, str) and k.startswith("x-")}


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _plain_field(fd: Any) -> bool:
    if not isinstance(fd, Mapping):
        return False
    ftype = fd.get("type", "string")
    if ftype not in _CONSTRAINTS:
        return False
    options = _TYPE_KEYS.get(ftype, {})
    if not set(fd) <= _FIELD_KEYS | set(options) | _extensions(fd):
        return False
    if not isinstance(fd.get("name"), str) or not fd["name"]:
        return False
    if not all(isinstance(fd.get(k, ""), str) for k in _TEXT_KEYS):
        return False
    fmt = fd.get("format", "default")
    if fmt != "default" and not (ftype == "string" and fmt in _STRING_FORMATS):
        return False
    if not _strings(fd.get("missingValues", [])):
        return False
    for key, kind in options.items():
        if key in fd and not (_strings(fd[key]) if kind is list else isinstance(fd[key], kind)):
            return False
    return _plain_constraints(fd.get("constraints", {}), ftype)


def _plain_constraints(constraints: Any, ftype: str) -> bool:
    if not isinstance(constraints, Mapping):
        return False
    if not set(constraints) <= {*_CONSTRAINTS[ftype], "unique"}:
        return False
    for key, value in constraints.items():
        if key in ("required", "unique") and not isinstance(value, bool):
            return False
        if key in ("minLength", "maxLength") and (isinstance(value, bool) or not isinstance(value, int)):
            return False
        if key == "pattern" and not isinstance(value, str):
            return False
        if key == "enum" and not isinstance(value, list):
            return False
    return True


def resolved_options(fd: Mapping[str, Any]) -> dict[str, Any]:
    """A plain field's type options with frictionless' defaults filled in."""
    ftype = fd.get("type", "string")
    out: dict[str, Any] = {}
    if ftype in ("integer", "number"):
        out["bare_number"] = fd.get("bareNumber", True)
    if ftype == "number":
        out["group_char"] = fd.get("groupChar", "")
        out["decimal_char"] = fd.get("decimalChar", ".")
    if ftype == "boolean":
        out["true_values"] = list(fd.get("trueValues", TRUE_VALUES))
        out["false_values"] = list(fd.get("falseValues", FALSE_VALUES))
    return out


def defined_options(fd: Mapping[str, Any]) -> frozenset[str]:
    """The type options a plain field sets itself (frictionless' ``list_defined`` names)."""
    return frozenset(_SNAKE[k] for k in fd if k in _SNAKE)


def plain_value_reader(fd: Mapping[str, Any]) -> Callable[[Any], Any] | None:
    """frictionless' reading of a constraint value for a plain field, or None where not mirrored."""
    ftype, fmt = fd.get("type", "string"), fd.get("format", "default")
    if ftype == "string" and fmt == "default":
        return lambda cell: cell if isinstance(cell, str) else None
    if ftype == "integer" and fd.get("bareNumber", True):
        return _read_integer
    if ftype == "number" and not {"bareNumber", "groupChar", "decimalChar"} & set(fd):
        return _read_number
    return None


def _read_integer(cell: Any) -> Any:
    if isinstance(cell, str):
        try:
            return int(cell.strip())
        except ValueError:
            return None
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    if isinstance(cell, Decimal) and cell % 1 == 0:
        return int(cell)
    return None


def _read_number(cell: Any) -> Any:
    if isinstance(cell, str):
        try:
            return Decimal(cell.strip())
        except ArithmeticError:
            return None
    if isinstance(cell, Decimal):
        return cell
    if cell is True or cell is False:
        return None
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float):
        return Decimal(str(cell))
    return None
