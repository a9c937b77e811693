"""Vectorized typing of date, time and datetime cells (see ``types`` for the approach).

Fast paths: Arrow's strict ISO date cast, and for strptime formats made of zero-padded numeric
directives, Arrow's strptime checked part by part against the text (Arrow rolls 2020-02-30 over
to March 1st where Python rejects it). Everything else goes to frictionless' own reader.
"""

from __future__ import annotations

import datetime as dt
import re

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.validation.types import OVERFLOW, Caster, Fast, _match, _try_cast

_FIXED_DIRECTIVES = {"%Y": "[1-9][0-9]{3}", "%m": "[0-9]{2}", "%d": "[0-9]{2}", "%H": "[0-9]{2}",
                     "%M": "[0-9]{2}", "%S": "[0-9]{2}"}
_PARTS = {"%Y": (4, pc.year), "%m": (2, pc.month), "%d": (2, pc.day), "%H": (2, pc.hour),
          "%M": (2, pc.minute), "%S": (2, pc.second)}


def _strptime_roundtrip(arr: pa.Array, fmt: str, regex: str) -> tuple[pa.Array, pa.Array]:
    """Parse fixed-width cells with ``fmt``; a cell counts only if each part reads back the same.

    Arrow's strptime rolls 2020-02-30 over to March 1st where Python's rejects it, so every
    directive's digits are compared with the parsed timestamp's component.
    """
    ok = _match(arr, regex)
    cand = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
    ts = pc.strptime(cand, format=fmt, unit="s", error_is_null=True)
    ok = pc.is_valid(ts)
    offset = 0
    for part in re.split(r"(%.)", fmt):
        if part in _PARTS:
            width, component = _PARTS[part]
            text = pc.cast(pc.utf8_slice_codeunits(cand, offset, offset + width), pa.int64())
            ok = pc.and_(ok, pc.fill_null(pc.equal(text, pc.cast(component(ts), pa.int64())), False))
            offset += width
        else:
            offset += len(part)  # code points (utf8_slice_codeunits counts code points)
    ok = pc.fill_null(ok, False)
    return pc.if_else(ok, ts, pa.scalar(None, ts.type)), ok


def _fixed_format_regex(fmt: str) -> str | None:
    """A strict regex for a strptime format made only of zero-padded directives, else None."""
    parts = re.split(r"(%.)", fmt)
    out = []
    for part in parts:
        if part.startswith("%") and len(part) == 2:
            if part not in _FIXED_DIRECTIVES:
                return None
            out.append(_FIXED_DIRECTIVES[part])
        elif re.search(r"\s", part):  # strptime treats whitespace loosely
            return None
        else:
            out.append(re.escape(part))
    return "^" + "".join(out) + "$"


_NUMERIC_DIRECTIVES = ("%Y", "%m", "%d", "%H", "%M", "%S", "%y", "%j", "%f", "%I", "%U", "%W")


def _needs_digit_format(fmt: str) -> bool:
    """Default ISO formats and strptime formats with a numeric directive need a digit ('any' not)."""
    return fmt == "default" or (fmt != "any" and any(d in fmt for d in _NUMERIC_DIRECTIVES))


_ISO_DATE = r"^[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}$"


