"""Scan for personal information before publishing.

Looks in cell values for 身份证号 (GB 11643 shape, MOD 11-2 check character and a real birth
date; 15-digit legacy numbers optionally), mobile numbers, bank card numbers (16 to 19 digits
passing Luhn) and e-mail addresses, and in column headers for names that suggest personal
information (身份证, 证件号码, 手机, 电话, 姓名, 住址, 地址, 银行账号 and English equivalents).
Columns of personal names and home addresses are recognised by their values too
(:mod:`opendata.core.pii_people`).

An 18-character run shaped like an ID number (a province code, a real birth date) whose check
character is wrong is reported as ``id-number-bad-check``, never as a bank card even when it
passes Luhn: a mistyped ID number is still a person's ID number, and calling it a card would send
the reviewer looking for the wrong thing.

A vectorized prefilter (one RE2 pass per column) picks the few cells that can hold anything;
whole-cell ID numbers and mobile numbers are then checked with pyarrow compute, and only cells
with embedded candidates go through Python. Samples are masked (``110105********002X``,
``138****8000``): a raw value never leaves this module.

A finding in a field that has an ``x-mask`` rule or ``x-pii: false`` counts as resolved; the
rest block publishing (``PiiFindings.unresolved``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.core import pii_people
from opendata.core.codes import (
    id_birth_date,
    is_luhn_valid,
    is_mobile_number,
    is_valid_id_number,
    is_valid_uscc,
)
from opendata.core.divisions import is_known_division
from opendata.core.readers.base import RawBatch
from opendata.core.tableschema import FieldSpec, TableSchema

SAMPLES_PER_FINDING = 5
KINDS = ("id-number", "id-number-bad-check", "mobile", "bank-card", "email", "name", "address")
_NO_PII_TYPES = ("date", "time", "datetime", "year", "yearmonth", "boolean", "geopoint")

_PREFILTER = r"\d{11}|@|1[3-9]\d[- ]\d{4}[- ]\d{4}"
_WHOLE_ID = r"^\d{17}[\dXx]$"
_WHOLE_MOBILE = r"^1[3-9]\d{9}$"
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"  # check character for S mod 11 = 0..10
_DIGIT_RUN = re.compile(r"(?<![0-9A-Za-z])(\d{11,19}[Xx]?)(?![0-9A-Za-z])")
_SPACED_MOBILE = re.compile(r"(?<![0-9])(1[3-9]\d)[- ](\d{4})[- ](\d{4})(?![0-9])")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")

_LABEL_WORDS = {  # in this order: 户主身份证号 is an ID number, 联系人电话 a phone number
    "id-number": ("身份证", "证件号码", "证件号", "公民身份号码"),
    "mobile": ("手机", "电话", "联系方式"),
    "bank-card": ("银行账号", "银行帐号", "银行卡", "银行账户"),
}
_LABEL_ENGLISH = {
    "id-number": r"\b(id ?card|id ?(number|no)|identity|national ?id|citizen ?id|passport)\b",
    "mobile": r"\b(mobile|cell ?phone|phone|telephone|tel)\b",
    "address": r"\b(home ?address|address|domicile|residence)\b",
    "bank-card": r"\b(bank ?(account|card)|card ?(number|no)|account ?(number|no)|iban)\b",
    "name": pii_people.NAME_ENGLISH,
}


@dataclass
class PiiFinding:
    """Personal information of one kind found in one field (by its values or its header)."""

    field_name: str
    field_number: int
    kind: str
    source: str = "values"  # values | label
    count: int = 0
    samples: list[tuple[int, str]] = field(default_factory=list)  # (row number, masked value)
    resolution: str | None = None  # why it is resolved ("x-mask: hash", "x-pii: false")

    @property
    def resolved(self) -> bool:
        return self.resolution is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "fieldName": self.field_name,
            "fieldNumber": self.field_number,
            "kind": self.kind,
            "source": self.source,
            "count": self.count,
            "samples": [{"rowNumber": r, "value": v} for r, v in self.samples],
            "resolved": self.resolved,
            "resolution": self.resolution,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PiiFinding:
        return cls(d["fieldName"], d["fieldNumber"], d["kind"], d.get("source", "values"),
                   d.get("count", 0), [(s["rowNumber"], s["value"]) for s in d.get("samples", [])],
                   d.get("resolution"))


@dataclass
class PiiFindings:
    """Everything the scan found; unresolved findings block publishing."""

    findings: list[PiiFinding] = field(default_factory=list)

    @property
    def unresolved(self) -> list[PiiFinding]:
        return [f for f in self.findings if not f.resolved]

    @property
    def blocks_publishing(self) -> bool:
        return bool(self.unresolved)

    def counts(self) -> dict[str, int]:
        """Cells found per kind (header findings not counted)."""
        out: dict[str, int] = {}
        for f in self.findings:
            if f.source == "values":
                out[f.kind] = out.get(f.kind, 0) + f.count
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"findings": [f.to_dict() for f in self.findings],
                "counts": self.counts(), "unresolved": len(self.unresolved)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PiiFindings:
        return cls([PiiFinding.from_dict(x) for x in d.get("findings", [])])


def mask_sample(kind: str, value: str) -> str:
    """A display mask: ID first 6 + last 4, mobile 3 + 4, card 4 + 4, e-mail first letter, name surname."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "name":
        return pii_people.mask_name(value)
    if kind == "address":
        return pii_people.mask_address(value)
    keep = {"id-number": (6, 4), "id-number-bad-check": (6, 4), "mobile": (3, 4), "bank-card": (4, 4)}.get(kind, (1, 1))
    first, last = keep
    if len(value) <= first + last:
        return "*" * len(value)
    return value[:first] + "*" * (len(value) - first - last) + value[-last:]


