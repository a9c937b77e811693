"""Per-field, opt-in normalization of raw text cells before validation.

A field opts in with ``x-normalize`` (``true`` for every normalizer that fits its type, or a
list of names). Each normalizer works on a whole RawBatch column with pyarrow compute: a
regular-expression prefilter finds the cells that need it and only those change. The few
normalizers that need a character table (full-width forms) run in Python on the matching cells
only. Every change is counted per field and normalizer, with the first row numbers, and ends up
as a warning in the validation report.

Normalizers and the field types they apply to:

- ``spaces`` (all types): zero-width characters (U+200B..U+200D, U+FEFF) removed; leading and
  trailing whitespace, ideographic space (U+3000) and no-break space trimmed.
- ``fullwidth`` (all types): full-width forms (U+FF01..U+FF5E) to ASCII, ideographic space to a
  space, U+2212 minus to ``-``. In ``string`` fields only digits and Latin letters change, so
  Chinese punctuation in prose (，。（）) stays as written.
- ``currency`` (number, integer): a leading ``¥``/``￥``/``$`` or a trailing ``元`` removed.
- ``thousands`` (number, integer): ``1,234,567.8`` to ``1234567.8`` (only well-formed groups).
- ``chinese-date``: ``2023年6月18日`` to ``2023-06-18`` (date), ``2023年6月`` to ``2023-06``
  (yearmonth), ``2023年`` to ``2023`` (year); only for the default (or ``any``) format.
- ``excel-date`` (date, default or ``any`` format): a 5-digit Excel serial between 18264
  (1950-01-01) and 73050 (2099-12-31) to an ISO date, counting from 1899-12-30 as Excel does
  (45095 is 2023-06-18).

Identifiers stay text: nothing here turns a string field into a number, and digit runs such as
18-digit ID numbers or codes with leading zeros are never touched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.readers.base import RawBatch
from opendata.core.tableschema import FieldSpec, TableSchema

SAMPLE_ROWS = 5
ORDER = ("spaces", "fullwidth", "currency", "thousands", "chinese-date", "excel-date")
_NUMERIC = ("number", "integer")
_DATE_FORMATS = ("default", "any")

_ZERO_WIDTH = "[\u200b-\u200d\ufeff]"
_TRIM_CHARS = " \t\r\n\u3000\u00a0"
_FULLWIDTH_ANY = "[\uff01-\uff5e\u3000\u2212]"
_FULLWIDTH_ALNUM = "[\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]"
_FULLWIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20, 0x2212: 0x2D}
_FULLWIDTH_ALNUM_TABLE = {
    c: c - 0xFEE0
    for lo, hi in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for c in range(lo, hi + 1)
}
_CURRENCY = r"^[+-]?\s*[¥￥$]\s*[0-9.,]+$|^[+-]?[0-9.,]+\s*元$"
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d*)?$"
_CN_DATE = r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日$"
_CN_YEARMONTH = r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月$"
_CN_YEAR = r"^(?P<y>\d{4})\s*年$"
_EXCEL_SERIAL = r"^\d{5}$"
_EXCEL_MIN, _EXCEL_MAX = 18264, 73050  # 1950-01-01 .. 2099-12-31
_EXCEL_EPOCH_OFFSET = 25569  # days from 1899-12-30 to 1970-01-01


@dataclass
class NormalizationStat:
    """How many cells one normalizer changed in one field, and where the first were."""

    field_name: str
    field_number: int
    normalizer: str
    count: int = 0
    row_numbers: list[int] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "type": "normalized-value",
            "fieldName": self.field_name,
            "fieldNumber": self.field_number,
            "normalizer": self.normalizer,
            "count": self.count,
            "rowNumbers": list(self.row_numbers),
            "message": self.message,
        }

    @property
    def message(self) -> str:
        rows = ", ".join(str(r) for r in self.row_numbers)
        more = ", …" if self.count > len(self.row_numbers) else ""
        return (f'Field "{self.field_name}" (#{self.field_number}): {self.normalizer} normalized '
                f"{self.count} cell(s) (rows {rows}{more})")


def applicable_normalizers(spec: FieldSpec) -> tuple[str, ...]:
    """The normalizers a field asked for that make sense for its type, in the order applied."""
    wanted = set(spec.normalize)
    out = []
    for name in ORDER:
        if name not in wanted:
            continue
        if name in ("currency", "thousands") and spec.type not in _NUMERIC:
            continue
        if name == "chinese-date" and (spec.type not in ("date", "yearmonth", "year")
                                       or spec.format not in _DATE_FORMATS):
            continue
        if name == "excel-date" and (spec.type != "date" or spec.format not in _DATE_FORMATS):
            continue
        out.append(name)
    return tuple(out)


class Normalizer:
    """Applies each field's normalizers to RawBatches and counts the changes.

    Columns map to schema fields by position, as Frictionless maps them by default.
    """

    def __init__(self, schema: TableSchema, labels: Sequence[str] | None = None,
                 *, field_for_column: Sequence[FieldSpec | None] | None = None):
        if field_for_column is None:
            width = len(labels) if labels is not None else len(schema.fields)
            field_for_column = [schema.fields[i] if i < len(schema.fields) else None
                                for i in range(width)]
        self._plan: dict[int, tuple[FieldSpec, tuple[str, ...]]] = {}
        for i, spec in enumerate(field_for_column):
            if spec is not None and applicable_normalizers(spec):
                self._plan[i] = (spec, applicable_normalizers(spec))
        self._stats: dict[tuple[int, str], NormalizationStat] = {}

    @property
    def active(self) -> bool:
        """True when at least one column has something to normalize."""
        return bool(self._plan)

    def apply(self, batch: RawBatch) -> RawBatch:
        """Return the batch with normalized columns (the input is left untouched)."""
        if not self._plan:
            return batch
        columns = list(batch.columns)
        for i, (spec, names) in self._plan.items():
            if i >= len(columns):
                continue
            col = columns[i]
            for name in names:
                new = _FUNCS[name](col, spec)
                if new is not col:
                    self._count(i, spec, name, col, new, batch.row_numbers)
                    col = new
            columns[i] = col
        return replace(batch, columns=columns)

    def _count(self, i: int, spec: FieldSpec, name: str, old: pa.Array, new: pa.Array,
               row_numbers: pa.Array) -> None:
        changed = pc.fill_null(pc.not_equal(old, new), False)
        n = pc.sum(changed).as_py() or 0
        if not n:
            return
        stat = self._stats.setdefault((i, name), NormalizationStat(spec.name, i + 1, name))
        stat.count += n
        if len(stat.row_numbers) < SAMPLE_ROWS:
            rows = pc.filter(row_numbers, changed).slice(0, SAMPLE_ROWS).to_pylist()
            stat.row_numbers.extend(rows[: SAMPLE_ROWS - len(stat.row_numbers)])

    @property
    def stats(self) -> list[NormalizationStat]:
        """Per field and normalizer, in column then application order."""
        return [self._stats[k] for k in sorted(self._stats, key=lambda k: (k[0], ORDER.index(k[1])))]

    def warnings(self) -> list[dict]:
        """The changes as report warnings (JSON-ready dicts)."""
        return [s.to_dict() for s in self.stats]


def normalize_batch(batch: RawBatch, schema: TableSchema) -> RawBatch:
    """Normalize one batch (columns by position); a convenience for one-off use and tests."""
    return Normalizer(schema, field_for_column=None).apply(batch)


# -- the normalizers: each returns the same array object when nothing matched ---------------

def _matches(col: pa.Array, pattern: str) -> pa.Array | None:
    """Boolean mask of cells matching ``pattern`` (nulls False), or None when none match."""
    if len(col) == 0 or col.null_count == len(col):
        return None
    mask = pc.fill_null(pc.match_substring_regex(col, pattern), False)
    return mask if pc.any(mask).as_py() else None


def _python_fix(col: pa.Array, mask: pa.Array, func: Callable[[str], str]) -> pa.Array:
    """Apply ``func`` in Python to the masked cells only (they are rare by construction)."""
    fixed = [func(v) for v in pc.filter(col, mask).to_pylist()]
    return pc.replace_with_mask(col, mask, pa.array(fixed, type=col.type))


def _spaces(col: pa.Array, spec: FieldSpec) -> pa.Array:
    out = col
    if _matches(col, _ZERO_WIDTH) is not None:
        out = pc.replace_substring_regex(out, _ZERO_WIDTH, "")
    trim_pattern = f"^[{_TRIM_CHARS}]|[{_TRIM_CHARS}]$"
    if _matches(out, trim_pattern) is not None:
        out = pc.utf8_trim(out, characters=_TRIM_CHARS)
    return out


def _fullwidth(col: pa.Array, spec: FieldSpec) -> pa.Array:
    if spec.type == "string":
        pattern, table = _FULLWIDTH_ALNUM, _FULLWIDTH_ALNUM_TABLE
    else:
        pattern, table = _FULLWIDTH_ANY, _FULLWIDTH_TABLE
    mask = _matches(col, pattern)
    if mask is None:
        return col
    return _python_fix(col, mask, lambda v: v.translate(table))


def _currency(col: pa.Array, spec: FieldSpec) -> pa.Array:
    mask = _matches(col, _CURRENCY)
    if mask is None:
        return col
    stripped = pc.replace_substring_regex(col, r"^([+-]?)\s*[¥￥$]\s*", r"\1")
    stripped = pc.replace_substring_regex(stripped, r"\s*元$", "")
    return pc.if_else(mask, stripped, col)


def _thousands(col: pa.Array, spec: FieldSpec) -> pa.Array:
    mask = _matches(col, _THOUSANDS)
    if mask is None:
        return col
    return pc.if_else(mask, pc.replace_substring(col, ",", ""), col)


def _chinese_date(col: pa.Array, spec: FieldSpec) -> pa.Array:
    pattern = {"date": _CN_DATE, "yearmonth": _CN_YEARMONTH, "year": _CN_YEAR}[spec.type]
    if _matches(col, pattern) is None:
        return col
    parts = pc.extract_regex(col, pattern)
    found = pc.fill_null(pc.is_valid(parts), False)
    pieces = [pc.struct_field(parts, [0])]
    for k in range(1, parts.type.num_fields):
        pieces.append(pc.utf8_lpad(pc.struct_field(parts, [k]), width=2, padding="0"))
    joined = pc.binary_join_element_wise(*pieces, "-")
    return pc.if_else(found, joined, col)


def _excel_date(col: pa.Array, spec: FieldSpec) -> pa.Array:
    mask = _matches(col, _EXCEL_SERIAL)
    if mask is None:
        return col
    serial = pc.cast(pc.if_else(mask, col, "0"), pa.int32())
    plausible = pc.and_(pc.greater_equal(serial, _EXCEL_MIN), pc.less_equal(serial, _EXCEL_MAX))
    plausible = pc.and_(plausible, mask)
    if not pc.any(plausible).as_py():
        return col
    days = pc.subtract(serial, pa.scalar(_EXCEL_EPOCH_OFFSET, pa.int32()))
    as_date = pc.cast(pc.cast(days, pa.date32()), pa.string())
    return pc.if_else(plausible, as_date, col)


_FUNCS: dict[str, Callable[[pa.Array, FieldSpec], pa.Array]] = {
    "spaces": _spaces,
    "fullwidth": _fullwidth,
    "currency": _currency,
    "thousands": _thousands,
    "chinese-date": _chinese_date,
    "excel-date": _excel_date,
}


def normalizers_that_fix(values: Sequence[str], spec: FieldSpec) -> tuple[str, ...]:
    """The normalizers that fit the field's type and would change some of ``values``, whether or not
    the field asks for them (a validation report's fix hints)."""
    everything = replace(spec, normalize=ORDER)
    col = pa.array([v for v in values if v is not None], pa.string())
    return tuple(name for name in applicable_normalizers(everything) if _FUNCS[name](col, everything) is not col)
