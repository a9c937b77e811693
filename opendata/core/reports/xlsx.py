"""The report as an XLSX workbook in the template's layout (openpyxl).

A cover sheet with the title, the organisation, the period, the version and the staff texts, then
one sheet per table, each with the table's title in its first row and the template's cells below,
merged as the template merges them. The same layout is what :mod:`importing` reads back, so staff
can fill in a downloaded workbook and import it.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter

from opendata.core.reports import document, grid
from opendata.core.reports import template as t

_THIN = Side(style="thin")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER = Alignment(horizontal="center", vertical="center", wrap_text=True)
_LABEL = Alignment(horizontal="left", vertical="center", wrap_text=True)
_FIGURE = Alignment(horizontal="center", vertical="center")
COVER_SHEET = "年度报告"
# column widths (characters) per table; label columns wide, figure columns narrow
_WIDTHS = {"二": (22, 18, 18, 18), "三": (14, 16, 34) + (10,) * 7, "四": (9,) * 15}


def report_workbook(doc: dict[str, Any]) -> bytes:
    """The XLSX bytes of a report document (a draft or a published version)."""
    wb = Workbook()
    cover = wb.active
    cover.title = COVER_SHEET
    _cover(cover, doc)
    two, three, four = document.tables_of(doc)
    for table, values in (("二", two), ("三", three), ("四", four)):
        _table_sheet(wb.create_sheet(grid.GRIDS[table].title), grid.GRIDS[table], values)
    when = doc.get("published_at")
    stamp = datetime.fromisoformat(when) if when else datetime.now(UTC)
    wb.properties.title = doc["title"]
    wb.properties.creator = doc["organization"]["name"]
    wb.properties.created = wb.properties.modified = stamp.astimezone(UTC).replace(tzinfo=None)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def blank_workbook() -> bytes:
    """Tables 二 and 四 in the template's layout with every figure empty: the form staff fill in to import."""
    wb = Workbook()
    first = True
    for table in ("二", "四"):
        g = grid.GRIDS[table]
        ws = wb.active if first else wb.create_sheet()
        ws.title = g.title
        first = False
        _table_sheet(ws, g, None)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cover(ws, doc: dict[str, Any]) -> None:
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 90
    ws["A1"] = doc["title"]
    ws["A1"].font = Font(bold=True, size=14)
    ws.merge_cells("A1:B1")
    facts = [("机构", doc["organization"]["name"]), ("年度", str(doc["year"])),
             ("统计期限", f"{doc['period']['start']} 至 {doc['period']['end']}"),
             ("格式", f"{t.TEMPLATE}"), ("版本", str(doc.get("version", "草稿 draft"))),
             ("发布时间", doc.get("published_at", "")), ("统计范围", f"{len(doc['covers'])} 个机构")]
    row = 3
    for name, value in facts:
        ws.cell(row, 1, name).font = Font(bold=True)
        ws.cell(row, 2, value)
        row += 1
    row += 1
    for key in t.TEXT_SECTIONS:
        ws.cell(row, 1, t.SECTION_BY_KEY[key].zh).font = Font(bold=True)
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        row += 1
        text = doc["sections"].get(key, "")
        if key == "overview" and doc.get("platform", {}).get("summary"):
            text = f"{text}\n\n{doc['platform']['summary']}".strip()
        cell = ws.cell(row, 1, text)
        cell.alignment = _LABEL
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=2)
        ws.row_dimensions[row].height = max(30, 15 * (1 + text.count("\n") + len(text) // 60))
        row += 2
    for note in doc.get("notes", []):
        ws.cell(row, 1, "注").font = Font(bold=True)
        ws.cell(row, 2, note).alignment = _LABEL
        row += 1


def _table_sheet(ws, g: grid.Grid, values: dict[str, dict[str, Any]] | None) -> None:
    ws.cell(1, 1, g.title).font = Font(bold=True, size=12)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=g.width)
    for i, width in enumerate(_WIDTHS[g.table], start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    top = 2  # the grid starts below the title
    for cell in g.cells:
        r, c = top + cell.row, 1 + cell.col
        for rr in range(r, r + cell.rows):  # every cell of a merged range gets the border
            for cc in range(c, c + cell.cols):
                ws.cell(rr, cc).border = _BORDER
        target = ws.cell(r, c)
        if cell.figure is None:
            target.value = cell.text
            target.alignment = _LABEL if cell.col < 3 and g.table != "四" and cell.text not in (
                t.CONTENT_HEADER, t.BALANCE_NOTE) else _HEADER
            if cell.row < 3 and g.table != "二" or cell.text in (t.CONTENT_HEADER,):
                target.font = Font(bold=True)
        else:
            value = None if values is None else values[cell.figure[0]][cell.figure[1]]
            target.value = float(value) if isinstance(value, Decimal) and value != int(value) else (
                int(value) if value is not None else None)
            target.alignment = _FIGURE
            target.number_format = "General" if cell.figure in t.AMOUNT_CELLS else "0"
        if cell.rows > 1 or cell.cols > 1:
            ws.merge_cells(start_row=r, start_column=c, end_row=r + cell.rows - 1, end_column=c + cell.cols - 1)
