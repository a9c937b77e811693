"""JSON arrays and NDJSON: key union, numbers kept as written, row numbers, bad records."""

from __future__ import annotations

import json

import pytest

from tests.core.readers.helpers import read_table, small_limits


def write(tmp_path, text: str, name: str = "data.json", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_array_of_objects_labels_are_the_union_of_keys_in_first_seen_order(tmp_path):
    text = '[{"b": 1, "a": "x"}, {"a": "y", "c": null}, {"d": true, "b": 2.50}]'
    table = read_table(write(tmp_path, text), limits=small_limits(batch_rows=2))
    assert table.format == "json"
    assert table.labels == ["b", "a", "c", "d"]
    assert table.numbers == [2, 3, 4]
    assert table.cells == [["1", "x", "", ""], ["", "y", "", ""], ["2.50", "", "", "true"]]
    assert table.batches == 2


def test_numbers_keep_their_text(tmp_path):
    text = (
        '[{"id": 110105194912310026, "big": 123456789012345678901234567890,'
        ' "inf": 1e309, "nan": NaN, "neg": -Infinity, "small": 0.1000000000000000055511}]'
    )
    table = read_table(write(tmp_path, text))
    assert table.cells == [
        [
            "110105194912310026",
            "123456789012345678901234567890",
            "1e309",
            "NaN",
            "-Infinity",
            "0.1000000000000000055511",
        ]
    ]


def test_nested_values_are_json_text_with_exact_numbers(tmp_path):
    table = read_table(write(tmp_path, '[{"a": [1, 12345678901234567890], "b": {"k": "值"}}]'))
    assert table.cells == [["[1, 12345678901234567890]", '{"k": "值"}']]


def test_array_of_arrays_uses_the_first_as_header(tmp_path):
    table = read_table(write(tmp_path, '[["a", "b"], [1, 2], [3], [4, 5, 6]]'))
    assert table.labels == ["a", "b"]
    assert table.numbers == [2, 3, 4]
    assert table.cells == [["1", "2"], ["3", None], ["4", "5", "6"]]


def test_large_array_is_streamed_across_chunk_boundaries(tmp_path):
    records = [
        {"id": 10**17 + i, "name": f"单位{i}", "text": "长" * (i % 50)} for i in range(30_000)
    ]
    table = read_table(write(tmp_path, json.dumps(records, ensure_ascii=False)))
    assert len(table.rows) == 30_000
    assert table.rows[-1] == (30_001, [str(10**17 + 29_999), "单位29999", "长" * 49])


def test_ndjson_skips_blank_lines_and_reports_bad_lines(tmp_path):
    text = '{"a": 1, "b": "x"}\n\n{"a": 2, "c": 3}\n{bad\n{"a": 4}\n'
    table = read_table(write(tmp_path, text, "data.ndjson"))
    assert table.format == "ndjson"
    assert table.labels == ["a", "b", "c"]
    assert table.numbers == [2, 3, 5]
    assert table.cells == [["1", "x", ""], ["2", "", "3"], ["4", "", ""]]
    [error] = table.errors
    assert (error.type, error.row_number) == ("format-error", 4)
    assert "line 4" in error.note


def test_gbk_ndjson_is_decoded(tmp_path):
    table = read_table(write(tmp_path, '{"名称": "北京"}\n', "d.jsonl", encoding="gbk"))
    assert table.labels == ["名称"]
    assert table.cells == [["北京"]]


@pytest.mark.parametrize(
    ("text", "note"),
    [
        ('[{"a": 1}, {"a": ', "not valid JSON"),
        ('[{"a": 1} {"a": 2}]', "expected ','"),
    ],
)
def test_broken_json_array_is_a_format_error(tmp_path, text, note):
    table = read_table(write(tmp_path, text))
    assert table.cells == [["1"]]
    assert table.errors[0].type == "format-error"
    assert note in table.errors[0].note


def test_non_object_records_are_reported(tmp_path):
    table = read_table(write(tmp_path, '[{"a": 1}, 5, {"a": 2}]'))
    assert table.numbers == [2, 4]
    assert table.errors[0].row_number == 3


def test_json_object_at_top_level_is_a_format_error(tmp_path):
    table = read_table(write(tmp_path, '{"data": [\n{"a": 1}]}'))
    assert table.rows == []
    assert table.errors and table.errors[0].type == "format-error"
