"""XLSX and DOCX in the template's layout: they open with openpyxl and python-docx and hold the JSON's figures;
the XLSX form imports back; a file in another layout is refused at the cell that differs."""

from __future__ import annotations

import csv
import io
import random
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook

from opendata.core.errors import InputError, ValidationError
from opendata.core.reports import figures, grid
from opendata.core.reports import template as t
from opendata.core.reports.document import (
    ReportParts,
    build_document,
    canonical_bytes,
    sha256_of,
    tables_of,
)
from opendata.core.reports.docx import figure_text, report_docx
from opendata.core.reports.importing import import_tables, read_sheets
from opendata.core.reports.xlsx import blank_workbook, report_workbook


def _document() -> dict:
    rng = random.Random(42)
    two, _ = figures.parse_two({row: {col: rng.randrange(0, 500) for col in ("issued", "repealed", "in-force",
                                                                               "decisions")
                                      if (row, col) in t.two_cells()} for row, _c in t.two_cells()})
    two["fees"]["amount"] = Decimal("123.4567")
    three = figures.empty_three()
    for row in t.THREE_ROWS:
        for col in t.APPLICANT_COLUMNS:
            three[row][col.key] = rng.randrange(0, 50)
    four, _ = figures.parse_four({b.key: {c: rng.randrange(0, 9) for c in t.FOUR_PARTS} for b in t.FOUR_BLOCKS})
    parts = ReportParts(organization={"slug": "finance", "name": "示例市财政局", "level": "city"}, year=2025,
                        covers=("finance",), sections={"overview": "总体情况第一段。\n第二段。", "problems": "问题",
                                                       "other": "无"},
                        two=two, three=three, four=four, platform={"summary": "平台开放数据集12个。"})
    return build_document(parts, version=1, published_at=datetime(2026, 1, 20, 8, 0, tzinfo=UTC))


def _expected(doc: dict, figure: tuple[str, str], table: str):
    two, three, four = tables_of(doc)
    return {"二": two, "三": three, "四": four}[table][figure[0]][figure[1]]


def test_the_xlsx_opens_with_openpyxl_and_every_figure_equals_the_json():
    doc = _document()
    book = load_workbook(io.BytesIO(report_workbook(doc)))
    assert book.sheetnames == ["年度报告", *(g.title for g in grid.GRIDS.values())]
    checked = 0
    for g in grid.GRIDS.values():
        ws = book[g.title]
        assert ws.cell(1, 1).value == g.title
        for cell in g.cells:
            value = ws.cell(2 + cell.row, 1 + cell.col).value
            if cell.figure is None:
                assert value == cell.text
            else:
                expected = _expected(doc, cell.figure, g.table)
                assert Decimal(repr(value)) == expected if isinstance(value, float) else value == expected
                checked += 1
    assert checked == len(t.two_cells()) + len(t.THREE_ROWS) * len(t.THREE_COLUMNS) + len(t.four_cells())
    merged = {str(r) for r in book["三、收到和处理政府信息公开申请情况"].merged_cells.ranges}
    assert {"A2:C4", "D2:J2", "E3:I3", "A7:A28", "B9:B16"} <= merged
    assert book["年度报告"]["B4"].value == "2025"


def test_the_docx_opens_with_python_docx_and_every_figure_equals_the_json():
    doc = _document()
    word = Document(io.BytesIO(report_docx(doc)))
    text = "\n".join(p.text for p in word.paragraphs)
    for section in t.SECTIONS:
        assert section.zh in text
    assert "总体情况第一段。" in text and "平台开放数据集12个。" in text
    assert len(word.tables) == 3
    for table, g in zip(word.tables, grid.GRIDS.values(), strict=True):
        assert len(table.rows) == g.height and len(table.columns) == g.width
        for cell in g.cells:
            found = table.cell(cell.row, cell.col).text
            if cell.figure is None:
                assert found == cell.text
            else:
                assert found == figure_text(_expected(doc, cell.figure, g.table))
                assert Decimal(found) == _expected(doc, cell.figure, g.table)


def test_the_canonical_json_is_what_the_sha256_is_taken_over():
    import hashlib

    doc = _document()
    assert sha256_of(doc) == hashlib.sha256(canonical_bytes(doc)).hexdigest()
    assert canonical_bytes(doc).decode("utf-8").startswith('{"covers":["finance"]')


