import csv
import datetime as dt
import hashlib
import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.core.writers import CsvArtifactWriter, ParquetArtifactWriter, canonical_text
from tests.core.ingest_helpers import make_schema

FIELDS = [
    {"name": "id", "type": "integer"},
    {"name": "名称", "type": "string"},
    {"name": "amount", "type": "number"},
    {"name": "ok", "type": "boolean"},
    {"name": "day", "type": "date"},
    {"name": "at", "type": "datetime"},
    {"name": "t", "type": "time"},
    {"name": "y", "type": "year"},
    {"name": "ym", "type": "yearmonth"},
    {"name": "pt", "type": "geopoint"},
]


def _schema():
    return make_schema(*FIELDS)


def _batch(offset=0):
    point = pa.struct([("lon", pa.float64()), ("lat", pa.float64())])
    return pa.record_batch([
        pa.array([1 + offset, 2 + offset, 3 + offset], pa.int64()),
        pa.array(['逗号,和"引号"', "多行\n文本", None]),
        pa.array([0.1, 1234567.5, None]),
        pa.array([True, False, None]),
        pa.array([dt.date(2023, 6, 18), None, dt.date(1949, 10, 1)]),
        pa.array([dt.datetime(2023, 6, 18, 8, 30), dt.datetime(2023, 6, 18, 8, 30, 1, 500), None],
                 pa.timestamp("us")),
        pa.array([dt.time(8, 30), None, dt.time(23, 59, 59)], pa.time64("us")),
        pa.array([2023, None, 1949], pa.int32()),
        pa.array(["2023-06", None, "1949-10"]),
        pa.array([{"lon": 116.4, "lat": 39.9}, None, {"lon": -0.5, "lat": 51.5}], point),
    ], names=[f["name"] for f in FIELDS])


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_canonical_csv_is_rfc4180_with_lf_and_default_value_forms(tmp_path):
    w = CsvArtifactWriter(tmp_path / "data.csv", _schema().fields)
    w.write_batch(_batch())
    art = w.close()
    raw = (tmp_path / "data.csv").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
    assert art.bytes == len(raw) and art.sha256 == _digest(tmp_path / "data.csv")
    text = raw.decode("utf-8")
    assert text.splitlines()[0] == "id,名称,amount,ok,day,at,t,y,ym,pt"
    assert text.splitlines()[1] == ('1,"逗号,和""引号""",0.1,true,2023-06-18,2023-06-18T08:30:00,'
                                    '08:30:00,2023,2023-06,"116.4,39.9"')
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[2] == ["2", "多行\n文本", "1234567.5", "false", "", "2023-06-18T08:30:01.000500", "", "", "", ""]
    assert rows[3][1:4] == ["", "", ""]
    assert text.endswith("\n")


def test_csv_streams_several_batches(tmp_path):
    w = CsvArtifactWriter(tmp_path / "data.csv", _schema().fields)
    for k in range(3):
        w.write_batch(_batch(offset=10 * k))
    w.close()
    rows = list(csv.reader(io.StringIO((tmp_path / "data.csv").read_text("utf-8"), newline="")))
    assert [r[0] for r in rows[1:]] == ["1", "2", "3", "11", "12", "13", "21", "22", "23"]


def test_excel_csv_has_a_bom_and_escapes_formulas(tmp_path):
    schema = make_schema({"name": "s"}, {"name": "n", "type": "integer"})
    batch = pa.record_batch([pa.array(["=SUM(A1)", "+1", "-x", "@cmd", "normal", "a=b"]),
                             pa.array([-5, 1, 2, 3, 4, 5])], names=["s", "n"])
    w = CsvArtifactWriter(tmp_path / "x.csv", schema.fields, excel=True)
    w.write_batch(batch)
    assert w.close().kind == "csv-excel"
    raw = (tmp_path / "x.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfs,n\n")  # LF as the canonical CSV: Excel reads it
    lines = raw[3:].decode("utf-8").split("\n")
    assert lines[1:7] == ["'=SUM(A1),-5", "'+1,1", "'-x,2", "'@cmd,3", "normal,4", "a=b,5"]


def test_excel_csv_neutralises_formulas_in_the_header_row_too(tmp_path):
    schema = make_schema({"name": "=HYPERLINK(\"http://x\",\"y\")"}, {"name": "+1"}, {"name": "-a,b"},
                         {"name": "@x"}, {"name": "normal"})
    batch = pa.record_batch([pa.array(["a"]), pa.array(["b"]), pa.array(["c"]), pa.array(["d"]), pa.array(["e"])],
                            names=[f.name for f in schema.fields])
    for excel in (True, False):
        w = CsvArtifactWriter(tmp_path / "x.csv", schema.fields, excel=excel)
        w.write_batch(batch)
        w.close()
        text = (tmp_path / "x.csv").read_bytes().decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text, newline="")))
        if excel:
            assert header == ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-a,b", "'@x", "normal"]
        else:  # the canonical CSV stays faithful to the schema
            assert header == [f.name for f in schema.fields]


