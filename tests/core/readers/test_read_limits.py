"""Every reader refuses input beyond the limits before the work they bound, naming the limit."""

from __future__ import annotations

import json
import random
import string
import zipfile
from pathlib import Path

import openpyxl
import pytest

from opendata.core.childprocess import run_in_child
from opendata.core.errors import InputError, LimitError
from opendata.core.readers import ReadLimits, open_table
from opendata.core.readers.base import EXTRA_CELLS_LISTED, rows_to_batch
from opendata.core.readers.jsonl import nesting_exceeds
from tests.core.readers.helpers import read_table, small_limits
from tests.core.readers.test_read_xlsx import SAMPLE_XLS, make_xlsx, rewrite_zip
from tests.hostile_files import xlsx_with_huge_cell


def write(tmp_path: Path, data: str | bytes, name: str = "data.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


# -- columns ----------------------------------------------------------------------------------

def test_a_header_of_100000_columns_is_refused_when_the_file_is_opened(tmp_path):
    path = write(tmp_path, ",".join(f"c{i}" for i in range(100_000)) + "\n")
    with pytest.raises(LimitError) as caught:
        open_table(path)
    assert caught.value.message == "the file's row 1 has 100,000 columns; the limit is 2,000"
    assert caught.value.code == "limit-exceeded"
    assert caught.value.problems[0].path == "limits/columns" and caught.value.problems[0].line == 1


def test_a_data_row_with_more_cells_than_the_limit_is_refused(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n" + ",".join("x" * 20) + "\n3,4\n")
    with pytest.raises(LimitError, match=r"^the file's row 3 has 20 cells; the limit is 10"):
        read_table(path, limits=small_limits(max_columns=10))


def test_rows_of_a_file_without_header_are_bounded_too(tmp_path):
    path = write(tmp_path, "\n" + ",".join("x" * 20) + "\n")
    with pytest.raises(LimitError, match="row 2 has 20 cells; the limit is 10"):
        read_table(path, limits=small_limits(max_columns=10))


def test_json_with_more_distinct_keys_than_the_limit_is_refused(tmp_path):
    records = [{f"k{i}": i} for i in range(12)]
    path = write(tmp_path, json.dumps(records), "data.json")
    with pytest.raises(LimitError, match="more than 10 distinct keys .columns. by row 12; the limit is 10"):
        open_table(path, limits=small_limits(max_columns=10))


def test_json_array_rows_are_bounded(tmp_path):
    path = write(tmp_path, json.dumps([["a", "b"], [1, 2], list(range(11))]), "data.json")
    with pytest.raises(LimitError, match="row 3 has 11 cells; the limit is 10"):
        read_table(path, limits=small_limits(max_columns=10))


def test_an_xlsx_cell_beyond_the_column_limit_is_refused(tmp_path):
    path = make_xlsx(tmp_path / "wide.xlsx", [["a", "b"], [1, 2], [1] * 12])
    with pytest.raises(LimitError, match="row 3 has a cell in column 11; the limit is 10 columns"):
        read_table(path, limits=small_limits(max_columns=10))


def test_an_xls_sheet_wider_than_the_limit_is_refused():
    with pytest.raises(LimitError, match="row 1 has 4 columns; the limit is 3"):
        open_table(SAMPLE_XLS, limits=ReadLimits(max_columns=3))


# -- cells and rows -----------------------------------------------------------------------------

def test_a_cell_longer_than_the_limit_is_refused_with_its_row_and_column(tmp_path):
    path = write(tmp_path, "a,b\n1,x\n2," + "长" * 50 + "\n")
    with pytest.raises(LimitError) as caught:
        read_table(path, limits=small_limits(max_cell_bytes=40))
    assert caught.value.message == "the file's row 3, column 2 holds a cell of 150 bytes; the limit is 40"


def test_a_header_longer_than_the_row_limit_is_refused_without_reading_the_file(tmp_path):
    path = write(tmp_path, "x" * 3_000_000 + "\n1\n")
    with pytest.raises(LimitError, match=r"^the file's row 1 is longer than the limit of 1,048,576 bytes"):
        open_table(path, limits=ReadLimits(max_row_bytes=1024 * 1024))


def test_a_data_row_longer_than_the_row_limit_is_refused(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3," + "y" * 20_000 + "\n")
    with pytest.raises(LimitError, match=r"^a row after row 2 is longer than the limit of 4,096 bytes"):
        read_table(path, limits=small_limits(max_row_bytes=4096))


def test_rows_within_the_row_limit_are_read_with_growing_blocks(tmp_path):
    path = write(tmp_path, "a,b\n1,2\n3," + "y" * 3_000 + "\n")
    table = read_table(path, limits=small_limits(max_row_bytes=4096))
    assert table.cells == [["1", "2"], ["3", "y" * 3_000]]


def test_a_long_line_of_a_file_without_header_is_refused_before_it_is_read_whole(tmp_path):
    path = write(tmp_path, "\na,b\n" + "z" * 10_000 + "\n")
    with pytest.raises(LimitError, match="the file's line 3 is longer than the limit of 4,096 bytes"):
        read_table(path, limits=small_limits(max_row_bytes=4096))


def test_json_records_longer_than_the_row_limit_are_refused(tmp_path):
    big = [{"a": 1}, {"a": "x" * 5_000}]
    with pytest.raises(LimitError, match="row 3 is longer than the limit of 4,096 bytes"):
        read_table(write(tmp_path, json.dumps(big), "data.json"), limits=small_limits(max_row_bytes=4096))
    lines = "\n".join(json.dumps(r) for r in big)
    with pytest.raises(LimitError, match="row 3 is longer than the limit of 4,096 bytes"):
        read_table(write(tmp_path, lines, "data.ndjson"), limits=small_limits(max_row_bytes=4096))


def test_a_json_cell_longer_than_the_limit_is_refused(tmp_path):
    path = write(tmp_path, json.dumps([{"a": 1}, {"a": "x" * 100}]), "data.json")
    with pytest.raises(LimitError, match="row 3, column 1 holds a cell of 100 bytes; the limit is 50"):
        read_table(path, limits=small_limits(max_cell_bytes=50))


# -- JSON nesting -------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["data.json", "data.ndjson"])
def test_json_nested_beyond_the_depth_limit_is_refused_not_a_recursion_error(tmp_path, name):
    deep = "[" * 100_000 + "]" * 100_000
    first = '{"id": 1, "v": 2}'
    record = '{"id": 2, "v": ' + deep + "}"
    text = f"[{first}, {record}]" if name == "data.json" else f"{first}\n{record}\n"
    with pytest.raises(LimitError, match=r"^the file's row 3 nests arrays and objects deeper than the limit of 64"):
        read_table(write(tmp_path, text, name))


def test_nesting_within_the_limit_is_read(tmp_path):
    value = "[" * 5 + "1" + "]" * 5
    path = write(tmp_path, '[{"id": 1, "v": ' + value + "}]", "data.json")
    assert read_table(path, limits=small_limits(max_json_depth=6)).cells == [["1", value]]
    with pytest.raises(LimitError, match="deeper than the limit of 5 levels"):
        read_table(path, limits=small_limits(max_json_depth=5))


def test_brackets_inside_strings_do_not_count_as_nesting():
    assert not nesting_exceeds('{"a": "[[[[[[[[[[[[", "b": [1]}', 3)
    assert nesting_exceeds('{"a": [[[1]]]}', 3)
    assert not nesting_exceeds('{"a": "\\"[[[[", "b": [[1]]}', 3)


# -- XLSX and XLS -------------------------------------------------------------------------------

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"


def _shared_string_xlsx(tmp_path: Path, text: str) -> Path:
    """A minimal workbook as Excel writes it: header a, b; row 2 is 1 and a shared string."""
    path = tmp_path / "cell.xlsx"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    members = {
        "[Content_Types].xml": f'<Types xmlns="{_PKG}/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{ct}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/></Types>',
        "_rels/.rels": f'<Relationships xmlns="{_PKG}/relationships"><Relationship Id="rId1" '
        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
        '<sheet name="Sheet" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{_PKG}/relationships">'
        f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{_MAIN}"><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row></sheetData></worksheet>',
        "xl/sharedStrings.xml": f'<sst xmlns="{_MAIN}" count="3" uniqueCount="3"><si><t>a</t></si>'
        f"<si><t>b</t></si><si><t>{text}</t></si></sst>",
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, body in members.items():
            archive.writestr(name, body)
    return path


def _random_text(n: int) -> str:
    rnd = random.Random(42)  # random letters: compressed about 1.6 to 1, no zip-bomb ratio
    return "".join(rnd.choices(string.ascii_letters, k=n))


def test_a_minimal_workbook_with_shared_strings_is_read(tmp_path):
    assert read_table(_shared_string_xlsx(tmp_path, "short")).cells == [["1", "short"]]


def test_a_huge_shared_string_is_refused_while_streaming_before_openpyxl_loads_it(tmp_path):
    path = _shared_string_xlsx(tmp_path, _random_text(2_000_000))
    with pytest.raises(LimitError, match=r"cell.xlsx: xl/sharedStrings.xml holds a cell of more than "
                                         r"60,064 bytes; the limit is 10,000"):
        open_table(path, limits=ReadLimits(max_cell_bytes=10_000))


def test_a_shared_string_just_over_the_cell_limit_is_refused_with_its_place(tmp_path):
    path = _shared_string_xlsx(tmp_path, _random_text(10_001))
    with pytest.raises(LimitError, match="row 2, column 2 holds a cell of 10,001 bytes; the limit is 10,000"):
        read_table(path, limits=small_limits(max_cell_bytes=10_000))


def test_a_huge_inline_string_in_the_sheet_is_refused_while_streaming(tmp_path):
    path = make_xlsx(tmp_path / "ok.xlsx", [["a"], [1]])
    sheet = "xl/worksheets/sheet1.xml"
    inline = b'<c r="A3" t="inlineStr"><is><t>' + _random_text(2_000_000).encode() + b"</t></is></c>"
    bomb = rewrite_zip(path, tmp_path / "inline.xlsx", replace={
        sheet: lambda d: d.replace(b"</sheetData>", b'<row r="3">' + inline + b"</row></sheetData>")})
    with pytest.raises(LimitError, match="xl/worksheets/sheet1.xml holds a cell of more than 60,064 bytes"):
        read_table(bomb, limits=small_limits(max_cell_bytes=10_000))


def test_cdata_sections_are_refused(tmp_path):
    path = _shared_string_xlsx(tmp_path, "<![CDATA[hidden]]>")
    with pytest.raises(InputError, match="holds a CDATA section"):
        open_table(path)


def test_an_xls_file_beyond_the_workbook_limit_is_refused_before_xlrd_reads_it():
    with pytest.raises(LimitError, match=r"sample.xls: the workbook is [\d,]+ bytes; the limit is 1,000"):
        open_table(SAMPLE_XLS, limits=ReadLimits(max_xlsx_uncompressed_bytes=1000))


def test_a_damaged_workbook_message_names_no_folder_of_this_machine(tmp_path):
    folder = tmp_path / "srv" / "data" / "uploads"
    folder.mkdir(parents=True)
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"]])
    broken = rewrite_zip(valid, folder / "x.xlsx", replace={"xl/workbook.xml": lambda d: b"<x"})
    with pytest.raises(InputError) as caught:
        open_table(broken)
    assert str(tmp_path) not in str(caught.value) and "uploads" not in str(caught.value)


def test_wide_workbooks_are_read_in_batches_of_bounded_cells(tmp_path):
    book = openpyxl.Workbook()
    for r in range(50):
        book.active.append([f"{r}-{c}" for c in range(40)])
    book.save(tmp_path / "wide.xlsx")
    with open_table(tmp_path / "wide.xlsx", limits=ReadLimits(batch_cells=400)) as reader:
        sizes = [b.num_rows for b in reader.iter_batches()]
    assert sizes == [10, 10, 10, 10, 9]


# -- extra cells --------------------------------------------------------------------------------

def test_extra_cells_beyond_the_listed_number_are_counted_per_row():
    rows = [["a", "b"] + ["x"] * 6_000 for _ in range(3)]
    batch = rows_to_batch([2, 3, 4], rows, 2)
    assert len(batch.extra_cells) == EXTRA_CELLS_LISTED
    assert sum(n for _, n in batch.extra_unlisted) == 3 * 6_000 - EXTRA_CELLS_LISTED
    assert batch.extra_unlisted == [(3, 2_000), (4, 6_000)]


@pytest.mark.parametrize("sheet_xml, expected", [
    (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
     b'<c r="A1" t="s"><v>5</v></c></row></sheetData></worksheet>', "the sheet 'Sheet' cannot be read"),
    (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
     b'<c r="!!"><v>1</v></c></row></sheetData></worksheet>', "the sheet 'Sheet' cannot be read"),
    (None, "the workbook has no sheet that can be read"),
])
def test_a_damaged_sheet_is_an_input_error_naming_the_file_only(tmp_path, sheet_xml, expected):
    folder = tmp_path / "srv" / "uploads"
    folder.mkdir(parents=True)
    valid = make_xlsx(tmp_path / "ok.xlsx", [["a"], [1]])
    sheet = "xl/worksheets/sheet1.xml"
    with zipfile.ZipFile(valid) as old, zipfile.ZipFile(folder / "up.upload", "w") as new:
        for info in old.infolist():
            if info.filename != sheet:
                new.writestr(info.filename, old.read(info.filename))
            elif sheet_xml is not None:
                new.writestr(sheet, sheet_xml)
    with pytest.raises(InputError) as caught:
        read_table(folder / "up.upload")
    assert caught.value.message.startswith(f"up.upload: {expected}")
    assert str(tmp_path) not in str(caught.value)


def test_a_15_mb_workbook_holding_one_1_5_gb_cell_is_refused_by_its_unpacked_size(tmp_path):
    path = xlsx_with_huge_cell(tmp_path / "huge.xlsx", 1_500_000_000)
    with zipfile.ZipFile(path) as archive:
        packed = sum(info.compress_size for info in archive.infolist())
        unpacked = sum(info.file_size for info in archive.infolist())
    assert path.stat().st_size < 20_000_000 and unpacked / packed < ReadLimits().max_xlsx_compression_ratio
    with pytest.raises(LimitError, match=rf"^huge.xlsx: the workbook unpacks to {unpacked:,} bytes; "
                                         r"the limit is 1,073,741,824\n"):
        open_table(path)


def test_with_the_workbook_limit_raised_the_1_5_gb_cell_is_refused_while_streaming_in_a_300_mb_child(tmp_path):
    # openpyxl would hold the whole string (ArrowMemoryError, 7.8 GB before the limits): the cell
    # limit stops the stream at the first megabytes, so a child of 300 MB is enough
    path = xlsx_with_huge_cell(tmp_path / "huge.xlsx", 1_500_000_000)
    limits = ReadLimits(max_xlsx_uncompressed_bytes=2 * 1024**3)
    with pytest.raises(LimitError, match=r"^huge.xlsx: xl/sharedStrings.xml holds a cell of more than [\d,]+ bytes; "
                                         r"the limit is 1,048,576\n"):
        run_in_child(read_table, path, memory_bytes=300 * 1024**2, limits=limits)