def _save(tmp_path, data: bytes, name: str):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_the_report_xlsx_imports_back_to_its_tables_two_and_four(tmp_path):
    doc = _document()
    path = _save(tmp_path, report_workbook(doc), "report.xlsx")
    imported = import_tables(read_sheets(path, "report.xlsx"), "report.xlsx")
    two, _three, four = tables_of(doc)
    assert imported.two == two and imported.four == four and imported.found_three


def test_the_blank_form_filled_in_imports(tmp_path):
    book = load_workbook(io.BytesIO(blank_workbook()))
    ws = book[grid.TABLE_TWO_GRID.title]
    ws["B4"], ws["D4"], ws["B15"] = 5, 77, 0.25  # 规章 本年制发件数, 现行有效件数; 行政事业性收费
    ws4 = book[grid.TABLE_FOUR_GRID.title]
    ws4["A5"], ws4["D5"], ws4["E5"] = 2, 1, 3
    out = io.BytesIO()
    book.save(out)
    imported = import_tables(read_sheets(_save(tmp_path, out.getvalue(), "form.xlsx"), "form.xlsx"), "form.xlsx")
    assert imported.two["regulations"] == {"issued": 5, "repealed": 0, "in-force": 77}
    assert imported.two["fees"]["amount"] == Decimal("0.25")
    assert imported.four["reconsideration"] == {"upheld": 2, "corrected": 0, "other": 0, "pending": 1, "total": 3}


def _csv_of_table_two(values: dict[tuple[int, int], str], encoding="utf-8") -> bytes:
    g = grid.TABLE_TWO_GRID
    rows = [[""] * g.width for _ in range(g.height + 1)]
    rows[0][0] = g.title
    for cell in g.labels():
        rows[1 + cell.row][cell.col] = cell.text
    for (r, c), v in values.items():
        rows[r][c] = v
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode(encoding)


def test_a_gbk_csv_of_table_two_imports(tmp_path):
    data = _csv_of_table_two({(3, 1): "3", (10, 1): "1,204", (14, 1): "12.5"}, encoding="gb18030")
    imported = import_tables(read_sheets(_save(tmp_path, data, "二.csv"), "二.csv"), "二.csv")
    assert imported.two["regulations"]["issued"] == 3 and imported.two["penalties"]["decisions"] == 1204
    assert imported.two["fees"]["amount"] == Decimal("12.5") and imported.four is None


def test_a_csv_with_a_changed_label_is_refused_at_that_cell(tmp_path):
    data = _csv_of_table_two({(3, 0): "规章制度", (3, 1): "3"})
    with pytest.raises(ValidationError) as err:
        import_tables(read_sheets(_save(tmp_path, data, "bad.csv"), "bad.csv"), "bad.csv")
    [problem] = err.value.problems
    assert problem.code == "layout-mismatch" and problem.line == 4
    assert "line 4, column A" in problem.message and "「规章」" in problem.message and "规章制度" in problem.message


@pytest.mark.parametrize(("raw", "code"), [("-2", "negative-figure"), ("1.5", "not-a-whole-number"),
                                           ("若干", "not-a-number")])
def test_a_bad_figure_in_an_import_names_its_spreadsheet_cell(tmp_path, raw, code):
    book = load_workbook(io.BytesIO(blank_workbook()))
    book[grid.TABLE_TWO_GRID.title]["C5"] = raw if raw == "若干" else float(raw)
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ValidationError) as err:
        import_tables(read_sheets(_save(tmp_path, out.getvalue(), "f.xlsx"), "f.xlsx"), "f.xlsx")
    [problem] = err.value.problems
    assert problem.code == code and problem.path == "table_two/normative-documents/repealed"
    assert "cell C5" in problem.message and "行政规范性文件" in problem.message


def test_a_workbook_in_another_layout_is_refused(tmp_path):
    book = Workbook()
    book.active.append(["部门", "件数"])
    book.active.append(["规章", 3])
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(ValidationError) as err:
        import_tables(read_sheets(_save(tmp_path, out.getvalue(), "other.xlsx"), "other.xlsx"), "other.xlsx")
    assert "二、主动公开政府信息情况" in err.value.problems[0].message


def test_an_old_xls_or_an_oversized_file_is_refused_before_reading(tmp_path):
    with pytest.raises(InputError, match="xls"):
        read_sheets(_save(tmp_path, b"\xd0\xcf\x11\xe0" + b"\0" * 100, "old.xls"), "old.xls")
    with pytest.raises(InputError, match="at most"):
        read_sheets(_save(tmp_path, b"a," * (3 * 1024 * 1024), "big.csv"), "big.csv")
