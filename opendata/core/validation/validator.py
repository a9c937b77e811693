"""The streaming, vectorized validator: RawBatch in, typed RecordBatch and errors out.

Agrees with frictionless-py v5 on which cells are errors: each column is typed by a vectorized
fast path (``types``) plus frictionless' own reader for unusual distinct values, constraints are
checked with pyarrow.compute (``constraints``), uniqueness across the file in bounded memory
(``uniqueness``). Per row, as in frictionless: a type error suppresses that cell's constraint
checks; a row whose every cell is blank (missing value or missing cell) yields only blank-row
(plus primary-key); primary-key and unique errors blame the later duplicate.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.readers.base import RawBatch
from opendata.core.report import ERROR_TABLE_SCHEMA, Error
from opendata.core.tableschema import CellReaders, FieldSpec, TableSchema, frictionless_cell_readers
from opendata.core.validation.casters import make_caster
from opendata.core.validation.constraints import ConstraintChecker, constraint_note
from opendata.core.validation.labels import check_labels
from opendata.core.validation.types import OVERFLOW, STORAGE, Caster
from opendata.core.validation.uniqueness import UniquenessTracker

_NULL_STR = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class ValidationLimits:
    """Resources the validator may use."""

    key_memory: str = "128MB"  # DuckDB memory before key spills go to disk
    temp_dir: str | None = None
    key_flush_rows: int = 1_000_000  # keys searched for duplicates in Arrow; beyond, with DuckDB


@dataclass
class TypedBatch:
    """One batch after validation.

    - ``data``: a RecordBatch with one column per schema field (schema order, Arrow types from
      ``types.STORAGE``); invalid, blank and missing cells are null.
    - ``row_numbers``: int64, the frictionless row number of each row.
    - ``errors``: a Table (``report.ERROR_TABLE_SCHEMA``: type, row_number, field_number,
      field_name, cell, note, row_index) with every row-level error of this batch.
    - ``warnings``: messages about the batch that are not errors.
    - ``raw``: the RawBatch it came from (to render the ``cells`` of reported errors).
    """

    data: pa.RecordBatch
    row_numbers: pa.Array
    errors: pa.Table
    warnings: list[str] = field(default_factory=list)
    raw: RawBatch | None = None
    _extra_by_row: dict[int, list[str]] | None = field(default=None, repr=False)

    def error_list(self) -> list[Error]:
        """The errors as :class:`Error` values (for tests and small batches)."""
        return [Error(r["type"], r["note"] or "", r["row_number"], r["field_number"], r["field_name"], r["cell"])
                for r in self.errors.to_pylist()]

    def row_cells(self, index: int) -> list[str]:
        """The cells of row ``index`` as frictionless lists them (present cells and extra cells)."""
        if self.raw is None:
            return []
        count = self.raw.cell_counts[index].as_py()
        cells = [c[index].as_py() for c in self.raw.columns[:count]]
        if self.raw.extra_cells:
            if self._extra_by_row is None:
                self._extra_by_row = {}
                for r, _, text in self.raw.extra_cells:
                    self._extra_by_row.setdefault(r, []).append(text)
            cells += self._extra_by_row.get(self.row_numbers[index].as_py(), [])
        return ["" if c is None else c for c in cells]


@dataclass
class _Column:
    position: int  # 0-based header position
    name: str
    spec: FieldSpec
    caster: Caster
    checker: ConstraintChecker | None
    readers: CellReaders | None
    missing: tuple[str, ...]
    unique: bool = False


class Validator:
    """Validates a table batch by batch against a Table Schema."""

    def __init__(self, schema: TableSchema, labels: list[str], *, limits: ValidationLimits | None = None):
        self.schema = schema
        self.labels = list(labels)
        self.limits = limits or ValidationLimits()
        readers = frictionless_cell_readers(schema)
        self.columns: list[_Column] = []
        for pos, label in enumerate(self.labels):
            if pos < len(schema.fields):
                spec = schema.fields[pos]
                r = readers[spec.name]
                caster = make_caster(spec, r)
                col = _Column(pos, spec.name, spec, caster, ConstraintChecker(spec, r, caster), r,
                              r.missing_values, bool(spec.constraints.get("unique")))
            else:  # frictionless reads a label without a field as an 'any' field named after it
                spec = FieldSpec(name=str(label), type="any")
                col = _Column(pos, str(label), spec, make_caster(spec, None), None, None, ("",))
            self.columns.append(col)
        by_name = {c.name: c for c in self.columns if c.position < len(schema.fields)}
        self.pk_columns = [by_name[n] for n in schema.primary_key] if schema.primary_key and all(
            n in by_name for n in schema.primary_key) else []
        self.keys = UniquenessTracker(memory_limit=self.limits.key_memory, temp_dir=self.limits.temp_dir,
                                      flush_rows=self.limits.key_flush_rows)
        self.arrow_schema = pa.schema([(f.name, STORAGE[f.type]) for f in schema.fields])
        self.rows = 0
        self.unlisted: Counter = Counter()  # duplicate errors beyond finish()'s limit

    def check_labels(self) -> list[Error]:
        """Header errors (frictionless v5 semantics, labels matched to fields by position)."""
        return check_labels(self.schema, self.labels)

    def process(self, batch: RawBatch) -> TypedBatch:
        """Type and check one batch; unique and primary keys are collected for ``finish``."""
        n = batch.num_rows
        self.rows += n
        rn = batch.row_numbers
        pieces: list[pa.Table] = []
        warnings: list[str] = []
        blank_count = np.zeros(n, dtype=np.int64)
        typed_by_name: dict[str, pa.Array] = {}
        extras: dict[str, pa.Array] = {}
        missing_pieces = []

        def add(kind: str, mask: pa.Array, col: _Column, cells: pa.Array | str | None, note: str | pa.Array = "") -> None:
            if not mask.true_count:
                return
            idx = pc.indices_nonzero(mask)
            if isinstance(cells, str) or cells is None:
                cell_col = pa.array([cells] * len(idx), pa.string())
            else:
                cell_col = pc.take(cells, idx)
            note_col = pc.take(note, idx) if isinstance(note, pa.Array) else pa.array([note] * len(idx), pa.string())
            piece = pa.table([pa.array([kind] * len(idx), pa.string()), pc.take(rn, idx),
                              pa.array([col.position + 1] * len(idx), pa.int32()),
                              pa.array([col.name] * len(idx), pa.string()), cell_col, note_col,
                              pc.cast(idx, pa.int32())], schema=ERROR_TABLE_SCHEMA)
            (missing_pieces if kind == "missing-cell" else pieces).append(piece)

        for col in self.columns:
            raw = batch.columns[col.position]
            is_missing = pc.is_null(raw)
            blank = is_missing
            for value in col.missing:  # a few values: equality beats a hash lookup
                blank = pc.or_(blank, pc.fill_null(pc.equal(raw, value), False))
            # blank = missing cells (already null) plus missing values; null the latter only
            cand = raw if blank.true_count == raw.null_count else pc.if_else(blank, _NULL_STR, raw)
            blank_count += np.asarray(blank.to_numpy(zero_copy_only=False), dtype=np.int64)
            if col.checker is None:  # a label beyond the schema: only blanks and missing cells matter
                add("missing-cell", is_missing, col, "")
                continue
            fast = col.caster.fast(cand)
            typed, handled = fast.typed, fast.handled
            todo = pc.and_(pc.is_valid(cand), pc.invert(handled))
            extra = col.caster.fast_extra(cand, handled)
            type_err = None
            fb_fail: list[tuple[str, pa.Array]] = []
            if col.caster.exact:
                type_err = todo
            elif todo.true_count:
                # cells no reader could accept skip the per-value fallback (a column of wrong type)
                hopeless = col.caster.hopeless(pc.if_else(todo, cand, _NULL_STR))
                if hopeless is not None and hopeless.true_count:
                    todo = pc.and_(todo, pc.invert(hopeless))
                overflow = None
                if todo.true_count:
                    typed, extra, type_err, fb_fail, overflow = _fallback(col, cand, todo, typed, extra)
                else:
                    type_err = todo
                if hopeless is not None and hopeless.true_count:
                    type_err = pc.or_(type_err, hopeless)
                if overflow is not None:  # valid for frictionless, but the typed outputs would lose it
                    add("storage-error", overflow, col, raw, col.caster.storage_note)
            if type_err is not None:
                add("type-error", type_err, col, raw, f'type is "{col.spec.type}/{col.spec.format}"')
            if col.checker.required:
                cell_text = pc.if_else(is_missing, pa.scalar("None"), raw)
                add("constraint-error", blank, col, cell_text, constraint_note("required", True))
            for _name, note, failed in col.checker.failures(typed, cand, handled):
                add("constraint-error", failed, col, raw, note)
            for note, failed in fb_fail:
                add("constraint-error", failed, col, raw, note)
            add("missing-cell", is_missing, col, "")
            typed_by_name[col.name] = typed
            if extra is not None:
                extras[col.name] = extra
        if batch.extra_cells:
            pieces.append(_extra_cell_table(batch))
        pieces.extend(missing_pieces)
        errors = pa.concat_tables(pieces) if pieces else ERROR_TABLE_SCHEMA.empty_table()
        if self.columns:
            blank_rows = blank_count == len(self.columns)
            if blank_rows.any():
                errors = _apply_blank_rows(errors, blank_rows, rn)
        errors = self._collect_keys(batch, typed_by_name, extras, errors)
        data = self._record_batch(typed_by_name, n)
        return TypedBatch(data, rn, errors, warnings, batch)

    def _collect_keys(self, batch: RawBatch, typed: dict[str, pa.Array], extras: dict[str, pa.Array],
                      errors: pa.Table) -> pa.Table:
        rn = batch.row_numbers

        def parts(name: str) -> list[pa.Array]:
            value = typed[name]
            if pa.types.is_floating(value.type):
                value = pc.add(value, 0.0)  # -0.0 becomes 0.0: Python finds them equal, Arrow hashing not
            return [value] + ([extras[name]] if name in extras else [])

        for col in self.columns:
            if col.unique and col.position < len(self.schema.fields):
                key = parts(col.name)
                self.keys.add(col.name, rn, key, _keyable(key))
        if self.pk_columns:
            keys = [k for c in self.pk_columns for k in parts(c.name)]
            all_null = pc.is_null(keys[0])
            for k in keys[1:]:
                all_null = pc.and_(all_null, pc.is_null(k))
            idx = pc.indices_nonzero(all_null)
            if len(idx):
                note = 'cells composing the primary keys are all "None"'
                errors = pa.concat_tables([errors, _row_errors("primary-key", pc.take(rn, idx), idx, note)])
            keep = pc.invert(all_null)
            for k in keys:
                if pa.types.is_floating(k.type):
                    keep = pc.and_(keep, pc.invert(pc.fill_null(pc.is_nan(k), False)))
            self.keys.add("\x00primary-key", rn, keys, keep)
        return errors

    def _record_batch(self, typed: dict[str, pa.Array], n: int) -> pa.RecordBatch:
        arrays = []
        for f in self.arrow_schema:
            arr = typed.get(f.name)
            if arr is None:
                arr = pa.nulls(n, f.type)
            elif arr.type != f.type:
                arr = pc.cast(arr, f.type)
            arrays.append(arr)
        return pa.RecordBatch.from_arrays(arrays, schema=self.arrow_schema)

    def finish(self, limit: int | None = None) -> list[Error]:
        """unique-error and primary-key (duplicate) errors across the whole file, by row.

        With ``limit``, at most that many per key; the others are counted in ``unlisted`` by
        (type, field number, field name), so a file repeating one key never makes an error per row.
        """
        out: list[Error] = []
        for col in self.columns:
            if col.unique and col.name in self.keys.spills:
                found, total = self.keys.duplicates(col.name, limit)
                for rec in found.to_pylist():
                    # a wide integer's digits ride in k1 (its typed k0 is null)
                    shown = rec.get("k0") if rec.get("k0") is not None else rec.get("k1")
                    out.append(Error("unique-error", f"the same as in the row at position {rec['prev']}", rec["rn"],
                                     col.position + 1, col.name, _show(shown)))
                self._count_unlisted(("unique-error", col.position + 1, col.name), total - found.num_rows)
        if self.pk_columns:
            found, total = self.keys.duplicates("\x00primary-key", limit)
            for rec in found.select(["rn", "prev"]).to_pylist():
                out.append(Error("primary-key", f"the same as in the row at position {rec['prev']}", rec["rn"]))
            self._count_unlisted(("primary-key", None, None), total - found.num_rows)
        self.keys.close()
        out.sort(key=lambda e: e.row_number or 0)
        return out

    def _count_unlisted(self, key: tuple[str, int | None, str | None], n: int) -> None:
        if n > 0:
            self.unlisted[key] += n

    def close(self) -> None:
        self.keys.close()


def _fallback(col: _Column, cand: pa.Array, todo: pa.Array, typed: pa.Array, extra: pa.Array | None):
    """Type the cells the fast path left, with frictionless' reader, once per distinct value."""
    uniq = pc.unique(pc.filter(cand, todo))
    values, bad, fails, extras = [], [], {}, []
    overflow_values = set()
    for i, text in enumerate(uniq.to_pylist()):
        value, notes = _read_cell(col.readers, text)
        extras.append(col.caster.extra_value(value))
        stored = col.caster.to_storage(value)
        if stored is OVERFLOW:
            overflow_values.add(i)
            stored = None
        values.append(stored)
        notes = notes or {}
        bad.append("type" in notes)
        for name, note in notes.items():
            if name != "type":
                fails.setdefault(note, []).append(i)
    idx = pc.index_in(cand, value_set=uniq)
    idx = pc.if_else(todo, idx, pa.scalar(None, idx.type))
    fb_typed = pc.take(pa.array(values, col.caster.storage), idx)
    typed = pc.if_else(todo, fb_typed, typed)
    if extra is not None:
        extra = pc.if_else(todo, pc.take(pa.array(extras, col.caster.extra_type), idx), extra)
    type_err = pc.fill_null(pc.take(pa.array(bad, pa.bool_()), idx), False)
    fb_fail = []
    for note, positions in fails.items():
        flags = np.zeros(len(uniq), dtype=bool)
        flags[positions] = True
        fb_fail.append((note, pc.fill_null(pc.take(pa.array(flags), idx), False)))
    overflow = None
    if overflow_values:
        flags = np.zeros(len(uniq), dtype=bool)
        flags[list(overflow_values)] = True
        overflow = pc.fill_null(pc.take(pa.array(flags), idx), False)
    return typed, extra, type_err, fb_fail, overflow


