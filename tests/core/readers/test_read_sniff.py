"""Format detection by content, disguised files, and files with nothing to read."""

from __future__ import annotations

import json
import zipfile

import openpyxl
import pytest

from opendata.core.errors import InputError
from opendata.core.readers import open_table, sniff_format
from tests.core.readers.helpers import read_table


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def make_xlsx(path, rows):
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    book.save(path)
    return path


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"a,b\n1,2\n", "csv"),
        (b"a\tb\n1\t2\n", "tsv"),
        (b"a;b\n1;2\n", "csv"),
        (b'[{"a": 1}]', "json"),
        (b'  \n[["a"], [1]]', "json"),
        (b'{"a": 1}\n{"a": 2}\n', "ndjson"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "xls"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "html"),
    ],
)
def test_format_comes_from_the_bytes(tmp_path, data, expected):
    assert sniff_format(write(tmp_path, "upload.bin", data)) == expected


def test_xlsx_is_recognised_by_its_workbook_part(tmp_path):
    path = make_xlsx(tmp_path / "data.bin", [["a"], [1]])
    assert sniff_format(path) == "xlsx"


def test_xlsx_that_is_really_csv_is_read_as_csv_and_named(tmp_path):
    path = write(tmp_path, "report.xlsx", b"a,b\n1,2\n")
    table = read_table(path)
    assert table.format == "csv"
    assert table.labels == ["a", "b"]
    assert table.cells == [["1", "2"]]
    assert any("file named .xlsx is really CSV" in w for w in table.warnings)


def test_xls_that_is_really_tsv_is_read_as_tsv(tmp_path):
    path = write(tmp_path, "export.xls", "地区\t人数\n北京\t3\n".encode("gb18030"))
    table = read_table(path)
    assert (table.format, table.encoding) == ("tsv", "gb18030")
    assert table.cells == [["北京", "3"]]
    assert any("file named .xls is really TSV" in w for w in table.warnings)


def test_csv_that_is_really_xlsx_is_read_as_xlsx(tmp_path):
    path = make_xlsx(tmp_path / "data.csv", [["a", "b"], [1, 2]])
    table = read_table(path)
    assert table.format == "xlsx"
    assert table.cells == [["1", "2"]]
    assert any("file named .csv is really XLSX" in w for w in table.warnings)


def test_json_named_csv_is_read_as_json(tmp_path):
    path = write(tmp_path, "x.csv", json.dumps([{"a": 1}]).encode())
    table = read_table(path)
    assert table.format == "json"
    assert any("really JSON" in w for w in table.warnings)


def test_html_saved_as_xls_is_refused_by_name(tmp_path):
    path = write(tmp_path, "list.xls", b"<html><table><tr><td>a</td></tr></table></html>")
    with pytest.raises(InputError, match="HTML page"):
        open_table(path)


def test_empty_file_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="empty"):
        open_table(write(tmp_path, "empty.csv", b""))


@pytest.mark.parametrize("bom", [b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff"])
def test_bom_only_file_is_an_input_error(tmp_path, bom):
    with pytest.raises(InputError, match="only a byte order mark"):
        open_table(write(tmp_path, "bom.csv", bom))


def test_blank_lines_only_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="blank lines"):
        open_table(write(tmp_path, "blank.csv", b"\r\n\n  \n"))


@pytest.mark.parametrize(
    ("data", "what"),
    [(b"%PDF-1.7\n...", "PDF"), (b"\x89PNG\r\n\x1a\n....", "PNG"), (b"\x1f\x8b\x08\x00", "gzip")],
)
def test_other_binary_files_are_named(tmp_path, data, what):
    with pytest.raises(InputError, match=what):
        open_table(write(tmp_path, "data.csv", data))


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = tmp_path / "data.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(InputError, match="not an Excel workbook"):
        open_table(path)


def test_missing_file_and_unknown_format_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        open_table(tmp_path / "nope.csv")
    with pytest.raises(InputError, match="unknown format"):
        open_table(write(tmp_path, "a.csv", b"a\n1\n"), format="parquet")


def test_requested_tsv_format_overrides_the_delimiter_guess(tmp_path):
    path = write(tmp_path, "a.txt", b"a,b\tc\n1,2\t3\n")
    assert read_table(path, format="tsv").labels == ["a,b", "c"]


def test_a_file_of_nul_bytes_is_refused_as_binary(tmp_path):
    path = tmp_path / "zeros.csv"
    path.write_bytes(b"\x00" * 100_000)
    with pytest.raises(InputError, match="binary data"):
        open_table(path)