def classify_label(label: str) -> str | None:
    """The kind of personal information a column header suggests, or None."""
    text = label or ""
    for kind, words in _LABEL_WORDS.items():
        if any(w in text for w in words):
            return kind
    if kind := pii_people.label_kind(text):
        return kind
    words = re.sub(r"[_\-./]+", " ", text).lower()
    for kind, pattern in _LABEL_ENGLISH.items():
        if re.search(pattern, words):
            return kind
    return None


def classify_text(text: str, *, legacy_ids: bool = False, today: date | None = None) -> list[tuple[str, str]]:
    """Every (kind, matched value) in one cell's text."""
    out: list[tuple[str, str]] = []
    for m in _DIGIT_RUN.finditer(text):
        run = m.group(1).upper()
        if len(run) == 18 and is_valid_id_number(run, today=today) or legacy_ids and len(run) == 15 and run.isdigit() and id_birth_date(run):
            out.append(("id-number", run))
        elif len(run) == 18 and _id_shaped(run, today or date.today()):
            out.append(("id-number-bad-check", run))
        elif 16 <= len(run) <= 19 and run.isdigit() and is_luhn_valid(run) and not (
                len(run) == 18 and is_valid_uscc(run)):  # an all-digit credit code is public, not a card
            out.append(("bank-card", run))
        elif len(run) == 11 and is_mobile_number(run):
            out.append(("mobile", run))
    for m in _SPACED_MOBILE.finditer(text):
        out.append(("mobile", "".join(m.groups())))
    for m in _EMAIL.finditer(text):
        out.append(("email", m.group(0)))
    return out


def _id_shaped(run: str, today: date) -> bool:
    """An ID number but for its check character: a known province code and a real birth date."""
    if not (run[:17].isdigit() and (run[17].isdigit() or run[17] == "X")):
        return False
    born = id_birth_date(run)
    return (born is not None and date(1880, 1, 1) <= born <= today
            and is_known_division(run[:2] + "0000"))


