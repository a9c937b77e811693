"""Vectorized validation of tables against Table Schemas, agreeing with frictionless-py v5.

Use::

    v = Validator(schema, reader.labels)          # limits=ValidationLimits(...) optional
    errors = v.check_labels()                      # list[report.Error]
    for raw in reader.iter_batches():
        typed = v.process(raw)                     # TypedBatch: .data (RecordBatch), .errors (Table)
    errors += v.finish()                           # unique-error / primary-key duplicates

or ``validate_table(path, schema)`` for one streaming pass of reader + validator giving a
``report.Report`` in the Frictionless v5 shape.

How it agrees with frictionless: every column is typed by a vectorized fast path for canonical
cells (``types``); any other non-blank cell is read by frictionless' own cell reader, once per
distinct value, so odd cells get frictionless' exact verdict and notes. Constraints on fast-typed
cells are pyarrow.compute checks (``constraints``); patterns run in RE2 for ASCII cells and in
Python's ``re`` for the rest. Row rules (blank rows, missing and extra cells, a type error
suppressing the cell's constraint checks) follow ``frictionless.table.row``; keys follow
``frictionless.resources.table`` (``uniqueness``). ``tests/core/validation/test_differential.py``
proves it on a generated corpus.
"""

from opendata.core.validation.table import validate_reader, validate_table
from opendata.core.validation.validator import TypedBatch, ValidationLimits, Validator

__all__ = ["TypedBatch", "ValidationLimits", "Validator", "validate_reader", "validate_table"]
