"""Differential test: our validator reports exactly what frictionless-py reports.

For every generated case (``corpus.py``, random.Random(42)) the set of (type, rowNumber,
fieldNumber) of our report equals frictionless-py's on the same file and schema: first with the
cells fed by Python's csv module exactly as frictionless reads them (isolating the validator),
then end to end through ``validate_table`` and the production reader.

Documented differences and frictionless-py behaviours the corpus steers around:
- frictionless stops at ``limit_errors``; we count every error (the test raises the limit).
- ``uniqueKeys`` is not checked by frictionless-py 5.x; we do not check it either.
- frictionless raises TypeError (no report) when a date/time/datetime bound is compared with a
  cell of the other awareness (naive bound, "...Z" cell), when a bound cannot be read with the
  field's format, and when a pattern puts global flags after frictionless' "^" anchor ("(?i)...").
  We report instead (aware values compared in UTC); the corpus avoids these crashes.
- frictionless guesses the CSV dialect and which row is the header; the test fixes both (comma,
  header row 1) so both sides read the same cells.
- ``storage-error`` is ours alone: a value frictionless accepts but the typed outputs cannot
  hold (an integer beyond 64 bits, 1e309). The comparison leaves those out and checks that
  frictionless found no error in the same cell.
"""

from __future__ import annotations

import random
from collections import Counter

import pytest
from frictionless import Dialect, Resource, Schema
from frictionless.formats import CsvControl

from opendata.core.tableschema import load_table_schema
from opendata.core.validation import ValidationLimits, validate_reader, validate_table
from tests.core.validation.corpus import make_case
from tests.core.validation.csv_batches import CsvModuleReader

CASES = 300
KEYS = ["type", "rowNumber", "fieldNumber"]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("corpus")
    rng = random.Random(42)
    return [make_case(rng, i, folder) for i in range(CASES)]


@pytest.fixture(scope="module")
def expected(corpus):
    """frictionless-py's errors per case, computed once."""
    return [_frictionless_errors(case) for case in corpus]


def _frictionless_errors(case) -> set[tuple]:
    control = CsvControl(delimiter=",", quote_char='"', double_quote=True, skip_initial_space=False)
    dialect = Dialect(header_rows=[1], controls=[control])  # no header-row guessing
    resource = Resource(path=case.path.name, basepath=str(case.path.parent), dialect=dialect,
                        schema=Schema.from_descriptor(case.descriptor))
    report = resource.validate(limit_errors=100_000)
    return {tuple(e) for e in report.flatten(KEYS)}


def _our_errors(case, limits=None) -> set[tuple]:
    # small batches (4 rows) so keys and blank rows cross batch boundaries
    reader = CsvModuleReader(case.path, batch_rows=4)
    report = validate_reader(reader, load_table_schema(case.descriptor), name=case.name, place=str(case.path),
                             limits=limits)
    return {tuple(e) for e in report.flatten(KEYS)}


def comparable(ours: set[tuple], theirs: set[tuple]) -> set[tuple]:
    """Our errors without storage-errors, after checking frictionless accepted each of those cells."""
    stored = {e for e in ours if e[0] == "storage-error"}
    clash = {e for e in theirs if e[0] == "type-error" and ("storage-error", *e[1:]) in stored}
    assert not clash, f"a storage-error in a cell frictionless refuses: {sorted(clash, key=str)}"
    return ours - stored


def test_corpus_covers_every_type_and_error(corpus, expected):
    types = Counter(f.get("type", "string") for c in corpus for f in c.descriptor["fields"])
    assert set(types) >= {"string", "integer", "number", "boolean", "date", "time", "datetime", "year",
                          "yearmonth", "geopoint", "any"}
    seen = Counter(e[0] for errors in expected for e in errors)
    assert set(seen) >= {"blank-label", "duplicate-label", "incorrect-label", "missing-label", "extra-label",
                         "blank-row", "extra-cell", "missing-cell", "type-error", "constraint-error",
                         "primary-key", "unique-error"}


@pytest.mark.parametrize("index", range(CASES))
def test_same_errors_as_frictionless(corpus, expected, index):
    case = corpus[index]
    # every fifth case sends its keys through Parquet spills and DuckDB instead of Arrow
    actual = comparable(_our_errors(case, ValidationLimits(key_flush_rows=1) if index % 5 == 0 else None),
                        expected[index])
    assert actual == expected[index], (
        f"{case.path.name}\nschema={case.descriptor}\n---\n{case.path.read_text()}\n"
        f"missing: {sorted(expected[index] - actual, key=str)}\nextra: {sorted(actual - expected[index], key=str)}"
    )


@pytest.mark.parametrize("index", range(0, CASES, 5))
def test_same_errors_through_the_production_reader(corpus, expected, index):
    case = corpus[index]
    report = validate_table(case.path, load_table_schema(case.descriptor), format="csv")
    assert comparable({tuple(e) for e in report.flatten(KEYS)}, expected[index]) == expected[index]