class PiiScanner:
    """Scans RawBatches column by column; ``finish()`` returns the findings."""

    def __init__(self, schema: TableSchema, labels: Sequence[str], *, legacy_ids: bool = False,
                 today: date | None = None):
        self._legacy = legacy_ids
        self._today = today or date.today()
        self._columns: list[tuple[str, FieldSpec | None]] = []
        for i, label in enumerate(labels):
            spec = schema.fields[i] if i < len(schema.fields) else None
            self._columns.append((spec.name if spec else label, spec))
        self._found: dict[tuple[int, str, str], PiiFinding] = {}
        self._people: dict[int, pii_people.PeopleColumn] = {}
        for i, (_name, spec) in enumerate(self._columns):
            kind = classify_label(labels[i]) or (  # the schema's name and title say what a column is too
                (classify_label(spec.name) or classify_label(spec.title or "")) if spec else None)
            if kind:
                self._finding(i, kind, "label")

    def _finding(self, i: int, kind: str, source: str) -> PiiFinding:
        key = (i, kind, source)
        if key not in self._found:
            name, spec = self._columns[i]
            self._found[key] = PiiFinding(name, i + 1, kind, source, resolution=_resolution(spec))
        return self._found[key]

    def scan(self, batch: RawBatch, typed: pa.RecordBatch | None = None) -> None:
        """Scan one batch (the raw or normalized text cells).

        With ``typed`` (the validator's batch, fields in schema order), integer and number
        columns are prefiltered on their values: only magnitudes of 11 digits or more can be
        an ID, mobile or card number.
        """
        for i, col in enumerate(batch.columns[: len(self._columns)]):
            spec = self._columns[i][1]
            if spec is not None and spec.type in _NO_PII_TYPES:
                continue  # a valid date, time, boolean… cannot hold any kind searched for
            if col.null_count == len(col):
                continue
            if spec is None or spec.type in ("string", "any"):
                self._people.setdefault(i, pii_people.PeopleColumn()).scan(col, batch.row_numbers)
            if typed is not None and spec is not None and spec.type in ("integer", "number") \
                    and i < typed.num_columns:
                values = typed.column(i)
                if not (pa.types.is_integer(values.type) or pa.types.is_floating(values.type)
                        or pa.types.is_decimal(values.type)):
                    values = None
            else:
                values = None
            if values is not None:
                candidates = pc.fill_null(pc.greater_equal(pc.abs(values), 10**10), False)
            elif not _may_hold_pii(col):
                continue
            else:
                candidates = pc.fill_null(pc.match_substring_regex(col, _PREFILTER), False)
            if not pc.any(candidates).as_py():
                continue
            col_c = pc.filter(col, candidates)
            rows_c = pc.filter(batch.row_numbers, candidates)
            handled = self._scan_whole_cells(i, col_c, rows_c)
            rest = pc.invert(handled)
            if pc.any(rest).as_py():
                self._scan_python(i, pc.filter(col_c, rest).to_pylist(),
                                  pc.filter(rows_c, rest).to_pylist())

    def _scan_whole_cells(self, i: int, col: pa.Array, rows: pa.Array) -> pa.Array:
        """Vectorized checks for cells that are exactly an ID or mobile number."""
        whole_mobile = pc.fill_null(pc.match_substring_regex(col, _WHOLE_MOBILE), False)
        self._add_vectorized(i, "mobile", col, rows, whole_mobile)
        whole_id = pc.fill_null(pc.match_substring_regex(col, _WHOLE_ID), False)
        if not pc.any(whole_id).as_py():
            return whole_mobile
        valid = pc.and_(whole_id, _valid_id_mask(col, whole_id, self._today))
        self._add_vectorized(i, "id-number", col, rows, valid)
        # whole-cell 18-digit runs that are not valid IDs may still be bank cards: Python path
        return pc.or_(whole_mobile, valid)

    def _add_vectorized(self, i: int, kind: str, col: pa.Array, rows: pa.Array, mask: pa.Array) -> None:
        n = pc.sum(mask).as_py() or 0
        if not n:
            return
        finding = self._finding(i, kind, "values")
        finding.count += n
        need = SAMPLES_PER_FINDING - len(finding.samples)
        if need > 0:
            values = pc.filter(col, mask).slice(0, need).to_pylist()
            numbers = pc.filter(rows, mask).slice(0, need).to_pylist()
            finding.samples.extend((r, mask_sample(kind, v.upper())) for r, v in zip(numbers, values, strict=True))

    def _scan_python(self, i: int, values: Iterable[str], rows: Iterable[int]) -> None:
        for value, row in zip(values, rows, strict=True):
            for kind, match in classify_text(value, legacy_ids=self._legacy, today=self._today):
                finding = self._finding(i, kind, "values")
                finding.count += 1
                if len(finding.samples) < SAMPLES_PER_FINDING:
                    finding.samples.append((row, mask_sample(kind, match)))

    def finish(self) -> PiiFindings:
        """All findings, ordered by field then kind."""
        for i, people in self._people.items():
            for kind, holds, count, samples in (
                    ("name", people.holds_names(), people.names, people.name_samples),
                    ("address", people.holds_addresses(), people.addresses, people.address_samples)):
                if holds:
                    finding = self._finding(i, kind, "values")
                    finding.count, finding.samples = count, list(samples)
        keys = sorted(self._found, key=lambda k: (k[0], k[2] != "label", k[1]))
        return PiiFindings([self._found[k] for k in keys])


