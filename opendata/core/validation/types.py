"""Vectorized typing of text cells per Table Schema field type.

Each field gets a :class:`Caster`. Its ``fast`` method types, with pyarrow.compute, the cells in
the canonical form of the type (the vast majority of real data) and says which cells it typed.
Every other non-blank cell is typed by frictionless' own cell reader, once per *distinct* value
(see ``validator._fallback``), so unusual cells (full-width digits, ``1_000``, ``NaN``, ``24:00:00``,
``2020-1-5``, email/uri formats ...) are judged exactly as frictionless-py judges them.

Typed storage (the Arrow type of each schema type):

- string, any: ``string``; integer: ``int64``; number: ``float64``; boolean: ``bool``;
  date: ``date32``; time: ``time64[us]``; datetime: ``timestamp[us]`` (aware values in UTC);
  year: ``int32``; yearmonth: ``string`` "YYYY-MM"; geopoint: ``struct<lon, lat: float64>``.
- Values frictionless accepts but the typed storage cannot hold are ``OVERFLOW``: their typed
  value is null and the validator reports a ``storage-error`` naming the cell (``storage_note``
  says why). Integers beyond the int64 range (e.g. 30 digits); numbers whose magnitude a double
  cannot hold (``1e309`` would become infinity, ``1e-400`` zero); aware datetimes that leave the
  years 0001-9999 once converted to UTC (Python, pandas and frictionless could not read them).
  Numbers are doubles: exact for up to 15 significant digits, which the fast path requires;
  longer ones are judged by frictionless and then rounded to the nearest double.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.tableschema import CellReaders, FieldSpec

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
STORAGE = {
    "string": pa.string(), "any": pa.string(), "integer": pa.int64(), "number": pa.float64(),
    "boolean": pa.bool_(), "date": pa.date32(), "time": pa.time64("us"),
    "datetime": pa.timestamp("us"), "year": pa.int32(), "yearmonth": pa.string(),
    "geopoint": pa.struct([("lon", pa.float64()), ("lat", pa.float64())]),
}
OVERFLOW = object()  # an integer valid for frictionless but beyond int64
_NUMBER_RE = r"^-?([0-9]+\.?[0-9]*|\.[0-9]+)$"

@dataclass
class Fast:
    """Result of the vectorized path: ``typed`` values where ``handled`` is true."""

    typed: pa.Array
    handled: pa.Array  # bool, never null


def _match(arr: pa.Array, pattern: str) -> pa.Array:
    return pc.fill_null(pc.match_substring_regex(arr, pattern), False)


PIECE = 4096  # cells per slice when a batch's strict cast fails (see Caster.fast_by_slices)


def _try_cast(arr: pa.Array, to: pa.DataType) -> pa.Array | None:
    """Arrow's strict cast of a whole batch, or None when any cell does not parse."""
    try:
        return pc.cast(arr, to)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


class Caster:
    """Types one field's cells; subclasses override ``fast`` and ``to_storage``."""

    exact = False  # True when ``fast`` decides every non-null cell (no fallback needed)
    has_fast = True  # False when every cell goes to frictionless' reader
    storage_note = ""  # why a value ``to_storage`` calls OVERFLOW cannot be stored (storage-error note)

    def __init__(self, spec: FieldSpec, readers: CellReaders):
        self.spec = spec
        self.readers = readers
        self.storage = STORAGE[spec.type]

    def fast(self, arr: pa.Array) -> Fast:
        return Fast(pa.nulls(len(arr), self.storage), pc.fill_null(pc.and_(pc.is_valid(arr), False), False))

    def fast_by_slices(self, arr: pa.Array) -> Fast | None:
        """``fast`` slice by slice, for a batch whose strict cast failed: a few bad cells then send
        only their slices down the slower checked path (a date column with a bad cell in most
        batches cost a third of validating a 1M-row file). None for a batch of one slice."""
        if len(arr) <= PIECE:
            return None
        parts = [self.fast(arr.slice(i, PIECE)) for i in range(0, len(arr), PIECE)]
        return Fast(pa.concat_arrays([p.typed for p in parts]), pa.concat_arrays([p.handled for p in parts]))

    def to_storage(self, value: Any) -> Any:
        return value

    # Keys (unique, primary key) must be equal exactly when frictionless' Python values are: an
    # "extra" key part carries what the typed storage loses (see subclasses).
    extra_type: pa.DataType | None = None

    def fast_extra(self, cand: pa.Array, handled: pa.Array) -> pa.Array | None:
        return None

    def extra_value(self, value: Any) -> Any:
        return None

    def needs_digit(self) -> bool:
        """Whether every value frictionless accepts has a (Unicode) decimal digit."""
        return False

    def hopeless(self, cand: pa.Array) -> pa.Array | None:
        """Cells certainly invalid for this type (no fallback needed), or None if unknown."""
        if not self.needs_digit():
            return None
        return pc.invert(pc.fill_null(pc.match_substring_regex(cand, r"\p{Nd}"), True))


