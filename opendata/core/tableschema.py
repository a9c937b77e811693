"""The one adapter around frictionless for Table Schemas.

Everything else in opendata uses :class:`TableSchema` and :class:`FieldSpec`; only this module
(and the differential tests) talk to ``frictionless`` directly, so a frictionless upgrade is
contained here.

opendata extends fields with three optional properties (Table Schema allows extra properties):

- ``x-normalize``: ``true`` or a list of normalizers applied before validation (see
  ``NORMALIZERS``); each change is recorded as a warning.
- ``x-mask``: ``{"method": "drop" | "hash" | "partial", "keepFirst": N, "keepLast": M}``;
  the published outputs apply it.
- ``x-pii``: ``false`` to declare a column lawful to publish after review, or the kind of
  personal information it holds (``id-number``, ``mobile``, ``bank-card``, ``email``, ``name``,
  ``address``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from opendata.core.errors import Problem, SchemaError
from opendata.core.plain_schema import (
    defined_options,
    is_plain,
    plain_value_reader,
    resolved_options,
)
from opendata.core.textcheck import text_problem

FIELD_TYPES = (
    "string", "integer", "number", "boolean", "date", "time", "datetime", "year",
    "yearmonth", "geopoint", "any",
)
NORMALIZERS = ("fullwidth", "spaces", "thousands", "currency", "chinese-date", "excel-date")
MASK_METHODS = ("drop", "hash", "partial")
PII_KINDS = ("id-number", "mobile", "bank-card", "email", "name", "address")
DEFAULT_MISSING_VALUES = ("",)
_NUMERIC_CONSTRAINTS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
_LENGTH_CONSTRAINTS = ("minLength", "maxLength")


@dataclass(frozen=True)
class MaskRule:
    """How a field is masked in published outputs."""

    method: str  # drop | hash | partial
    keep_first: int = 0
    keep_last: int = 0


@dataclass(frozen=True)
class FieldSpec:
    """One field of a Table Schema, with opendata's extensions parsed."""

    name: str
    type: str = "string"
    format: str = "default"
    title: str | None = None
    description: str | None = None
    constraints: Mapping[str, Any] = field(default_factory=dict)
    missing_values: tuple[str, ...] | None = None  # field-level override, if any
    normalize: tuple[str, ...] = ()
    mask: MaskRule | None = None
    pii: str | bool | None = None
    descriptor: Mapping[str, Any] = field(default_factory=dict)

    @property
    def required(self) -> bool:
        return bool(self.constraints.get("required"))

    def option(self, key: str, default: Any = None) -> Any:
        """A type option such as ``trueValues``, ``decimalChar`` or ``bareNumber``."""
        return self.descriptor.get(key, default)


@dataclass(frozen=True)
class TableSchema:
    """A checked Frictionless Table Schema."""

    fields: tuple[FieldSpec, ...]
    primary_key: tuple[str, ...] = ()
    unique_keys: tuple[tuple[str, ...], ...] = ()
    missing_values: tuple[str, ...] = DEFAULT_MISSING_VALUES
    descriptor: Mapping[str, Any] = field(default_factory=dict)
    source: str | None = None

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def get_field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def to_dict(self) -> dict[str, Any]:
        """The descriptor as plain JSON-ready data."""
        return json.loads(json.dumps(self.descriptor))

    def to_frictionless(self):  # -> frictionless.Schema
        """A frictionless ``Schema`` for the same descriptor (for differential checks)."""
        from frictionless import Schema

        return Schema.from_descriptor(self.to_dict())


