"""Apply ``x-mask`` rules to typed batches before they are written to published outputs.

- ``drop``: the column is left out of every output and of the published schema.
- ``hash``: each value becomes the hex HMAC-SHA256 of its canonical text, keyed with a
  per-dataset secret ``salt``. A plain sha256 of an ID number is reversible by hashing every
  possible number (region x birth date x sequence is only ~10^11 values); keyed hashing makes
  that dictionary useless to anyone without the key, while equal values still hash equal within
  the dataset (joins and counts keep working). The salt must therefore be secret and stable per
  dataset: store it server-side, never publish it, and do not derive it from public metadata.
- ``partial``: keep the first N and last M characters and replace each character between with
  ``*`` (ID 6 + 4 gives ``110105********002X``, mobile 3 + 4 gives ``138****8000``). A value no
  longer than N + M is starred entirely, so short values are never shown in full.

Masked columns are published as strings; nulls stay null and empty strings stay empty.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from opendata.core.canonical import canonical_descriptor
from opendata.core.errors import Problem, ValidationError
from opendata.core.tableschema import FieldSpec, TableSchema

_KEEP_CONSTRAINTS = ("required",)


def kept_fields(schema: TableSchema) -> list[FieldSpec]:
    """Fields that appear in published outputs (every field without a ``drop`` rule)."""
    return [f for f in schema.fields if not (f.mask and f.mask.method == "drop")]


def published_schema(schema: TableSchema) -> dict[str, Any]:
    """The Table Schema descriptor of the published outputs.

    Dropped fields are removed; masked fields become strings without the constraints their
    masked values no longer meet. Keys over dropped or partially masked fields are removed
    (hashing keeps distinct values distinct, so keys over hashed fields stay). Every field is
    described in the form the writers wrote it (:func:`opendata.core.canonical.canonical_descriptor`).
    """
    descriptor = copy.deepcopy(dict(schema.descriptor))
    masks = {f.name: f.mask for f in schema.fields if f.mask}
    fields = []
    for fd in descriptor["fields"]:
        mask = masks.get(fd["name"])
        if mask is None:
            fields.append(fd)
            continue
        if mask.method == "drop":
            continue
        constraints = {k: v for k, v in (fd.get("constraints") or {}).items() if k in _KEEP_CONSTRAINTS}
        if mask.method == "hash" and (fd.get("constraints") or {}).get("unique"):
            constraints["unique"] = True
        masked = {k: v for k, v in fd.items() if k not in ("type", "format", "constraints", "x-normalize")}
        masked["type"] = "string"
        if constraints:
            masked["constraints"] = constraints
        note = _mask_note(mask.method, mask.keep_first, mask.keep_last)
        masked["description"] = f"{fd['description']} ({note})" if fd.get("description") else note
        fields.append(masked)
    descriptor["fields"] = fields
    unsafe = {n for n, m in masks.items() if m.method in ("drop", "partial")}

    def usable(key: Any) -> bool:
        names = [key] if isinstance(key, str) else list(key)
        return not unsafe.intersection(names)

    if "primaryKey" in descriptor and not usable(descriptor["primaryKey"]):
        del descriptor["primaryKey"]
    if "uniqueKeys" in descriptor:
        descriptor["uniqueKeys"] = [k for k in descriptor["uniqueKeys"] if usable(k)]
        if not descriptor["uniqueKeys"]:
            del descriptor["uniqueKeys"]
    if "foreignKeys" in descriptor:
        descriptor["foreignKeys"] = [k for k in descriptor["foreignKeys"] if usable(k.get("fields", []))]
        if not descriptor["foreignKeys"]:
            del descriptor["foreignKeys"]
    return canonical_descriptor(schema, descriptor)


def _mask_note(method: str, first: int, last: int) -> str:
    if method == "hash":
        return "masked: HMAC-SHA256 hex with a secret per-dataset key"
    return f"masked: first {first} and last {last} characters kept, the rest replaced by *"


class Masker:
    """Applies a schema's mask rules to typed record batches (columns by field name)."""

    def __init__(self, schema: TableSchema, *, salt: str | bytes):
        self._salt = salt.encode("utf-8") if isinstance(salt, str) else bytes(salt)
        self._rules = {f.name: f.mask for f in schema.fields if f.mask}
        if not self._salt and any(r.method == "hash" for r in self._rules.values()):
            raise ValidationError("hashing a field (x-mask: hash) needs the dataset's secret salt",
                                  problems=[Problem("validation-error", "empty salt", path="salt")])
        self._kept = [f.name for f in kept_fields(schema)]

    @property
    def active(self) -> bool:
        return bool(self._rules)

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """The batch with dropped columns removed and masked columns replaced by strings."""
        if not self._rules:
            return batch
        arrays, names = [], []
        for name in self._kept:
            col = batch.column(name)
            rule = self._rules.get(name)
            if rule is not None:
                text = col if pa.types.is_string(col.type) else _as_text(col)
                if rule.method == "hash":
                    col = hash_values(text, self._salt)
                else:
                    col = partial_mask(text, rule.keep_first, rule.keep_last)
            arrays.append(col)
            names.append(name)
        return pa.RecordBatch.from_arrays(arrays, names=names)


def hash_values(values: pa.Array, key: bytes) -> pa.Array:
    """HMAC-SHA256 hex of each non-empty string (null and "" unchanged)."""
    out = []
    for v in values.to_pylist():
        out.append(v if not v else hmac.new(key, v.encode("utf-8"), hashlib.sha256).hexdigest())
    return pa.array(out, pa.string())


def partial_mask(values: pa.Array, keep_first: int, keep_last: int) -> pa.Array:
    """Keep the first and last characters, one ``*`` for each character in between."""
    values = values.cast(pa.string()) if not pa.types.is_string(values.type) else values
    length = pc.utf8_length(values)
    hidden = pc.max_element_wise(pc.subtract(length, keep_first + keep_last), 0)
    head = pc.utf8_slice_codeunits(values, 0, keep_first)
    tail = pc.utf8_slice_codeunits(values, -keep_last) if keep_last else pc.utf8_slice_codeunits(values, 0, 0)
    masked = pc.binary_join_element_wise(head, pc.binary_repeat("*", hidden), tail, "")
    too_short = pc.less_equal(length, keep_first + keep_last)
    stars = pc.binary_repeat("*", length)
    return pc.if_else(too_short, stars, masked)


def _as_text(col: pa.Array) -> pa.Array:
    from opendata.core.writers import canonical_text

    return canonical_text(col)