class StringCaster(Caster):
    def __init__(self, spec, readers):
        super().__init__(spec, readers)
        self.exact = spec.format not in ("email", "uri", "uuid", "binary", "wkt")

    def fast(self, arr):
        if self.exact:
            return Fast(arr, pc.is_valid(arr))
        if self.spec.format == "uuid":  # the canonical form; braces, URNs etc. go to frictionless
            ok = _match(arr, r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
            return Fast(pc.if_else(ok, arr, pa.scalar(None, pa.string())), ok)
        return super().fast(arr)


class AnyCaster(Caster):
    exact = True

    def fast(self, arr):
        return Fast(arr, pc.is_valid(arr))


class IntegerCaster(Caster):
    def fast(self, arr):
        bare = self.readers.options.get("bare_number", True)
        if bare:
            # Arrow accepts exactly -?digits within int64 here, all of which Python's int() accepts
            typed = _try_cast(arr, pa.int64())
            if typed is not None:
                return Fast(typed, pc.is_valid(arr))
            if (sliced := self.fast_by_slices(arr)) is not None:
                return sliced
        work = arr
        if not bare:
            # frictionless: strip(), then drop non-digits before the number and after it
            work = pc.replace_substring_regex(pc.utf8_trim_whitespace(arr), r"((^[^-\d]*)|(\D*$))", "")
            work = pc.if_else(pc.fill_null(pc.string_is_ascii(arr), False), work, pa.scalar(None, pa.string()))
        ok = _match(work, r"^-?[0-9]{1,18}$")
        typed = pc.cast(pc.if_else(ok, work, pa.scalar(None, pa.string())), pa.int64())
        return Fast(typed, ok)

    storage_note = 'beyond the 64-bit integer range of the typed outputs; declare the field "string" to keep every digit'

    def to_storage(self, value):
        if value is None:
            return None
        return int(value) if INT64_MIN <= value <= INT64_MAX else OVERFLOW

    extra_type = pa.string()

    def fast_extra(self, cand, handled):
        return pa.nulls(len(cand), pa.string())

    def extra_value(self, value):
        return None if value is None or INT64_MIN <= value <= INT64_MAX else str(value)

    def needs_digit(self):
        return True  # int() needs a digit (any Unicode decimal digit)


class NumberCaster(Caster):
    def fast(self, arr):
        opts = self.readers.options
        work = arr
        processed = bool({"group_char", "decimal_char", "bare_number"} & self.readers.defined)
        if not processed:
            typed = _try_cast(arr, pa.float64())
            if typed is not None:
                # finite, at most 15 characters (so 15 digits) and no subnormal: doubles then order
                # and tell apart exactly what Decimal does; other cells go to frictionless' reader
                ok = pc.and_(pc.is_finite(typed), pc.less_equal(pc.utf8_length(arr), 15))
                # a zero only when the text is one: Arrow reads 1e-400 as 0.0 where Decimal keeps it
                zero = pc.fill_null(pc.equal(typed, 0), False)
                if zero.true_count:  # the regex only where Arrow read a zero (it cost a third of a valid file's time)
                    zero = pc.and_(zero, pc.invert(_match(pc.if_else(zero, arr, pa.scalar(None, pa.string())),
                                                          "^[^eE]*[1-9]")))
                ok = pc.and_(ok, pc.or_(zero, pc.greater_equal(pc.abs(typed), 1e-300)))
                ok = pc.fill_null(ok, False)
                return Fast(pc.if_else(ok, typed, pa.scalar(None, pa.float64())), ok)
            if (sliced := self.fast_by_slices(arr)) is not None:
                return sliced
        if processed:
            ascii_ = pc.fill_null(pc.string_is_ascii(arr), False)
            work = pc.utf8_trim_whitespace(arr)
            if not opts.get("bare_number", True):
                work = pc.replace_substring_regex(work, r"((^[^-\d]*)|(\D*$))", "")
            if opts.get("group_char"):
                work = pc.replace_substring(work, opts["group_char"], "")
            dec = opts.get("decimal_char", ".")
            if dec != ".":
                ascii_ = pc.and_(ascii_, pc.invert(pc.fill_null(pc.match_substring(work, "."), True)))
                work = pc.replace_substring(work, dec, ".")
            work = pc.if_else(ascii_, work, pa.scalar(None, pa.string()))
        # at most 15 digits, so doubles order and tell apart exactly what Decimal does
        digits = pc.subtract(pc.subtract(pc.utf8_length(work), pc.cast(pc.starts_with(work, "-"), pa.int32())),
                             pc.cast(pc.match_substring(work, "."), pa.int32()))
        ok = pc.and_(_match(work, _NUMBER_RE), pc.fill_null(pc.less_equal(digits, 15), False))
        typed = pc.cast(pc.if_else(ok, work, pa.scalar(None, pa.string())), pa.float64())
        return Fast(typed, ok)

    storage_note = ("beyond the range of 64-bit floating point numbers (magnitudes from about 4.9e-324 to "
                    '1.8e308); declare the field "string" to keep it as written')

    def to_storage(self, value):
        if value is None:
            return None
        if isinstance(value, Decimal) and value.is_nan():
            return float("nan")
        out = float(value)
        if isinstance(value, Decimal) and value.is_finite() and value and (out == 0 or math.isinf(out)):
            return OVERFLOW  # 1e309 would be published as infinity, 1e-400 as zero
        return out

    # a decimal a double cannot tell apart from its neighbours (more than 15 significant digits,
    # or 1e309 next to Infinity) keeps its exact text as a key part
    extra_type = pa.string()

    def fast_extra(self, cand, handled):
        return pa.nulls(len(cand), pa.string())

    def extra_value(self, value):
        if not isinstance(value, Decimal) or not value.is_finite():
            return None
        norm = value.normalize()
        if len(norm.as_tuple().digits) <= 15 and abs(norm.adjusted()) <= 300:
            return None
        return str(norm)

    def needs_digit(self):
        return True

    def hopeless(self, cand):
        # Decimal needs a digit, or one of the words inf/infinity/nan/snan (without bareNumber:
        # false, whose stripping leaves nothing of a digit-less cell)
        out = super().hopeless(cand)
        if self.readers.options.get("bare_number", True):
            word = pc.match_substring_regex(cand, r"(?i)(inf|nan)")
            out = pc.and_(out, pc.invert(pc.fill_null(word, True)))
        return out


class BooleanCaster(Caster):
    exact = True

    def fast(self, arr):
        opts = self.readers.options
        is_false = pc.fill_null(pc.is_in(arr, pa.array(opts["false_values"], pa.string())), False)
        is_true = pc.fill_null(pc.is_in(arr, pa.array(opts["true_values"], pa.string())), False)
        handled = pc.or_(is_true, is_false)
        typed = pc.if_else(handled, pc.invert(is_false), pa.scalar(None, pa.bool_()))
        return Fast(typed, handled)


class YearCaster(Caster):
    def needs_digit(self):
        return True

    def fast(self, arr):
        ok = _match(arr, r"^[0-9]{4}$")
        return Fast(pc.cast(pc.if_else(ok, arr, pa.scalar(None, pa.string())), pa.int32()), ok)


class YearmonthCaster(Caster):
    has_fast = False

    def needs_digit(self):
        return True

    def to_storage(self, value):
        return None if value is None else f"{value.year:04d}-{value.month:02d}"


class GeopointCaster(Caster):
    has_fast = False

    def needs_digit(self):
        return True

    def to_storage(self, value):
        return None if value is None else {"lon": float(value.lon), "lat": float(value.lat)}
