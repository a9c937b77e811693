"""The Excel variant is the BOM plus the canonical bytes, and is written only when a cell must be escaped."""

from __future__ import annotations

import hashlib
import random

import pyarrow as pa
import pytest

from opendata.core.excel_csv import BOM, ExcelCsvWriter
from opendata.core.writers import CsvArtifactWriter, csv_cells
from tests.core.ingest_helpers import make_schema


def _batches(n_batches: int, rows: int, spoil: int | None, seed: int = 42) -> list[pa.RecordBatch]:
    """Text, quoted text and numbers; batch ``spoil`` (if any) holds one formula-like cell."""
    rng = random.Random(seed)
    out = []
    for b in range(n_batches):
        text = [rng.choice(["北京市朝阳区", "a,b", '说"好"', "多行\n文本", "plain", ""]) for _ in range(rows)]
        if b == spoil:
            text[rng.randrange(rows)] = "=HYPERLINK(\"http://x\")"
        out.append(pa.record_batch([pa.array(text), pa.array([rng.randint(-9, 9) for _ in range(rows)])],
                                   names=["s", "n"]))
    return out


def _write(tmp_path, schema, batches):
    canonical = CsvArtifactWriter(tmp_path / "data.csv", schema.fields, mirror_prefix=BOM)
    excel = ExcelCsvWriter(tmp_path / "data-excel.csv", schema.fields, canonical=canonical)
    for batch in batches:
        cells = csv_cells(batch, schema.fields)
        written = canonical.write_cells(cells, batch.num_rows)
        excel.write_cells(cells, batch.num_rows, canonical=written)
    done = canonical.close()
    return done, excel.close(done)


def _direct(tmp_path, schema, batches) -> bytes:
    """What an Excel writer fed every batch itself writes."""
    direct = CsvArtifactWriter(tmp_path / "direct.csv", schema.fields, excel=True)
    for batch in batches:
        direct.write_batch(batch)
    direct.close()
    return (tmp_path / "direct.csv").read_bytes()


def test_without_a_cell_to_escape_nothing_is_written_and_the_variant_is_bom_plus_the_canonical_file(tmp_path):
    schema = make_schema({"name": "s"}, {"name": "n", "type": "integer"})
    batches = _batches(4, 50, spoil=None)
    canonical, excel = _write(tmp_path, schema, batches)
    assert not (tmp_path / "data-excel.csv").exists()
    assert (excel.same_bytes_as, excel.prefix, excel.kind) == (canonical.path, BOM, "csv-excel")
    served = excel.prefix + (tmp_path / "data.csv").read_bytes()
    assert served == _direct(tmp_path, schema, batches)
    assert (excel.bytes, excel.sha256) == (len(served), hashlib.sha256(served).hexdigest())


@pytest.mark.parametrize("spoil", [0, 2, 3])
def test_a_cell_to_escape_makes_a_file_equal_to_the_direct_variant(tmp_path, spoil):
    schema = make_schema({"name": "s"}, {"name": "n", "type": "integer"})
    batches = _batches(4, 50, spoil=spoil)
    canonical, excel = _write(tmp_path, schema, batches)
    written = (tmp_path / "data-excel.csv").read_bytes()
    assert excel.same_bytes_as is None and excel.path == str(tmp_path / "data-excel.csv")
    assert written == _direct(tmp_path, schema, batches)
    assert (excel.bytes, excel.sha256) == (len(written), hashlib.sha256(written).hexdigest())
    assert b"'=HYPERLINK" in written and b"'=HYPERLINK" not in (tmp_path / "data.csv").read_bytes()


def test_a_field_name_that_looks_like_a_formula_makes_a_file_from_the_start(tmp_path):
    schema = make_schema({"name": "=s"}, {"name": "n", "type": "integer"})
    batches = [b.rename_columns(["=s", "n"]) for b in _batches(2, 20, spoil=None)]
    _, excel = _write(tmp_path, schema, batches)
    written = (tmp_path / "data-excel.csv").read_bytes()
    assert written.startswith(BOM + b"'=s,n\n") and excel.same_bytes_as is None
    assert written == _direct(tmp_path, schema, batches)


def test_aborting_leaves_no_file(tmp_path):
    schema = make_schema({"name": "s"}, {"name": "n", "type": "integer"})
    canonical = CsvArtifactWriter(tmp_path / "data.csv", schema.fields, mirror_prefix=BOM)
    excel = ExcelCsvWriter(tmp_path / "data-excel.csv", schema.fields, canonical=canonical)
    for batch in _batches(2, 10, spoil=1):
        cells = csv_cells(batch, schema.fields)
        excel.write_cells(cells, batch.num_rows, canonical=canonical.write_cells(cells, batch.num_rows))
    assert excel.written
    excel.abort()
    canonical.abort()
    assert list(tmp_path.iterdir()) == []


def test_the_canonical_writer_must_hash_behind_the_bom(tmp_path):
    schema = make_schema({"name": "s"})
    canonical = CsvArtifactWriter(tmp_path / "data.csv", schema.fields)
    with pytest.raises(ValueError, match="mirror_prefix"):
        ExcelCsvWriter(tmp_path / "data-excel.csv", schema.fields, canonical=canonical)
    canonical.abort()
