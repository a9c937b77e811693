"""The Table Schema of the canonical outputs: each field described in the form the writers wrote.

A source file may write dates as ``31/12/2020``, booleans as ``是``/``否``, numbers as ``1.234,5``
and missing values as ``NA``; its schema says so (``format``, ``trueValues``, ``decimalChar``,
``missingValues``), and the writers turn every value into its Table Schema default form (see
``opendata.core.writers``). The published schema must describe the published files, or a Data
Package reader (frictionless) refuses every such cell. So the source-form options are removed,
constraint values written in the source form are rewritten in the default form, and
``x-normalize`` goes (the published values are already normalized).
"""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

from opendata.core.tableschema import TableSchema, frictionless_cell_readers

# options that describe how the source wrote a type; the canonical form is the default one
SOURCE_FORM = {
    "number": ("groupChar", "decimalChar", "bareNumber"),
    "integer": ("bareNumber",),
    "boolean": ("trueValues", "falseValues"),
    "date": ("format",),
    "time": ("format",),
    "datetime": ("format",),
    "geopoint": ("format",),
}
_VALUE_CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


def canonical_descriptor(schema: TableSchema, descriptor: dict[str, Any]) -> dict[str, Any]:
    """``descriptor`` (the published fields of ``schema``) rewritten to describe the canonical files."""
    out = copy.deepcopy(descriptor)
    readers = frictionless_cell_readers(schema)
    out.pop("missingValues", None)  # null is written as the empty cell, the default missing value
    for fd in out.get("fields", []):
        fd.pop("missingValues", None)
        fd.pop("x-normalize", None)
        ftype = fd.get("type", "string")
        source_options = [k for k in SOURCE_FORM.get(ftype, ()) if k in fd]
        if not source_options:
            continue
        reader = readers.get(fd["name"])
        constraints = fd.get("constraints") or {}
        if reader is not None:
            for key in _VALUE_CONSTRAINTS:
                if isinstance(constraints.get(key), str):
                    constraints[key] = _canonical_value(reader.value_reader, constraints[key])
            if isinstance(constraints.get("enum"), list):
                constraints["enum"] = [_canonical_value(reader.value_reader, v) if isinstance(v, str) else v
                                       for v in constraints["enum"]]
        for key in source_options:
            del fd[key]
    return out


def _canonical_value(read: Any, text: str) -> Any:
    """A constraint value read in the source form, written in the default form (as is if unreadable)."""
    value = read(text)
    if value is None:
        return text
    if isinstance(value, bool):
        return value
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat() + "Z"
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, list | tuple):
        return ",".join(str(v) for v in value)
    return value