def load_table_schema(source: str | Path | Mapping[str, Any], *, name: str | None = None,
                      incoming: bool = False) -> TableSchema:
    """Load and check a Table Schema from a JSON file path or a descriptor mapping.

    ``incoming`` (a schema being registered or synced, not one read back from the database)
    also refuses names, titles and descriptions holding characters text may not hold
    (:func:`schema_text_problems`): a stored schema from before that check must still load.
    """
    where = name
    if isinstance(source, (str, Path)):
        path = Path(source)
        where = name or str(path)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise SchemaError(f"{where}: schema file not found",
                              problems=[Problem("schema-error", "file not found", file=where)]) from None
        except UnicodeDecodeError as exc:
            raise SchemaError(f"{where}: schema file is not UTF-8 (byte {exc.start})",
                              problems=[Problem("schema-error", "not UTF-8", file=where)]) from None
        try:
            descriptor = json.loads(text)
        except json.JSONDecodeError as exc:
            problem = Problem("schema-error", f"invalid JSON: {exc.msg}", file=where, line=exc.lineno)
            raise SchemaError(f"{where}: invalid JSON", problems=[problem]) from None
    else:
        descriptor = dict(source)
    problems = check_schema_descriptor(descriptor, file=where)
    if incoming and not problems:
        problems = schema_text_problems(descriptor, file=where)
    if problems:
        raise SchemaError(f"{where or 'schema'}: invalid Table Schema", problems=problems)
    return _build(descriptor, source=where)


def describe_rows(labels: list[str], rows: list[list[str | None]]) -> dict[str, Any]:
    """A draft Table Schema inferred by frictionless from a header and rows of text (its ``describe``)."""
    from frictionless import Resource

    resource = Resource(data=[list(labels), *[[c if c is not None else "" for c in row] for row in rows]])
    resource.infer()
    return resource.schema.to_descriptor()


def check_schema_descriptor(descriptor: Any, *, file: str | None = None) -> list[Problem]:
    """Every problem with a Table Schema descriptor, each naming the offending property."""
    problems: list[Problem] = []

    def add(message: str, path: str) -> None:
        problems.append(Problem("schema-error", message, file=file, path=path))

    if not isinstance(descriptor, Mapping):
        add("a Table Schema must be a JSON object", "")
        return problems
    fields = descriptor.get("fields")
    if not isinstance(fields, list) or not fields:
        add("'fields' must be a non-empty list", "fields")
        return problems
    names: list[str] = []
    for i, fd in enumerate(fields):
        at = f"fields/{i}"
        if not isinstance(fd, Mapping):
            add("a field must be an object", at)
            continue
        fname = fd.get("name")
        if not isinstance(fname, str) or not fname.strip():
            add("field 'name' is required and must be a non-empty string", f"{at}/name")
        elif fname in names:
            add(f"duplicate field name '{fname}'", f"{at}/name")
        else:
            names.append(fname)
        ftype = fd.get("type", "string")
        if ftype not in FIELD_TYPES:
            add(f"unsupported field type '{ftype}' (one of {', '.join(FIELD_TYPES)})", f"{at}/type")
            continue
        problems.extend(_check_field_extras(fd, ftype, at, file))
    for key in ("primaryKey",):
        pk = descriptor.get(key)
        if pk is None:
            continue
        pk_list = [pk] if isinstance(pk, str) else pk
        if not isinstance(pk_list, list) or not all(isinstance(x, str) for x in pk_list):
            add("'primaryKey' must be a field name or a list of field names", key)
            continue
        for x in pk_list:
            if x not in names:
                add(f"primaryKey names unknown field '{x}'", key)
    for i, uk in enumerate(descriptor.get("uniqueKeys") or []):
        for x in [uk] if isinstance(uk, str) else uk:
            if x not in names:
                add(f"uniqueKeys names unknown field '{x}'", f"uniqueKeys/{i}")
    mv = descriptor.get("missingValues")
    if mv is not None and (not isinstance(mv, list) or not all(isinstance(x, str) for x in mv)):
        add("'missingValues' must be a list of strings", "missingValues")
    if not problems and not is_plain(descriptor):
        # frictionless' own metadata check, for anything we did not anticipate (a plain
        # descriptor always passes it: see opendata.core.plain_schema)
        from frictionless import Schema

        report = Schema.validate_descriptor(dict(descriptor))
        for err in report.errors:
            add(err.note or err.message, "")
    return problems


