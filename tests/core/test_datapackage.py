import datetime as dt

import frictionless
import pyarrow as pa

from opendata.core.datapackage import build_datapackage, package_name, write_datapackage
from opendata.core.masking import Masker, kept_fields, published_schema
from opendata.core.writers import CsvArtifactWriter, ParquetArtifactWriter
from tests.core.ingest_helpers import make_schema


def _write_all(tmp_path):
    schema = make_schema(
        {"name": "id", "type": "integer"},
        {"name": "机构名称", "type": "string"},
        {"name": "day", "type": "date"},
        {"name": "amount", "type": "number", "constraints": {"minimum": 0}},
        {"name": "phone", "x-mask": {"method": "partial", "keepFirst": 3, "keepLast": 4}},
        {"name": "secret", "x-mask": {"method": "drop"}},
        primaryKey="id",
    )
    batch = pa.record_batch([
        pa.array([1, 2]), pa.array(["市场监督管理局", '带,逗号"的名称']),
        pa.array([dt.date(2023, 6, 18), None]), pa.array([12.5, 0.0]),
        pa.array(["13800138000", None]), pa.array(["x", "y"]),
    ], names=schema.field_names)
    masked = Masker(schema, salt="s").apply(batch)
    fields = kept_fields(schema)
    published = published_schema(schema)
    arts = []
    for w in (CsvArtifactWriter(tmp_path / "data.csv", fields),
              ParquetArtifactWriter(tmp_path / "data.parquet", fields, table_schema=published),
              CsvArtifactWriter(tmp_path / "data-excel.csv", fields, excel=True)):
        w.write_batch(masked)
        arts.append(w.close())
    descriptor = build_datapackage(name="Market Licences 2023", title="行政许可", artifacts=arts,
                                   table_schema=published, base_dir=tmp_path)
    art = write_datapackage(tmp_path / "datapackage.json", descriptor)
    return descriptor, art


def test_descriptor_names_each_file_with_bytes_and_hash(tmp_path):
    descriptor, art = _write_all(tmp_path)
    assert art.kind == "datapackage" and art.bytes == (tmp_path / "datapackage.json").stat().st_size
    assert descriptor["name"] == "market-licences-2023"
    assert descriptor["licenses"][0]["name"] == "CC-BY-4.0"
    res = {r["name"]: r for r in descriptor["resources"]}
    assert res["data"]["path"] == "data.csv" and res["data"]["encoding"] == "utf-8"
    assert res["data"]["mediatype"] == "text/csv"
    assert res["data-parquet"]["format"] == "parquet"
    assert res["data-excel"]["encoding"] == "utf-8-sig"
    for r in res.values():
        assert r["bytes"] == (tmp_path / r["path"]).stat().st_size
        assert r["hash"].startswith("sha256:") and len(r["hash"]) == 7 + 64
        assert [f["name"] for f in r["schema"]["fields"]] == ["id", "机构名称", "day", "amount", "phone"]


def test_frictionless_validates_the_package_and_reads_the_data(tmp_path):
    _write_all(tmp_path)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    package = frictionless.Package(str(tmp_path / "datapackage.json"))
    rows = package.get_resource("data").read_rows()
    assert [r["机构名称"] for r in rows] == ["市场监督管理局", '带,逗号"的名称']
    assert rows[0]["day"] == dt.date(2023, 6, 18) and rows[0]["phone"] == "138****8000"
    assert package.get_resource("data-excel").read_rows()[1]["id"] == 2


def test_a_changed_file_fails_the_hash_check(tmp_path):
    _write_all(tmp_path)
    with open(tmp_path / "data.csv", "ab") as fh:
        fh.write(b"3,x,,1,\n")
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert {e[0] for e in report.flatten(["type"])} & {"hash-count", "byte-count"}


def test_package_name_slug():
    assert package_name("预算 2023") == "2023"
    assert package_name("中文") == "dataset"
    assert package_name("A_b.C") == "a_b.c"


def test_every_type_written_by_us_reads_back_in_frictionless(tmp_path):
    from opendata.core.writers import CsvArtifactWriter as Csv

    fields = [
        {"name": "i", "type": "integer"}, {"name": "n", "type": "number"},
        {"name": "b", "type": "boolean"}, {"name": "d", "type": "date"},
        {"name": "t", "type": "time"}, {"name": "dt", "type": "datetime"},
        {"name": "y", "type": "year"}, {"name": "ym", "type": "yearmonth"},
        {"name": "g", "type": "geopoint"}, {"name": "s", "type": "string"},
    ]
    schema = make_schema(*fields)
    point = pa.struct([("lon", pa.float64()), ("lat", pa.float64())])
    batch = pa.record_batch([
        pa.array([-3, None]), pa.array([0.1, 1e20]), pa.array([True, None]),
        pa.array([dt.date(2023, 6, 18), None]),
        pa.array([dt.time(8, 30, 0, 250000), None], pa.time64("us")),
        pa.array([dt.datetime(2023, 6, 18, 8, 30, 1, 500), None], pa.timestamp("us")),
        pa.array([2023, None], pa.int32()), pa.array(["2023-06", None]),
        pa.array([{"lon": 116.4, "lat": 39.9}, None], point), pa.array(["a,b", ""]),
    ], names=schema.field_names)
    w = Csv(tmp_path / "data.csv", schema.fields)
    w.write_batch(batch)
    descriptor = build_datapackage(name="types", artifacts=[w.close()], table_schema=schema.to_dict(),
                                   base_dir=tmp_path)
    write_datapackage(tmp_path / "datapackage.json", descriptor)
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["type", "fieldName", "cell", "note"])
    row = frictionless.Package(str(tmp_path / "datapackage.json")).get_resource("data").read_rows()[0]
    assert row["i"] == -3 and row["b"] is True and row["d"] == dt.date(2023, 6, 18)
    assert row["t"] == dt.time(8, 30, 0, 250000) and row["dt"] == dt.datetime(2023, 6, 18, 8, 30, 1, 500)
    assert row["y"] == 2023 and [float(x) for x in row["g"]] == [116.4, 39.9] and row["s"] == "a,b"
