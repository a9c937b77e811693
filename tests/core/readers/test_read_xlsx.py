"""XLSX and XLS: sheets, merged headers, formulas, display text, and bombs."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest

from opendata.core.errors import InputError, LimitError
from opendata.core.readers import ReadLimits, open_table
from tests.core.readers.helpers import read_table, small_limits

SAMPLE_XLS = Path(__file__).parents[2] / "data" / "readers" / "sample.xls"


def make_xlsx(path, rows, *, title="Sheet", more_sheets=()):
    book = openpyxl.Workbook()
    book.active.title = title
    for row in rows:
        book.active.append(row)
    for name in more_sheets:
        book.create_sheet(name).append([name])
    book.save(path)
    return path


def rewrite_zip(source, target, replace=None, add=None):
    """Copy a zip, replacing member texts (by name) and adding members."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            data = old.read(info.filename)
            if replace and info.filename in replace:
                data = replace[info.filename](data)
            new.writestr(info.filename, data)
        for name, data in (add or {}).items():
            new.writestr(name, data)
    return target


def test_values_read_as_a_user_sees_them(tmp_path):
    rows = [
        ["id", "amount", "ratio", "day", "stamp", "flag", "name"],
        [1, 2.0, 0.1 + 0.2, dt.date(2023, 6, 18), dt.datetime(2023, 6, 18, 9, 30), True, "张三"],
        [2, 1234567.5, 1e-7, None, None, False, "110105194912310026"],
    ]
    table = read_table(make_xlsx(tmp_path / "v.xlsx", rows))
    assert table.labels == rows[0]
    assert table.cells == [
        ["1", "2", "0.3", "2023-06-18", "2023-06-18T09:30:00", "TRUE", "张三"],
        ["2", "1234567.5", "0.0000001", "", "", "FALSE", "110105194912310026"],
    ]
    assert table.numbers == [2, 3]
    assert (table.format, table.encoding) == ("xlsx", None)


def test_rows_are_numbered_by_sheet_row_and_padded_like_openpyxl(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["a", "b"])
    sheet.append([1, 2, 3])
    sheet["A5"] = 5
    book.save(tmp_path / "gaps.xlsx")
    table = read_table(tmp_path / "gaps.xlsx", limits=small_limits())
    assert table.labels == ["a", "b", ""]  # the sheet is three columns wide
    assert table.numbers == [2, 3, 4, 5]
    assert table.cells == [["1", "2", "3"], ["", "", ""], ["", "", ""], ["5", "", ""]]
    assert table.batches == 2


def test_merged_header_cells_are_filled_from_the_top_left(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["地区", "金额", None, "日期"])
    sheet.merge_cells("B1:C1")
    sheet.append(["北京", 1, 2, "2023-01-01"])
    book.save(tmp_path / "merged.xlsx")
    table = read_table(tmp_path / "merged.xlsx")
    assert table.labels == ["地区", "金额", "金额", "日期"]
    assert any("B1:C1" in w for w in table.warnings)


def test_formula_without_cached_value_is_named_with_its_cell(tmp_path):
    rows = [["a", "b"], [1, "=A2*2"], [3, "=A3*2"]]
    table = read_table(make_xlsx(tmp_path / "f.xlsx", rows))
    assert table.cells == [["1", ""], ["3", ""]]
    [warning] = [w for w in table.warnings if "formula" in w]
    assert "B2, B3" in warning


def test_sheet_by_name_or_position_and_the_list_of_sheets(tmp_path):
    path = make_xlsx(tmp_path / "s.xlsx", [["first"]], title="一", more_sheets=["二", "三"])
    with open_table(path) as reader:
        assert reader.sheet_names == ["一", "二", "三"]
        assert reader.labels == ["first"]
    assert read_table(path, sheet="三").labels == ["三"]
    assert read_table(path, sheet=2).labels == ["二"]
    with pytest.raises(InputError, match="no sheet '四'"):
        open_table(path, sheet="四")


def test_empty_sheet_has_no_labels(tmp_path):
    openpyxl.Workbook().save(tmp_path / "empty.xlsx")
    table = read_table(tmp_path / "empty.xlsx")
    assert (table.labels, table.rows) == ([], [])


def test_zip_bomb_is_refused_before_unpacking(tmp_path):
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"], [1]])
    bomb = rewrite_zip(valid, tmp_path / "bomb.xlsx", add={"xl/media/pad.bin": b"\0" * 30_000_000})
    with pytest.raises(InputError, match="zip bomb"):
        open_table(bomb)


def test_total_unpacked_size_is_limited(tmp_path):
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"], [1]])
    with pytest.raises(LimitError, match=r"ok.xlsx: the workbook unpacks to [\d,]+ bytes; the limit is 1,000"):
        open_table(valid, limits=ReadLimits(max_xlsx_uncompressed_bytes=1000))


def test_entity_expansion_bomb_is_refused(tmp_path):
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"], ["b"]])
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>\n'
    )

    def poison(data: bytes) -> bytes:
        body = data.split(b"?>", 1)[1] if data.startswith(b"<?xml") else data
        return laughs + body.replace(b"<t>a</t>", b"<t>&lol3;</t>")

    sheet = "xl/worksheets/sheet1.xml"
    bomb = rewrite_zip(valid, tmp_path / "lol.xlsx", replace={sheet: poison})
    with pytest.raises(InputError, match="entity"):
        open_table(bomb)


def test_declared_dimension_beyond_the_limits_is_ignored_and_rows_are_capped(tmp_path):
    rows = [["a"]] + [[i] for i in range(10)]
    path = make_xlsx(tmp_path / "big.xlsx", rows)
    table = read_table(path, limits=small_limits(max_xlsx_rows=5))
    assert table.numbers == [2, 3, 4, 5]
    assert table.errors[0].type == "source-error"
    assert "more than 5 rows" in table.errors[0].note
    assert any("beyond the limits" in w for w in table.warnings)


def test_damaged_xlsx_is_an_input_error(tmp_path):
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"]])
    broken = rewrite_zip(
        valid, tmp_path / "broken.xlsx", replace={"xl/workbook.xml": lambda d: b"<x"}
    )
    with pytest.raises(InputError):
        open_table(broken)


def test_xls_sheet_with_merged_header_dates_and_numbers():
    table = read_table(SAMPLE_XLS)
    assert table.format == "xls"
    assert table.labels == ["地区", "金额", "金额", "日期"]
    assert table.cells == [["北京", "1", "2.5", "2023-06-18"], ["上海", "42", "", "TRUE"]]
    assert table.numbers == [2, 3]
    with open_table(SAMPLE_XLS) as reader:
        assert reader.sheet_names == ["数据", "second"]
    assert read_table(SAMPLE_XLS, sheet="second").labels == ["z"]


def test_openpyxl_parses_with_defusedxml_as_a_second_line_of_defence():
    assert openpyxl.DEFUSEDXML is True
