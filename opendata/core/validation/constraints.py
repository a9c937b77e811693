"""Vectorized constraint checks on cells the fast path typed (frictionless semantics).

Cells typed by frictionless' own reader (the fallback) carry frictionless' notes already; these
checks cover the rest. ``required`` is checked by the validator on blank cells.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.tableschema import CellReaders, FieldSpec
from opendata.core.validation.types import OVERFLOW, Caster

_BOUNDS: dict[str, Callable[..., pa.Array]] = {
    "minimum": pc.greater_equal, "maximum": pc.less_equal,
    "exclusiveMinimum": pc.greater, "exclusiveMaximum": pc.less,
}
# what each type supports, as in frictionless (other constraints are ignored there too)
SUPPORTED = {
    "string": ("required", "minLength", "maxLength", "pattern", "enum"),
    "integer": ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum"),
    "boolean": ("required", "enum"),
    "geopoint": ("required", "enum"),
    "any": ("required", "enum"),
}
_ORDERED = ("required", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "enum")


def constraint_note(name: str, value: Any) -> str:
    """frictionless' note for a failed constraint."""
    return f'constraint "{name}" is "{value}"'


@dataclass
class _Check:
    name: str
    note: str
    run: Callable[[pa.Array, pa.Array], pa.Array]  # (typed, raw) -> failed (bool, no nulls)


class ConstraintChecker:
    """The constraints of one field, in frictionless' order, as vectorized checks."""

    def __init__(self, spec: FieldSpec, readers: CellReaders, caster: Caster):
        self.required = False
        self.checks: list[_Check] = []
        supported = SUPPORTED.get(spec.type, _ORDERED)
        for name in supported:
            value = spec.constraints.get(name)
            if value is None:
                continue
            note = constraint_note(name, value)
            if name == "required":
                self.required = bool(value)
            elif name in _BOUNDS and caster.has_fast:
                bound = caster.to_storage(readers.value_reader(value))
                if bound is not None and bound is not OVERFLOW:
                    self.checks.append(_Check(name, note, _bound_check(_BOUNDS[name], bound, caster.storage)))
            elif name == "enum" and caster.has_fast:
                typed = [caster.to_storage(readers.value_reader(v)) for v in value]
                typed = [v for v in typed if v is not None and v is not OVERFLOW]
                self.checks.append(_Check(name, note, _enum_check(typed, caster.storage)))
            elif name in ("minLength", "maxLength"):
                cmp = pc.less if name == "minLength" else pc.greater
                self.checks.append(_Check(name, note, _length_check(cmp, int(value))))
            elif name == "pattern":
                self.checks.append(_Check(name, note, _pattern_check(str(value))))

    def failures(self, typed: pa.Array, raw: pa.Array, handled: pa.Array) -> list[tuple[str, str, pa.Array]]:
        """(name, note, failed mask) for each constraint, only over ``handled`` cells."""
        out = []
        for check in self.checks:
            failed = pc.and_(handled, pc.fill_null(check.run(typed, raw), False))
            out.append((check.name, check.note, failed))
        return out


def _bound_check(cmp, bound, storage):
    scalar = pa.scalar(bound, storage)

    def run(typed, raw):
        return pc.invert(pc.fill_null(cmp(typed, scalar), False))

    return run


def _enum_check(values, storage):
    value_set = pa.array(values, storage)

    def run(typed, raw):
        return pc.invert(pc.is_in(typed, value_set=value_set))

    return run


def _length_check(cmp, limit):
    def run(typed, raw):
        return cmp(pc.utf8_length(typed), limit)

    return run


def _pattern_check(pattern: str):
    anchored = f"^{pattern}$"  # exactly as frictionless builds it (no grouping)
    spaces = "\\s" in pattern or "\\S" in pattern
    py_re = re.compile(anchored)
    try:
        pc.match_substring_regex(pa.array(["x"]), anchored)
        re2_ok = True
    except pa.ArrowInvalid:
        re2_ok = False

    def python_failed(values: pa.Array) -> pa.Array:
        # once per distinct value: Python's re for what RE2 cannot judge identically
        uniq = pc.unique(values.drop_null())
        bad = [v for v in uniq.to_pylist() if not py_re.match(v)]
        return pc.fill_null(pc.is_in(values, value_set=pa.array(bad, pa.string())), False)

    def run(typed, raw):
        if not re2_ok:
            return python_failed(typed)
        # RE2 and Python's re agree on ASCII without newlines; other cells (Unicode \\d, a final
        # newline before $, and with \\s the control characters \\x0b, \\x1c-\\x1f) go to Python's re
        ascii_ = pc.and_(pc.fill_null(pc.string_is_ascii(typed), True),
                         pc.invert(pc.fill_null(pc.match_substring(typed, "\n"), False)))
        if spaces:
            ascii_ = pc.and_(ascii_, pc.invert(pc.fill_null(pc.match_substring_regex(typed, r"[\x0b\x1c-\x1f]"), False)))
        failed = pc.invert(pc.fill_null(pc.match_substring_regex(typed, anchored), True))
        if pc.all(ascii_).as_py():
            return failed
        non_ascii = pc.if_else(ascii_, pa.scalar(None, pa.string()), typed)
        return pc.if_else(ascii_, failed, python_failed(non_ascii))

    return run
