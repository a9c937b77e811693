import csv
import hashlib
import io
import json
import random
from pathlib import Path

import frictionless
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from opendata.core.pipeline import run_pipeline
from tests.core.ingest_helpers import make_schema

HEADER = "id,name,身份证号,phone,amount,day\n"


def _schema(**extra):
    return make_schema(
        {"name": "id", "type": "integer"},
        {"name": "name", "type": "string", "x-mask": {"method": "partial", "keepFirst": 1}},
        {"name": "身份证号", "type": "string", "x-mask": {"method": "hash"}},
        {"name": "phone", "type": "string"},
        {"name": "amount", "type": "number", "x-normalize": True, "constraints": {"minimum": 0}},
        {"name": "day", "type": "date", "x-normalize": True},
        primaryKey="id", **extra,
    )


def _write(tmp_path, body: str, name="in.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes((HEADER + body).encode(encoding))
    return path


VALID = ("1,张三,11010519491231002X,13800138000,\"¥1,234\",2023年6月18日\n"
         "2,李四,440524188001010014,,１２.5,45095\n"
         "3,王五,,,0,2023-01-02\n")


def test_valid_file_gives_all_outputs_and_a_valid_package(tmp_path):
    src = _write(tmp_path, VALID)
    seen = []
    result = run_pipeline(src, _schema(), tmp_path / "out", salt="k",
                          progress=lambda r, b: seen.append((r, b)))
    assert result.valid and result.row_count == 3
    assert result.source_sha256 == hashlib.sha256(src.read_bytes()).hexdigest()
    assert result.source_bytes == src.stat().st_size
    assert (result.source_format, result.source_encoding) == ("csv", "utf-8")
    assert [a.kind for a in result.artifacts] == ["csv", "parquet", "csv-excel", "datapackage"]
    assert seen[-1] == (3, src.stat().st_size)
    text = (tmp_path / "out" / "data.csv").read_text("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["id", "name", "身份证号", "phone", "amount", "day"]
    assert rows[1][:2] == ["1", "张*"] and len(rows[1][2]) == 64
    assert rows[1][4:] == ["1234", "2023-06-18"] and rows[2][4:] == ["12.5", "2023-06-18"]
    assert "11010519491231002X" not in text
    table = pq.read_table(tmp_path / "out" / "data.parquet")
    assert table.schema.field("amount").type == pa.float64()
    assert table.schema.field("day").type == pa.date32()
    assert table.num_rows == 3
    # no cell needs escaping: the Excel variant is not written but named as the BOM + data.csv;
    # made here, it is exactly what the package's bytes and hash describe
    excel = result.artifact("csv-excel")
    assert excel.same_bytes_as == str(tmp_path / "out" / "data.csv") and excel.prefix == b"\xef\xbb\xbf"
    assert not (tmp_path / "out" / "data-excel.csv").exists()
    (tmp_path / "out" / "data-excel.csv").write_bytes(excel.prefix + (tmp_path / "out" / "data.csv").read_bytes())
    report = frictionless.validate(str(tmp_path / "out" / "datapackage.json"))
    assert report.valid, report.flatten(["type", "note"])
    for art in result.artifacts:
        assert hashlib.sha256(Path(art.path).read_bytes()).hexdigest() == art.sha256


def test_normalization_and_pii_are_reported(tmp_path):
    result = run_pipeline(_write(tmp_path, VALID), _schema(), tmp_path / "out", salt="k")
    task = result.report["tasks"][0]
    kinds = {(n["fieldName"], n["normalizer"]): n["count"] for n in task["normalization"]}
    assert kinds == {("amount", "fullwidth"): 1, ("amount", "currency"): 1, ("amount", "thousands"): 1,
                     ("day", "chinese-date"): 1, ("day", "excel-date"): 1}
    assert any("chinese-date" in w for w in task["warnings"])
    findings = {(f.field_name, f.kind, f.source): f for f in result.pii.findings}
    assert findings[("身份证号", "id-number", "values")].resolved
    phone = findings[("phone", "mobile", "values")]
    assert not phone.resolved and phone.samples == [(2, "138****8000")]
    assert {(f.field_name, f.source) for f in result.pii.unresolved} == {("phone", "values"), ("phone", "label")}
    json.dumps(result.pii.to_dict())


def test_invalid_file_returns_the_report_and_writes_nothing(tmp_path):
    body = VALID + "4,赵六,,,-1,2023-01-02\n5,钱七,,,abc,2023-01-02\n"
    result = run_pipeline(_write(tmp_path, body), _schema(), tmp_path / "out", salt="k")
    assert not result.valid and result.artifacts == []
    errors = [(e["type"], e["rowNumber"], e["fieldNumber"]) for e in result.report["tasks"][0]["errors"]]
    assert errors == [("constraint-error", 5, 5), ("type-error", 6, 5)]
    assert list((tmp_path / "out").iterdir()) == []
    assert result.row_count == 5 and result.pii.findings


def test_duplicate_key_found_at_the_end_discards_the_outputs(tmp_path):
    result = run_pipeline(_write(tmp_path, VALID + "1,重复,,,1,2023-01-01\n"), _schema(),
                          tmp_path / "out", salt="k")
    assert not result.valid and result.artifacts == []
    assert [e["type"] for e in result.report["tasks"][0]["errors"]] == ["primary-key"]
    assert list((tmp_path / "out").iterdir()) == []


def test_header_problems_write_nothing(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("id,name\n1,x\n", encoding="utf-8")
    result = run_pipeline(path, _schema(), tmp_path / "out", salt="k")
    assert not result.valid and result.artifacts == []
    assert "missing-label" in result.report["tasks"][0]["errorSummary"]


def test_gbk_input_becomes_utf8_output(tmp_path):
    src = _write(tmp_path, "1,张三,,,1,2023-01-01\n", name="gbk.csv", encoding="gbk")
    result = run_pipeline(src, _schema(), tmp_path / "out", salt="k", excel_csv=False)
    assert result.valid and result.source_encoding in ("gb18030", "gbk")
    assert [a.kind for a in result.artifacts] == ["csv", "parquet", "datapackage"]
    assert "张*" in (tmp_path / "out" / "data.csv").read_text("utf-8")


def test_many_batches_stream_to_the_same_outputs(tmp_path):
    rng = random.Random(42)
    n = 150_000
    lines = [f"{i},机构{rng.randint(1, 99)},,,{rng.randint(0, 10**6) / 100},2023-01-{rng.randint(1, 28):02d}"
             for i in range(1, n + 1)]
    src = _write(tmp_path, "\n".join(lines) + "\n")
    result = run_pipeline(src, _schema(), tmp_path / "out", salt="k")
    assert result.valid and result.row_count == n
    table = pq.read_table(tmp_path / "out" / "data.parquet")
    assert table.num_rows == n and table.column("id").to_pylist()[-1] == n
    with open(tmp_path / "out" / "data.csv", encoding="utf-8") as fh:
        assert sum(1 for _ in fh) == n + 1


def test_unreadable_input_raises_input_error(tmp_path):
    from opendata.core.errors import InputError

    with pytest.raises(InputError):
        run_pipeline(tmp_path / "missing.csv", _schema(), tmp_path / "out", salt="k")


def test_background_worker_runs_in_order_and_reraises_the_first_failure():
    from opendata.core.pipeline import _SerialWorker

    seen = []
    worker = _SerialWorker()
    for i in range(5):
        worker.submit(seen.append, i)
    worker.join()
    assert seen == [0, 1, 2, 3, 4]

    def boom(x):
        raise ValueError(f"bad {x}")

    worker = _SerialWorker()
    worker.submit(boom, 1)
    worker.submit(seen.append, 99)  # skipped after the failure
    with pytest.raises(ValueError, match="bad 1"):
        worker.join()
    assert 99 not in seen


def test_identifiers_stay_text_and_fullwidth_integers_are_normalized(tmp_path):
    schema = make_schema(
        {"name": "code", "type": "string", "x-normalize": True, "x-pii": False},
        {"name": "n", "type": "integer", "x-normalize": True},
    )
    path = tmp_path / "ids.csv"
    path.write_text("code,n\n000123,１２３\n123456789012345678,７\n11010519491231002X,8\n", encoding="utf-8")
    result = run_pipeline(path, schema, tmp_path / "out", salt="k", excel_csv=False)
    assert result.valid
    lines = (tmp_path / "out" / "data.csv").read_text("utf-8").splitlines()
    assert lines[1:] == ["000123,123", "123456789012345678,7", "11010519491231002X,8"]
    table = pq.read_table(tmp_path / "out" / "data.parquet")
    assert table.column("code").to_pylist()[:2] == ["000123", "123456789012345678"]
    assert table.column("n").to_pylist() == [123, 7, 8]
    assert not result.pii.unresolved


def test_valid_integer_beyond_64_bits_is_not_published_as_null(tmp_path):
    from opendata.core.pipeline import run_pipeline
    from opendata.core.tableschema import load_table_schema

    src = tmp_path / "big.csv"
    src.write_text("id,big\n1,123456789012345678901234567890\n2,5\n", encoding="utf-8")
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "big", "type": "integer"}]})
    result = run_pipeline(src, schema, tmp_path / "out", salt=b"k")
    (err,) = result.report["tasks"][0]["errors"]
    assert (err["type"], err["rowNumber"], err["fieldName"]) == ("storage-error", 2, "big")
    assert "64-bit integer range" in err["message"] and 'declare the field "string"' in err["message"]
    assert not result.valid and result.artifacts == []
    as_text = load_table_schema({"fields": [{"name": "id", "type": "integer"}, {"name": "big", "type": "string"}]})
    kept = run_pipeline(src, as_text, tmp_path / "out2", salt=b"k")
    assert kept.valid and "123456789012345678901234567890" in (tmp_path / "out2" / "data.csv").read_text()


def test_a_digest_the_caller_already_has_is_reported_without_hashing_again(tmp_path):
    from opendata.core.files import sha256_file
    from opendata.core.pipeline import run_pipeline
    from opendata.core.tableschema import load_table_schema

    src = tmp_path / "a.csv"
    src.write_text("id\n1\n2\n", encoding="utf-8")
    schema = load_table_schema({"fields": [{"name": "id", "type": "integer"}]})
    hashed = run_pipeline(src, schema, tmp_path / "one", salt=b"k")
    assert hashed.source_sha256 == sha256_file(src)[0]
    given = run_pipeline(src, schema, tmp_path / "two", salt=b"k", source_sha256="ab" * 32)
    assert given.source_sha256 == "ab" * 32 and given.report["tasks"][0]["stats"]["sha256"] == "ab" * 32
