"""A draft Table Schema from a sample: inferred types, values that need cleaning, identifiers as text."""

from __future__ import annotations

from opendata.core.schema_draft import draft_schema
from opendata.core.tableschema import load_table_schema


def _fields(path):
    return {f["name"]: f for f in draft_schema(path)["fields"]}


def test_a_gbk_csv_gets_types_cleaning_and_text_identifiers(tmp_path):
    path = tmp_path / "s.csv"
    path.write_bytes(("编号,身份证号,金额,日期,名称,人数\n"
                      "001,11010519491231002X,\"1,234.5\",2023年6月18日,甲,3\n"
                      "002,440524188001010014,１２,2023年6月19日,乙,4\n").encode("gbk"))
    fields = _fields(path)
    assert fields["编号"]["type"] == "string"  # leading zeros: an identifier
    assert fields["身份证号"]["type"] == "string"
    assert fields["金额"] == {"name": "金额", "type": "number", "x-normalize": True}
    assert fields["日期"] == {"name": "日期", "type": "date", "x-normalize": True}
    assert fields["名称"]["type"] == "string" and fields["人数"]["type"] == "integer"
    load_table_schema(draft_schema(path), name="draft")


def test_blank_and_repeated_headers_get_names(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("a,,a\n1,2,3\n", encoding="utf-8")
    assert [f["name"] for f in draft_schema(path)["fields"]] == ["a", "field_2", "field_3"]


def test_a_header_without_rows_drafts_text_fields(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("x,y\n", encoding="utf-8")
    assert draft_schema(path) == {"fields": [{"name": "x", "type": "string"}, {"name": "y", "type": "string"}]}
