"""The report as a Word document (python-docx), laid out as governments publish it.

The title, the statistics period, the six sections in order: the staff texts of 一, 五 and 六 (with
the platform's figures after the text of 一), and tables 二, 三 and 四 drawn from the same cell
layout as the XLSX, merged cells included. A footer paragraph gives the version and the format.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from opendata.core.reports import document, grid
from opendata.core.reports import template as t

EAST_ASIAN_FONT = "宋体"


def report_docx(doc: dict[str, Any]) -> bytes:
    """The DOCX bytes of a report document."""
    word = Document()
    _fonts(word)
    heading = word.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(doc["title"])
    run.bold, run.font.size = True, Pt(18)
    word.add_paragraph(f"本报告统计期限为{doc['year']}年1月1日至{doc['year']}年12月31日。"
                       f"本报告按照《中华人民共和国政府信息公开工作年度报告格式》（{t.TEMPLATE}）编制。")
    two, three, four = document.tables_of(doc)
    tables = {"proactive": ("二", two), "requests": ("三", three), "review-litigation": ("四", four)}
    for section in t.SECTIONS:
        word.add_heading(section.zh, level=1)
        if section.text:
            text = doc["sections"].get(section.key, "")
            for paragraph in (text.split("\n") if text else ["（无）"]):
                if paragraph.strip():
                    word.add_paragraph(paragraph.strip())
            summary = doc.get("platform", {}).get("summary") if section.key == "overview" else None
            if summary:
                word.add_paragraph(summary)
        else:
            name, values = tables[section.key]
            _table(word, grid.GRIDS[name], values)
    for note in doc.get("notes", []):
        word.add_paragraph(f"注：{note}")
    footer = word.add_paragraph()
    footer.add_run(f"版本 {doc.get('version', '草稿')}" + (f"，发布于 {doc['published_at']}" if doc.get("published_at")
                                                         else "") + f"；{t.FORMAT}").font.size = Pt(9)
    when = doc.get("published_at")
    stamp = datetime.fromisoformat(when) if when else datetime.now(UTC)
    props = word.core_properties
    props.title, props.author = doc["title"], doc["organization"]["name"]
    props.created = props.modified = stamp.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    word.save(out)
    return out.getvalue()


def figure_text(value: Any) -> str:
    """A figure as the document prints it: whole numbers plainly, amounts with their decimals."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(repr(value)), "f")
    return str(value)


def _table(word, g: grid.Grid, values: dict[str, dict[str, Any]]) -> None:
    table = word.add_table(rows=g.height, cols=g.width)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell in g.cells:
        target = table.cell(cell.row, cell.col)
        if cell.rows > 1 or cell.cols > 1:
            target = target.merge(table.cell(cell.row + cell.rows - 1, cell.col + cell.cols - 1))
        text = cell.text if cell.figure is None else figure_text(values[cell.figure[0]][cell.figure[1]])
        target.text = text
        paragraph = target.paragraphs[0]
        if cell.figure is not None or cell.row < 3 and g.table != "二":
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
        for run in paragraph.runs:
            run.font.size = Pt(9 if g.table != "二" else 10.5)
            if cell.figure is None and (cell.text == t.CONTENT_HEADER or (cell.row < 3 and g.table != "二")):
                run.bold = True


def _fonts(word) -> None:
    """Body text in a CJK font (python-docx sets only the Latin one by itself)."""
    for name in ("Normal", "Heading 1", "Table Grid"):
        style = word.styles[name]
        style.font.name = "Times New Roman"
        fonts = style.element.get_or_add_rPr().get_or_add_rFonts()
        fonts.set(qn("w:eastAsia"), EAST_ASIAN_FONT)
    word.styles["Normal"].font.size = Pt(12)