class DateCaster(Caster):
    def needs_digit(self):
        return _needs_digit_format(self.spec.format)

    def hopeless(self, cand):
        out = super().hopeless(cand)
        if self.spec.format != "default":
            return out
        # A cell of this strict form is decided by the fast path (Arrow's cast, else strptime checked
        # part by part): one it left is no real date (2020-13-45), which frictionless' reader
        # (datetime.strptime with %Y-%m-%d) refuses too. Deciding it here keeps a file whose only bad
        # cells are such dates from importing frictionless (a quarter of a second) for them.
        strict = _match(cand, _ISO_DATE)
        return strict if out is None else pc.or_(out, strict)

    def fast(self, arr):
        if self.spec.format == "default":
            typed = _try_cast(arr, pa.date32())  # Arrow: strict YYYY-MM-DD, real dates only
            if typed is not None:
                # Arrow also reads year 0000, which Python (so frictionless) rejects: leave it to the reader
                handled = pc.fill_null(pc.greater_equal(pc.year(typed), 1), False)
                return Fast(pc.if_else(handled, typed, pa.scalar(None, pa.date32())), handled)
            if (sliced := self.fast_by_slices(arr)) is not None:
                return sliced
        fmt = "%Y-%m-%d" if self.spec.format == "default" else self.spec.format
        regex = _fixed_format_regex(fmt) if self.spec.format != "any" else None
        if regex is None or any(d in fmt for d in ("%H", "%M", "%S")):
            return super().fast(arr)
        ts, ok = _strptime_roundtrip(arr, fmt, regex)
        return Fast(pc.cast(ts, pa.date32()), ok)


class DatetimeCaster(Caster):
    def needs_digit(self):
        return _needs_digit_format(self.spec.format)

    def fast(self, arr):
        if self.spec.format == "default":
            core = r"[1-9][0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
            ok0 = _match(arr, "^" + core + "Z?$")
            head = pc.utf8_slice_codeunits(pc.if_else(ok0, arr, pa.scalar(None, pa.string())), 0, 19)
            ts, ok = _strptime_roundtrip(head, "%Y-%m-%dT%H:%M:%S", "^" + core + "$")
            return Fast(pc.cast(ts, pa.timestamp("us")), ok)
        regex = _fixed_format_regex(self.spec.format) if self.spec.format != "any" else None
        if regex is None:
            return super().fast(arr)
        ts, ok = _strptime_roundtrip(arr, self.spec.format, regex)
        return Fast(pc.cast(ts, pa.timestamp("us")), ok)

    storage_note = ("outside the years 0001-9999 once converted to UTC, where no reader of the published files "
                    "can represent it")

    def to_storage(self, value):
        if isinstance(value, dt.datetime) and value.tzinfo is not None:
            try:
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            except OverflowError:  # 0001-01-01T00:00:00+01:00 is year 0 in UTC
                return OVERFLOW
        return value

    extra_type = pa.bool_()  # aware or naive: Python never finds an aware value equal to a naive one

    def fast_extra(self, cand, handled):
        aware = pc.fill_null(pc.ends_with(cand, "Z"), False) if self.spec.format == "default" else False
        return pc.if_else(handled, aware, pa.scalar(None, pa.bool_()))

    def extra_value(self, value):
        return None if value is None else value.tzinfo is not None


class TimeCaster(Caster):
    def needs_digit(self):
        return _needs_digit_format(self.spec.format)

    def fast(self, arr):
        if self.spec.format != "default":
            return super().fast(arr)
        ok = _match(arr, r"^([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]$")
        cand = pc.if_else(ok, arr, pa.scalar(None, pa.string()))
        parts = [pc.cast(pc.utf8_slice_codeunits(cand, i, i + 2), pa.int64()) for i in (0, 3, 6)]
        micros = pc.multiply(pc.add(pc.add(pc.multiply(parts[0], 3600), pc.multiply(parts[1], 60)), parts[2]),
                             1_000_000)
        return Fast(pc.cast(micros, pa.time64("us")), ok)

    def to_storage(self, value):
        if isinstance(value, dt.time) and value.utcoffset() is not None:
            moment = dt.datetime.combine(dt.date(2000, 1, 1), value) - value.utcoffset()
            return moment.time()  # aware times are kept in UTC
        return value

    extra_type = pa.bool_()  # aware or naive: Python never finds an aware value equal to a naive one

    def fast_extra(self, cand, handled):
        return pc.if_else(handled, False, pa.scalar(None, pa.bool_()))

    def extra_value(self, value):
        return None if value is None else value.tzinfo is not None