def scan_batches(schema: TableSchema, labels: Sequence[str], batches: Iterable[RawBatch],
                 **options: Any) -> PiiFindings:
    """Scan a stream of batches in one go."""
    scanner = PiiScanner(schema, labels, **options)
    for batch in batches:
        scanner.scan(batch)
    return scanner.finish()


def _may_hold_pii(col: pa.Array) -> bool:
    """A conservative check over the column's bytes: an ``@``, or a run of 11 or more digits,
    spaces or hyphens (cells concatenated, so it may say yes for nothing, never no for PII)."""
    data = col.buffers()[2] if len(col) else None
    if data is None:
        return False
    width = 8 if pa.types.is_large_string(col.type) else 4
    offsets = np.frombuffer(col.buffers()[1], dtype=np.int64 if width == 8 else np.int32,
                            count=len(col) + 1, offset=col.offset * width)
    raw = np.frombuffer(data, dtype=np.uint8)[int(offsets[0]):int(offsets[-1])]
    if not len(raw):
        return False
    if (raw == 0x40).any():  # @
        return True
    if int(np.diff(offsets).max()) < 11:  # no cell is long enough for 11 digits
        return False
    runs = ((raw - 48) < 10) | (raw == 0x20) | (raw == 0x2D)
    if runs.sum() < 11:
        return False
    breaks = np.flatnonzero(~runs)
    bounds = np.concatenate(([-1], breaks, [len(raw)]))
    return bool((np.diff(bounds) - 1).max() >= 11)


def _resolution(spec: FieldSpec | None) -> str | None:
    if spec is None:
        return None
    if spec.mask is not None:
        return f"x-mask: {spec.mask.method}"
    if spec.pii is False:
        return "x-pii: false"
    return None


def _valid_id_mask(col: pa.Array, shaped: pa.Array, today: date) -> pa.Array:
    """MOD 11-2 check character and a real birth date, for cells already 18-character shaped."""
    safe = pc.if_else(shaped, col, "11010519491231002X")  # any valid filler keeps casts total
    total = None
    for k, w in enumerate(_ID_WEIGHTS):
        digit = pc.cast(pc.utf8_slice_codeunits(safe, k, k + 1), pa.int32())
        term = pc.multiply(digit, w)
        total = term if total is None else pc.add(total, term)
    check_table = pa.array(list(_ID_CHECK))
    remainder = pc.subtract(total, pc.multiply(pc.divide(total, 11), 11))  # integer division
    expected = pc.take(check_table, remainder)
    actual = pc.utf8_upper(pc.utf8_slice_codeunits(safe, 17, 18))
    check_ok = pc.equal(expected, actual)
    ymd = pc.utf8_slice_codeunits(safe, 6, 14)
    parsed = pc.strptime(ymd, format="%Y%m%d", unit="s", error_is_null=True)
    # strptime rolls 20111131 over to December 1st: a real date must print back the same
    real = pc.equal(pc.strftime(parsed, format="%Y%m%d"), ymd)
    born = pc.cast(parsed, pa.date32())
    date_ok = pc.and_(pc.greater_equal(born, pa.scalar(date(1880, 1, 1))),
                      pc.less_equal(born, pa.scalar(today)))
    return pc.fill_null(pc.and_(pc.and_(check_ok, real), date_ok), False)
