import hashlib
import hmac

import pyarrow as pa

from opendata.core.masking import Masker, kept_fields, partial_mask, published_schema
from tests.core.ingest_helpers import make_schema

ID = "11010519491231002X"


def _schema():
    return make_schema(
        {"name": "id", "type": "integer"},
        {"name": "身份证号", "x-mask": {"method": "hash"}, "constraints": {"unique": True, "pattern": r"\d{17}[\dX]"}},
        {"name": "手机", "x-mask": {"method": "partial", "keepFirst": 3, "keepLast": 4},
         "constraints": {"required": True, "minLength": 11}},
        {"name": "住址", "x-mask": {"method": "drop"}},
        {"name": "证件", "x-mask": {"method": "partial", "keepFirst": 6, "keepLast": 4}},
        primaryKey="id", uniqueKeys=[["身份证号"], ["手机"]],
    )


def _batch():
    return pa.record_batch([
        pa.array([1, 2, 3]),
        pa.array([ID, None, ""]),
        pa.array(["13800138000", "1380", None]),
        pa.array(["某路1号", "某路2号", "某路3号"]),
        pa.array([ID, "440524188001010014", "12"]),
    ], names=["id", "身份证号", "手机", "住址", "证件"])


def test_drop_hash_and_partial():
    out = Masker(_schema(), salt="secret").apply(_batch())
    assert out.schema.names == ["id", "身份证号", "手机", "证件"]
    expected = hmac.new(b"secret", ID.encode(), hashlib.sha256).hexdigest()
    assert out.column("身份证号").to_pylist() == [expected, None, ""]
    assert out.column("手机").to_pylist() == ["138****8000", "****", None]
    assert out.column("证件").to_pylist() == ["110105********002X", "440524********0014", "**"]
    assert out.column("id").to_pylist() == [1, 2, 3]


def test_hash_depends_on_the_salt_and_is_not_a_plain_sha256():
    a = Masker(_schema(), salt="a").apply(_batch()).column("身份证号")[0].as_py()
    b = Masker(_schema(), salt=b"b").apply(_batch()).column("身份证号")[0].as_py()
    assert a != b and len(a) == 64
    assert a != hashlib.sha256(ID.encode()).hexdigest()


def test_typed_values_are_masked_as_text():
    schema = make_schema({"name": "n", "type": "integer", "x-mask": {"method": "partial", "keepLast": 2}})
    out = Masker(schema, salt="s").apply(pa.record_batch([pa.array([123456, None])], names=["n"]))
    assert out.column("n").to_pylist() == ["****56", None]


def test_partial_counts_characters_not_bytes():
    assert partial_mask(pa.array(["张三丰", "欧阳娜娜"]), 1, 0).to_pylist() == ["张**", "欧***"]


def test_schema_without_masks_passes_batches_through():
    schema = make_schema({"name": "a"})
    batch = pa.record_batch([pa.array(["x"])], names=["a"])
    masker = Masker(schema, salt="s")
    assert not masker.active and masker.apply(batch) is batch


def test_published_schema_drops_fields_and_loosens_masked_ones():
    schema = _schema()
    assert [f.name for f in kept_fields(schema)] == ["id", "身份证号", "手机", "证件"]
    d = published_schema(schema)
    fields = {f["name"]: f for f in d["fields"]}
    assert "住址" not in fields
    assert fields["身份证号"]["type"] == "string"
    assert fields["身份证号"]["constraints"] == {"unique": True}
    assert fields["手机"]["constraints"] == {"required": True}
    assert "masked" in fields["手机"]["description"]
    assert d["primaryKey"] == "id"
    assert d["uniqueKeys"] == [["身份证号"]]
    assert schema.descriptor["fields"][3]["name"] == "住址"  # the input schema is not modified


def test_hashing_without_a_salt_is_refused():
    import pytest

    from opendata.core.errors import ValidationError

    with pytest.raises(ValidationError):
        Masker(_schema(), salt="")
    Masker(make_schema({"name": "a", "x-mask": {"method": "drop"}}), salt="")  # nothing to key
