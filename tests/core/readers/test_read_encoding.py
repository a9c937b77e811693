"""Decoding: BOMs, UTF-16 without BOM, strict UTF-8 before GB18030, errors with byte offsets."""

from __future__ import annotations

import random

import pytest

from opendata.core.readers.encoding import detect_encoding, normalize_encoding
from tests.core.readers.helpers import read_table, small_limits

TEXT = "地区,名称,人数\n北京,东城区教育局,12\n上海,浦东新区卫生健康委员会,7\n"
CELLS = [["北京", "东城区教育局", "12"], ["上海", "浦东新区卫生健康委员会", "7"]]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("gbk"), "gb18030"),
        (TEXT.encode("gb18030"), "gb18030"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16-le"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16-be"),
        (TEXT.encode("utf-16-le"), "utf-16-le"),
        (TEXT.encode("utf-16-be"), "utf-16-be"),
    ],
    ids=[
        "utf8",
        "utf8-bom",
        "gbk-no-bom",
        "gb18030",
        "utf16le-bom",
        "utf16be-bom",
        "utf16le-no-bom",
        "utf16be-no-bom",
    ],
)
def test_each_encoding_is_detected_and_decoded(tmp_path, data, encoding):
    path = tmp_path / "data.csv"
    path.write_bytes(data)
    table = read_table(path)
    assert table.encoding == encoding
    assert table.labels == ["地区", "名称", "人数"]
    assert table.cells == CELLS
    assert table.numbers == [2, 3]
    assert table.errors == []


def test_gbk_csv_without_bom_is_decoded_in_streaming_batches(tmp_path):
    rnd = random.Random(42)
    rows = [f"{i},单位{rnd.randint(1, 999)},{rnd.random():.4f}" for i in range(2000)]
    path = tmp_path / "gbk.csv"
    path.write_bytes(("编号,名称,数值\n" + "\n".join(rows) + "\n").encode("gbk"))
    table = read_table(path, limits=small_limits(csv_block_bytes=4096))
    assert table.encoding == "gb18030"
    assert table.batches > 5
    assert table.numbers == list(range(2, 2002))
    assert [",".join(c) for c in table.cells] == rows


def test_utf8_is_tried_before_gb18030():
    # These UTF-8 bytes also decode as GB18030, into garbage: UTF-8 must win.
    assert detect_encoding("中文,测试\n".encode(), at_eof=True).encoding == "utf-8"


def test_invalid_utf8_in_the_head_is_an_encoding_error_with_offset(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_bytes(b"a,b\n1,\xff\xfe\x80\n")
    table = read_table(path)
    assert table.labels == []
    [error] = table.errors
    assert error.type == "encoding-error"
    assert error.byte_offset == 6
    assert "byte offset 6" in error.note


def test_utf8_file_with_gbk_bytes_later_reports_the_offset(tmp_path):
    head = "a,b\n" + "".join(f"{i},值{i}\n" for i in range(120_000))
    bad_at = len(head.encode())
    path = tmp_path / "mixed.csv"
    path.write_bytes(head.encode() + "9,北京\n".encode("gbk") + b"10,x\n")
    assert bad_at > 1024 * 1024  # beyond the head that decides the encoding
    table = read_table(path)
    assert table.encoding == "utf-8"
    [error] = table.errors
    assert error.type == "encoding-error"
    assert error.byte_offset == bad_at + 2
    assert len(table.rows) <= 120_000


def test_gb18030_file_with_undecodable_bytes_later_stops_at_the_last_full_line(tmp_path):
    head = "a,b\n" + "".join(f"{i},北{i}\n" for i in range(100_000))
    data = head.encode("gb18030")
    path = tmp_path / "mixed.csv"
    path.write_bytes(data + b"7,\xff\xff\n8,x\n")
    table = read_table(path)
    assert table.encoding == "gb18030"
    [error] = table.errors
    assert (error.type, error.byte_offset) == ("encoding-error", len(data) + 2)
    assert table.numbers == list(range(2, 100_002))


def test_nul_bytes_are_reported_and_kept(tmp_path):
    path = tmp_path / "nul.csv"
    path.write_bytes(b"a,b\n1,x\x00y\n2,\x00\n")
    table = read_table(path)
    assert table.cells == [["1", "x\x00y"], ["2", "\x00"]]
    assert any("2 NUL byte(s), the first at byte offset 7" in w for w in table.warnings)


def test_explicit_encoding_overrides_detection(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes("a,b\n1,名\n".encode("gbk"))
    assert read_table(path, encoding="GBK").encoding == "gb18030"
    assert normalize_encoding("gb2312") == "gb18030"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "gb18030"])
def test_empty_lines_in_transcoded_files(tmp_path, encoding):
    text = '名称,说明\n甲,"一\n\n二"\n\n乙,丙\n,\n'
    path = tmp_path / "blank.csv"
    path.write_bytes(text.encode(encoding))
    table = read_table(path, limits=small_limits())
    assert table.cells == [["甲", "一\n\n二"], [None, None], ["乙", "丙"], ["", ""]]
    assert table.numbers == [2, 3, 4, 5]


def test_full_width_comma_with_empty_lines(tmp_path):
    text = '名称，说明\n甲，"一，\n\n二"\n\n乙，丙\n\n\n'
    path = tmp_path / "fw.csv"
    path.write_bytes(text.encode("gb18030"))
    table = read_table(path)
    assert table.cells == [
        ["甲", "一，\n\n二"],
        [None, None],
        ["乙", "丙"],
        [None, None],
        [None, None],
    ]