def schema_text_problems(descriptor: Mapping[str, Any], *, file: str | None = None) -> list[Problem]:
    """Names, titles and descriptions (of the schema and each field) holding characters text may not."""
    out: list[Problem] = []
    for at, node in [("", descriptor)] + [(f"fields/{i}/", fd) for i, fd in enumerate(descriptor.get("fields", []))]:
        for key, multiline in (("name", False), ("title", False), ("description", True)):
            text = node.get(key) if isinstance(node, Mapping) else None
            if isinstance(text, str) and (problem := text_problem(text, multiline=multiline)) is not None:
                what = f"field {key}" if at else f"schema {key}"
                out.append(Problem("schema-error", f"{what} {problem}", file=file, path=f"{at}{key}"))
    return out


def _check_field_extras(fd: Mapping[str, Any], ftype: str, at: str, file: str | None) -> list[Problem]:
    out: list[Problem] = []

    def add(message: str, path: str) -> None:
        out.append(Problem("schema-error", message, file=file, path=path))

    constraints = fd.get("constraints", {})
    if not isinstance(constraints, Mapping):
        add("'constraints' must be an object", f"{at}/constraints")
        return out
    for key in _NUMERIC_CONSTRAINTS:
        if key in constraints and ftype in ("integer", "number", "year"):
            value = constraints[key]
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                add(f"constraint '{key}' must be a number for a {ftype} field", f"{at}/constraints/{key}")
    for key in _LENGTH_CONSTRAINTS:
        if key in constraints:
            value = constraints[key]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                add(f"constraint '{key}' must be a non-negative integer", f"{at}/constraints/{key}")
    if "enum" in constraints and not isinstance(constraints["enum"], list):
        add("constraint 'enum' must be a list", f"{at}/constraints/enum")
    if "pattern" in constraints:
        import re

        try:
            re.compile(str(constraints["pattern"]))
        except re.error as exc:
            add(f"constraint 'pattern' is not a valid regular expression: {exc}", f"{at}/constraints/pattern")
    norm = fd.get("x-normalize")
    if not isinstance(norm, (bool, type(None))) and (
            not isinstance(norm, list) or any(n not in NORMALIZERS for n in norm)):
            add(f"'x-normalize' must be true or a list of {', '.join(NORMALIZERS)}", f"{at}/x-normalize")
    mask = fd.get("x-mask")
    if mask is not None:
        if not isinstance(mask, Mapping) or mask.get("method") not in MASK_METHODS:
            add(f"'x-mask' must be an object with method one of {', '.join(MASK_METHODS)}", f"{at}/x-mask")
        else:
            for k in ("keepFirst", "keepLast"):
                v = mask.get(k, 0)
                if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                    add(f"'x-mask.{k}' must be a non-negative integer", f"{at}/x-mask/{k}")
    pii = fd.get("x-pii")
    if pii is not None and pii is not False and pii not in PII_KINDS:
        add(f"'x-pii' must be false or one of {', '.join(PII_KINDS)}", f"{at}/x-pii")
    return out


def _build(descriptor: Mapping[str, Any], *, source: str | None) -> TableSchema:
    fields = []
    for fd in descriptor["fields"]:
        ftype = fd.get("type", "string")
        norm = fd.get("x-normalize")
        if norm is True:
            normalize = NORMALIZERS
        elif isinstance(norm, list):
            normalize = tuple(norm)
        else:
            normalize = ()
        mask = None
        if isinstance(fd.get("x-mask"), Mapping):
            m = fd["x-mask"]
            mask = MaskRule(m["method"], int(m.get("keepFirst", 0)), int(m.get("keepLast", 0)))
        fmv = fd.get("missingValues")
        fields.append(FieldSpec(
            name=fd["name"],
            type=ftype,
            format=fd.get("format", "default"),
            title=fd.get("title"),
            description=fd.get("description"),
            constraints=dict(fd.get("constraints") or {}),
            missing_values=tuple(fmv) if isinstance(fmv, list) else None,
            normalize=normalize,
            mask=mask,
            pii=fd.get("x-pii"),
            descriptor=dict(fd),
        ))
    pk = descriptor.get("primaryKey") or ()
    pk = (pk,) if isinstance(pk, str) else tuple(pk)
    uks = tuple(((uk,) if isinstance(uk, str) else tuple(uk)) for uk in descriptor.get("uniqueKeys") or ())
    mv = descriptor.get("missingValues")
    return TableSchema(
        fields=tuple(fields),
        primary_key=pk,
        unique_keys=uks,
        missing_values=tuple(mv) if mv is not None else DEFAULT_MISSING_VALUES,
        descriptor=dict(descriptor),
        source=source,
    )