def _read_cell(readers: CellReaders, text: str) -> tuple[object, dict | None]:
    """frictionless' verdict on one cell; a value its constraint checks cannot compare is a constraint error.

    frictionless raises instead of reporting for a few values (``sNaN`` against a numeric bound
    raises decimal.InvalidOperation); such a cell is refused with a note, never a crash.
    """
    try:
        return readers.cell_reader(text)
    except (ArithmeticError, TypeError, ValueError) as exc:
        value = readers.value_reader(text)
        if value is None:
            return None, {"type": "type is not readable"}
        return None, {"constraints": f"the value cannot be compared with the field's constraints ({type(exc).__name__})"}


def _keyable(key: list[pa.Array]) -> pa.Array:
    """Rows whose value can repeat another (not None, not NaN: frictionless never pairs NaN)."""
    ok = pc.is_valid(key[0])
    for extra in key[1:]:
        ok = pc.or_(ok, pc.is_valid(extra))
    if pa.types.is_floating(key[0].type):
        ok = pc.and_(ok, pc.invert(pc.fill_null(pc.is_nan(key[0]), False)))
    return ok


def _extra_cell_table(batch: RawBatch) -> pa.Table:
    rn_np = batch.row_numbers.to_numpy()
    rows = [r for r, _, _ in batch.extra_cells]
    idx = np.searchsorted(rn_np, np.asarray(rows, dtype=np.int64))
    k = len(rows)
    return pa.table([pa.array(["extra-cell"] * k), pa.array(rows, pa.int64()),
                     pa.array([f for _, f, _ in batch.extra_cells], pa.int32()), pa.array([""] * k),
                     pa.array([t for _, _, t in batch.extra_cells], pa.string()), pa.array([""] * k),
                     pa.array(idx, pa.int32())], schema=ERROR_TABLE_SCHEMA)


def _row_errors(kind: str, row_numbers: pa.Array, idx: pa.Array, note: str) -> pa.Table:
    k = len(row_numbers)
    return pa.table([pa.array([kind] * k), row_numbers, pa.nulls(k, pa.int32()), pa.nulls(k, pa.string()),
                     pa.nulls(k, pa.string()), pa.array([note] * k), pc.cast(idx, pa.int32())],
                    schema=ERROR_TABLE_SCHEMA)


def _apply_blank_rows(errors: pa.Table, blank_rows: np.ndarray, rn: pa.Array) -> pa.Table:
    """A completely blank row reports only blank-row (frictionless replaces its cell errors)."""
    if errors.num_rows:
        in_blank = blank_rows[errors.column("row_index").to_numpy()]
        errors = errors.filter(pa.array(~in_blank))
    idx = pa.array(np.nonzero(blank_rows)[0])
    return pa.concat_tables([errors, _row_errors("blank-row", pc.take(rn, idx), idx, "")])


def _show(value) -> str:
    """A typed key value as frictionless shows it in a unique-error's cell."""
    if isinstance(value, float) and value.is_integer():
        return str(Decimal(repr(value)))
    return "" if value is None else str(value)