def test_parquet_types_follow_the_schema(tmp_path):
    schema = _schema()
    w = ParquetArtifactWriter(tmp_path / "data.parquet", schema.fields, table_schema=schema.to_dict())
    w.write_batch(_batch())
    w.write_batch(_batch(offset=3))
    art = w.close()
    assert art.sha256 == _digest(tmp_path / "data.parquet")
    assert art.bytes == (tmp_path / "data.parquet").stat().st_size
    table = pq.read_table(tmp_path / "data.parquet")
    types = {f.name: f.type for f in table.schema}
    assert types["id"] == pa.int64() and types["amount"] == pa.float64()
    assert types["ok"] == pa.bool_() and types["day"] == pa.date32()
    assert types["at"] == pa.timestamp("us") and types["t"] == pa.time64("us")
    assert types["y"] == pa.int64() and types["ym"] == pa.string() and types["名称"] == pa.string()
    assert pa.types.is_struct(types["pt"])
    assert table.num_rows == 6 and table.column("id").to_pylist() == [1, 2, 3, 4, 5, 6]
    meta = pq.read_metadata(tmp_path / "data.parquet")
    assert pq.ParquetFile(tmp_path / "data.parquet").metadata.row_group(0).column(0).compression == "ZSTD"
    assert json.loads(meta.metadata[b"table_schema"])["fields"][0]["name"] == "id"


def test_empty_outputs_still_have_header_and_schema(tmp_path):
    schema = _schema()
    c = CsvArtifactWriter(tmp_path / "e.csv", schema.fields)
    p = ParquetArtifactWriter(tmp_path / "e.parquet", schema.fields)
    c.close()
    p.close()
    assert (tmp_path / "e.csv").read_text("utf-8") == "id,名称,amount,ok,day,at,t,y,ym,pt\n"
    assert pq.read_table(tmp_path / "e.parquet").schema.names == [f["name"] for f in FIELDS]


def test_abort_leaves_no_file_and_nothing_is_visible_before_close(tmp_path):
    schema = _schema()
    c = CsvArtifactWriter(tmp_path / "data.csv", schema.fields)
    p = ParquetArtifactWriter(tmp_path / "data.parquet", schema.fields)
    c.write_batch(_batch())
    p.write_batch(_batch())
    assert not (tmp_path / "data.csv").exists() and not (tmp_path / "data.parquet").exists()
    c.abort()
    p.abort()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("array,expected", [
    (pa.array([1.0, 1e20, 1e-7]), ["1", "1e+20", "1e-7"]),
    (pa.array([dt.datetime(2023, 1, 1, 12)], pa.timestamp("s", tz="Asia/Shanghai")), ["2023-01-01T12:00:00Z"]),
    (pa.array([[1, 2]]), ["[1, 2]"]),
])
def test_canonical_text_edge_forms(array, expected):
    assert canonical_text(array).to_pylist() == expected


@pytest.mark.parametrize("values", [["a", "b"], ["=1", "b"], ["a,b", "c"], ["多行\n文本", "x"]])
def test_excel_variant_from_canonical_bytes_equals_the_direct_one(tmp_path, values):
    from opendata.core.writers import csv_cells

    schema = make_schema({"name": "s"}, {"name": "n", "type": "integer"})
    batch = pa.record_batch([pa.array(values), pa.array([1, -2])], names=["s", "n"])
    cells = csv_cells(batch, schema.fields)
    canonical = CsvArtifactWriter(tmp_path / "c.csv", schema.fields)
    written = canonical.write_cells(cells, 2)
    derived = CsvArtifactWriter(tmp_path / "d.csv", schema.fields, excel=True)
    derived.write_cells(cells, 2, canonical=written)
    direct = CsvArtifactWriter(tmp_path / "e.csv", schema.fields, excel=True)
    direct.write_batch(batch)
    canonical.close()
    assert derived.close().sha256 == direct.close().sha256


def test_numbers_keep_plain_decimal_source_text_and_format_the_rest(tmp_path):
    from opendata.core.writers import csv_cells

    schema = make_schema({"name": "x", "type": "number"})
    source = pa.array(["1811.30", "12345678901234567.25", "1e3", "NA", "007.5", "-0.50"])
    values = pa.array([1811.3, 12345678901234567.25, 1000.0, None, 7.5, -0.5])
    batch = pa.record_batch([values], names=["x"])
    [cell] = csv_cells(batch, schema.fields, {"x": source})
    assert cell.text.to_pylist() == ["1811.30", "12345678901234567.25", "1000", "", "7.5", "-0.50"]
    [plain] = csv_cells(batch.slice(0, 2), schema.fields, {"x": source.slice(0, 2)})
    assert plain.text.to_pylist() == ["1811.30", "12345678901234567.25"]