class CellReaders:
    """frictionless' own reading rules for one field, for exact agreement on unusual cells.

    ``cell_reader(text)`` returns ``(value, notes)`` exactly as frictionless reads a cell (notes
    name the failed type or constraints); ``value_reader`` types a value (used to type constraint
    values); ``missing_values`` are the effective missing values (field-level, else schema-level);
    ``options`` the resolved type options (``bare_number``, ``group_char``, ``decimal_char``,
    ``true_values``, ``false_values``); ``defined`` the option names the descriptor sets.

    For a plain schema (:func:`~opendata.core.plain_schema.is_plain`) everything but the cell
    reader is resolved without frictionless, and frictionless is imported only when a cell or a
    constraint value needs its reader: validating canonical cells never loads it.
    """

    def __init__(self, fields: _FrictionlessFields, name: str, *, missing_values: tuple[str, ...],
                 options: Mapping[str, Any], defined: frozenset[str], value_reader: Any = None):
        self._fields, self._name = fields, name
        self.missing_values = missing_values
        self.options = options
        self.defined = defined
        self._value_reader = value_reader
        self._cell_reader = None

    def cell_reader(self, cell: Any) -> tuple[Any, dict[str, str] | None]:
        """frictionless' verdict on one cell: (value, notes)."""
        if self._cell_reader is None:
            self._cell_reader = self._fields.get(self._name).create_cell_reader()
        return self._cell_reader(cell)

    def value_reader(self, value: Any) -> Any:
        """A value (such as a constraint's) read as frictionless reads it for this field."""
        if self._value_reader is None:
            self._value_reader = self._fields.get(self._name).create_value_reader()
        return self._value_reader(value)


class _FrictionlessFields:
    """frictionless' fields of one schema, built on first use."""

    def __init__(self, schema: TableSchema, built: Any = None):
        self._schema = schema
        self._by_name = None if built is None else {f.name: f for f in built.fields}

    def get(self, name: str) -> Any:
        if self._by_name is None:
            self._by_name = {f.name: f for f in self._schema.to_frictionless().fields}
        return self._by_name[name]


def frictionless_cell_readers(schema: TableSchema) -> dict[str, CellReaders]:
    """Per field name, frictionless' cell readers and resolved options (see :class:`CellReaders`)."""
    out: dict[str, CellReaders] = {}
    if is_plain(schema.descriptor):
        fields = _FrictionlessFields(schema)
        for spec in schema.fields:
            missing = spec.missing_values if spec.missing_values is not None else schema.missing_values
            out[spec.name] = CellReaders(fields, spec.name, missing_values=tuple(missing),
                                         options=resolved_options(spec.descriptor),
                                         defined=defined_options(spec.descriptor),
                                         value_reader=plain_value_reader(spec.descriptor))
        return out
    fl_schema = schema.to_frictionless()
    fields = _FrictionlessFields(schema, fl_schema)
    for fl_field in fl_schema.fields:
        if fl_field.has_defined("missing_values"):
            missing = tuple(fl_field.missing_values)
        else:
            missing = tuple(fl_schema.missing_values)
        options = {k: getattr(fl_field, k) for k in
                   ("bare_number", "group_char", "decimal_char", "true_values", "false_values")
                   if hasattr(fl_field, k)}
        out[fl_field.name] = CellReaders(fields, fl_field.name, missing_values=missing, options=options,
                                         defined=frozenset(fl_field.list_defined()),
                                         value_reader=fl_field.create_value_reader())
    return out
