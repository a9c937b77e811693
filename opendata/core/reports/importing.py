"""Tables 二 and 四 read from a CSV or XLSX file laid out as the template (as the XLSX export draws them).

A table is found by its title row (「二、主动公开政府信息情况」, 「四、政府信息公开行政复议、行政诉讼情况」)
with the title in the first column; below it every label cell must read as the template's (spaces,
quotes and full-width forms aside) and every figure cell must be a figure. A file in another
layout is refused naming the cell that differs and what it should read; nothing is taken from a
file with any problem. Table 三 is never imported: it is counted from the requests.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from opendata.core.errors import InputError, Problem, ValidationError
from opendata.core.readers.base import ReadLimits
from opendata.core.readers.encoding import detect_encoding, python_codec
from opendata.core.readers.sniff import detect_delimiter
from opendata.core.readers.xlsx import check_zip, format_cell_value
from opendata.core.reports import figures, grid
from opendata.core.reports import template as t

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2_000
MAX_COLUMNS = 60
_LIMITS = ReadLimits(max_xlsx_uncompressed_bytes=64 * 1024 * 1024)
_IGNORED = re.compile(r"[\s\"'“”‘’「」]")


@dataclass(frozen=True)
class Sheet:
    """A sheet (or the one table of a CSV) as rows of cell text; ``kind`` says how cells are named."""

    name: str
    rows: list[list[str]]
    kind: str  # "xlsx" or "csv"

    def cell(self, row: int, col: int) -> str:
        if row < len(self.rows) and col < len(self.rows[row]):
            return self.rows[row][col]
        return ""

    def where(self, row: int, col: int) -> str:
        ref = f"{get_column_letter(col + 1)}{row + 1}"
        return f"sheet 「{self.name}」 cell {ref}" if self.kind == "xlsx" else f"line {row + 1}, column " \
            f"{get_column_letter(col + 1)}"


@dataclass(frozen=True)
class ImportedTables:
    """The tables found in a file (None when the file does not hold that table)."""

    two: figures.Table | None
    four: figures.Table | None
    found_three: bool = False


def read_sheets(path: str | Path, filename: str) -> list[Sheet]:
    """The file's sheets as text grids: an XLSX workbook (by its bytes) or a CSV (BOM, UTF-8, GB18030)."""
    path = Path(path)
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise InputError(f"{filename}: {size:,} bytes; an import file is at most {MAX_BYTES:,} bytes")
    with open(path, "rb") as fh:
        head = fh.read(4)
    if head.startswith(b"PK\x03\x04"):
        return _xlsx_sheets(path, filename)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise InputError(f"{filename}: an old Excel (.xls) workbook; save it as .xlsx or CSV")
    return [_csv_sheet(path.read_bytes(), filename)]


def import_tables(sheets: list[Sheet], filename: str) -> ImportedTables:
    """Tables 二 and 四 from the sheets; ValidationError naming every cell that is not as the template."""
    problems: list[Problem] = []
    found: dict[str, figures.Table] = {}
    for name in ("二", "四"):
        places = [(sheet, row) for sheet in sheets for row in _title_rows(sheet, grid.GRIDS[name].title)]
        if len(places) > 1:
            problems.append(Problem("layout-mismatch", f"{filename}: table {name} 「{grid.GRIDS[name].title}」 "
                                    f"appears {len(places)} times; import one of each", file=filename))
        elif places:
            table, table_problems = _read_table(*places[0], grid.GRIDS[name], filename)
            problems += table_problems
            found[name] = table
    three = any(_title_rows(sheet, grid.TABLE_THREE_GRID.title) for sheet in sheets)
    if not found and not problems:
        problems.append(Problem(
            "layout-mismatch", f"{filename}: no row reads 「{grid.TABLE_TWO_GRID.title}」 or "
            f"「{grid.TABLE_FOUR_GRID.title}」 in its first column; lay the file out as the template (the XLSX "
            "form has both tables)", file=filename))
    if problems:
        raise ValidationError(f"{filename} is not in the template's layout or has figures that cannot be taken",
                              problems=problems)
    return ImportedTables(found.get("二"), found.get("四"), three)


def _read_table(sheet: Sheet, title_row: int, g: grid.Grid, filename: str) -> tuple[figures.Table, list[Problem]]:
    top = title_row + 1
    problems: list[Problem] = []
    for cell in g.labels():
        found = sheet.cell(top + cell.row, cell.col)
        if _normal(found) != _normal(cell.text or ""):
            problems.append(Problem(
                "layout-mismatch", f"{filename}: {sheet.where(top + cell.row, cell.col)} should read 「{cell.text}」 "
                f"(table {g.table} of the template), found 「{found[:60]}」", file=filename,
                line=top + cell.row + 1, path=f"table_{'two' if g.table == '二' else 'four'}/layout"))
    if problems:
        return {}, problems  # the figures of a table in another layout mean nothing
    table: figures.Table = {}
    blank_totals: list[str] = []
    for cell in g.figures():
        row, col = cell.figure
        where = f"{filename}: {sheet.where(top + cell.row, cell.col)} ({t.label(g.table, row, col)})"
        path = f"table_{'two' if g.table == '二' else 'four'}/{row}/{col}"
        raw = sheet.cell(top + cell.row, cell.col)
        parse = figures.parse_amount if cell.figure in t.AMOUNT_CELLS else figures.parse_count
        value, problem = parse(raw, where, path)
        if problem is not None:
            problems.append(Problem(problem.code, problem.message, file=filename, line=top + cell.row + 1,
                                    path=path))
        table.setdefault(row, {})[col] = value
        if g.table == "四" and col == t.TOTAL and not raw.strip():
            blank_totals.append(row)
    for row in blank_totals:  # an empty 总计 is the sum of its block, as the API fills it in
        if not problems:
            table[row][t.TOTAL] = sum(table[row][c] for c in t.FOUR_PARTS)
    return table, problems


def _title_rows(sheet: Sheet, title: str) -> list[int]:
    wanted = _normal(title)
    return [i for i, row in enumerate(sheet.rows) if row and _normal(row[0]) == wanted]


def _normal(text: str) -> str:
    return _IGNORED.sub("", unicodedata.normalize("NFKC", text or ""))


def _xlsx_sheets(path: Path, filename: str) -> list[Sheet]:
    check_zip(str(path), _LIMITS)
    # a file object: openpyxl judges a path by its extension, and a spooled upload has none
    with open(path, "rb") as fh:
        try:
            book = load_workbook(fh, read_only=True, data_only=True)
        except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
            raise InputError(f"{filename}: not a readable XLSX workbook ({exc})") from None
        try:
            sheets = []
            for ws in book.worksheets:
                rows = []
                for values in ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLUMNS, values_only=True):
                    rows.append([format_cell_value(v).strip() for v in values])
                sheets.append(Sheet(ws.title, rows, "xlsx"))
            return sheets
        finally:
            book.close()


def _csv_sheet(data: bytes, filename: str) -> Sheet:
    detected = detect_encoding(data, at_eof=True)
    if detected.encoding is None:
        raise InputError(f"{filename}: {detected.error.note if detected.error else 'unknown text encoding'}")
    text = data[detected.bom_length:].decode(python_codec(detected.encoding))
    if "\x00" in text:
        raise InputError(f"{filename}: not a text file (it holds NUL characters)")
    rows = []
    for i, row in enumerate(csv.reader(io.StringIO(text), delimiter=detect_delimiter(text))):
        if i >= MAX_ROWS:
            break
        rows.append([cell.strip() for cell in row[:MAX_COLUMNS]])
    return Sheet(filename, rows, "csv")
