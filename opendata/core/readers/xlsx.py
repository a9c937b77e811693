"""XLSX workbooks: checked against zip and XML bombs first, then streamed with openpyxl read-only.

Rows and labels follow what frictionless reads through openpyxl (``iter_rows`` in read-only
mode): the header is sheet row 1, row numbers are sheet rows, missing rows are blank rows and
every row is padded to the sheet's width. Merged header cells are filled from their top-left
cell; formulas that were saved without a cached value are named in a warning.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Iterator
from decimal import Decimal

from openpyxl import load_workbook
from openpyxl.utils.cell import get_column_letter, range_boundaries
from openpyxl.worksheet._reader import FORMULA_TAG, VALUE_TAG, WorkSheetParser

from opendata.core.errors import InputError, LimitError, OpendataError
from opendata.core.readers.base import (
    RawBatch,
    ReadLimits,
    SourceError,
    check_cells,
    check_row_width,
    limit_problem,
    public_text,
    rows_to_batch,
)
from opendata.core.readers.sniff import Sniffed
from opendata.core.readers.xlsxguard import GuardedXml, check_zip

MAX_LISTED_CELLS = 20
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+[0-9]+(?::[A-Z]+[0-9]+)?)"')


def format_cell_value(value: object) -> str:
    """A cell value as a user sees it: integers without '.0', dates ISO, booleans TRUE/FALSE."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return str(value)
        if value.is_integer() and abs(value) < 1e21:
            return str(int(value))
        text = f"{value:.15g}"  # Excel shows 15 significant digits
        return format(Decimal(text), "f") if "e" in text else text
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


class _Parser(WorkSheetParser):
    """openpyxl's sheet parser, also noting formulas saved without a cached value."""

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.uncached: list[str] = []

    def parse_cell(self, element):  # type: ignore[no-untyped-def]
        cell = super().parse_cell(element)
        if (
            cell["value"] is None
            and element.find(FORMULA_TAG) is not None
            and not element.findtext(VALUE_TAG)
            and element.get("t") != "str"  # a formula whose cached result is ""
        ):
            self.uncached.append(element.get("r") or get_column_letter(cell["column"]))
        return cell


class XlsxReader:
    """One sheet of an XLSX workbook as labels plus a stream of RawBatch."""

    format = "xlsx"
    encoding = None

    def __init__(self, path: str, sniffed: Sniffed, limits: ReadLimits, sheet: str | int | None):
        self.path = path
        self.limits = limits
        self.warnings: list[str] = list(sniffed.warnings)
        self.source_errors: list[SourceError] = []
        check_zip(path, limits)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                # a file object: openpyxl refuses paths whose extension is not .xlsx
                self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
                self._book = load_workbook(
                    self._file, read_only=True, data_only=True, keep_links=False
                )
        except Exception as exc:  # openpyxl raises many kinds on damaged files
            self._file.close()
            raise InputError(
                f"{path.rsplit('/', 1)[-1]}: not a readable XLSX workbook "
                f"({public_text(str(exc), path)})"
            ) from None
        self.sheet_names: list[str] = list(self._book.sheetnames)
        self.sheet = _pick_sheet(self._book, sheet, path)
        self._sheet = self._book[self.sheet]
        self._width, self._height = self._dimensions()
        self._rows = self._iter_rows()
        first = next(self._rows, None)  # always sheet row 1 (gaps are filled)
        header = first[1] if first else []
        self.labels = [format_cell_value(v) for v in header]
        check_row_width(1, len(self.labels), limits)
        if header or (self._height or 0) > 1 or (self._width or 0) > 1:
            self.labels += [""] * ((self._width or 0) - len(self.labels))  # as iter_rows pads
        self._flatten_merged_header()

    def _dimensions(self) -> tuple[int | None, int | None]:
        width, height = self._sheet.max_column, self._sheet.max_row
        if (
            width
            and width > self.limits.max_columns
            or height
            and height > self.limits.max_xlsx_rows
        ):
            self.warnings.append(
                f"sheet {self.sheet!r} declares {height} rows x {width} columns, beyond the limits;"
                " the declaration is ignored and the rows actually present are read"
            )
            return None, None
        return width, height

    def _flatten_merged_header(self) -> None:
        for ref in _merged_ranges(self._sheet):
            min_col, min_row, max_col, max_row = range_boundaries(ref)
            if min_row > 1 or min_col > len(self.labels):
                continue
            value = self.labels[min_col - 1]
            for col in range(min_col + 1, min(max_col, len(self.labels)) + 1):
                self.labels[col - 1] = value
            if max_col > min_col:
                self.warnings.append(f"merged header cells {ref} filled with {value!r}")

    def _iter_rows(self) -> Iterator[tuple[int, list[object]]]:
        """(sheet row, values) for every row up to the last; a damaged sheet is an InputError."""
        try:
            yield from self._sheet_rows()
        except OpendataError:
            raise
        except Exception as exc:  # openpyxl and its XML parser raise many kinds on damaged sheets
            raise InputError(f"{self.path.rsplit('/', 1)[-1]}: the sheet {self.sheet!r} cannot be read "
                             f"({type(exc).__name__}: {public_text(str(exc), self.path)})") from None

    def _sheet_rows(self) -> Iterator[tuple[int, list[object]]]:
        """(sheet row, values) for every row up to the last, gaps filled with empty rows."""
        name = self.path.rsplit("/", 1)[-1]
        part = getattr(self._sheet, "_worksheet_path", "the sheet")
        with GuardedXml(self._sheet._get_source(), self.limits, part=part, name=name) as source:
            parser = _Parser(
                source,
                self._sheet._shared_strings,
                data_only=True,
                epoch=self._book.epoch,
                date_formats=self._book._date_formats,
                timedelta_formats=self._book._timedelta_formats,
            )
            self._parser = parser
            expected = 1
            for index, cells in parser.parse():
                if index > self.limits.max_xlsx_rows:
                    self.source_errors.append(
                        SourceError(
                            "source-error",
                            f"the sheet has more than {self.limits.max_xlsx_rows} rows; reading stopped",
                            row_number=index,
                        )
                    )
                    return
                for gap in range(expected, index):
                    yield gap, []
                values: list[object] = []
                for cell in cells:
                    column = cell["column"]
                    if column > self.limits.max_columns:
                        raise LimitError(
                            f"the file's row {index} has a cell in column {column:,}; the limit is "
                            f"{self.limits.max_columns:,} columns", problems=[limit_problem("columns", index)])
                    values.extend([None] * (column - len(values) - 1))
                    values.append(cell["value"])
                yield index, values
                expected = index + 1
            for gap in range(expected, (self._height or 0) + 1):
                yield gap, []

    def iter_batches(self) -> Iterator[RawBatch]:
        """Stream the data rows (sheet row 2 onwards)."""
        width = max(self._width or 0, len(self.labels))
        per_batch = self.limits.rows_per_batch(width)
        numbers: list[int] = []
        rows: list[list[str | None]] = []
        cells_held = 0
        for index, values in self._rows:
            cells = [format_cell_value(v) for v in values]
            while len(cells) > width and cells[-1] == "":
                cells.pop()  # empty cells past the sheet's width are not extra cells
            cells.extend([""] * (width - len(cells)))  # padded like openpyxl's iter_rows
            numbers.append(index)
            rows.append(cells)  # type: ignore[arg-type]
            cells_held += len(cells)
            if len(rows) >= per_batch or cells_held >= self.limits.batch_cells:
                yield self._checked(rows_to_batch(numbers, rows, width))
                numbers, rows, cells_held = [], [], 0
        if rows:
            yield self._checked(rows_to_batch(numbers, rows, width))
        self._report_uncached()

    def _checked(self, batch: RawBatch) -> RawBatch:
        check_cells(batch, self.limits)
        return batch

    def _report_uncached(self) -> None:
        uncached = getattr(self, "_parser", None) and self._parser.uncached
        if uncached:
            listed = ", ".join(uncached[:MAX_LISTED_CELLS])
            more = (
                f" and {len(uncached) - MAX_LISTED_CELLS} more"
                if len(uncached) > MAX_LISTED_CELLS
                else ""
            )
            self.warnings.append(
                f"{len(uncached)} formula cell(s) have no cached value and read as empty: "
                f"{listed}{more} (open and save the workbook in Excel to calculate them)"
            )

    def close(self) -> None:
        """Release the workbook's file handle."""
        self._book.close()
        self._file.close()

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _pick_sheet(book, sheet: str | int | None, path: str) -> str:  # type: ignore[no-untyped-def]
    names = list(book.sheetnames)
    if not names:
        raise InputError(f"{path.rsplit('/', 1)[-1]}: the workbook has no sheet that can be read")
    if sheet is None:
        return book.worksheets[0].title if book.worksheets else names[0]
    if isinstance(sheet, int) and 1 <= sheet <= len(names):
        return names[sheet - 1]
    if isinstance(sheet, str) and sheet in names:
        return sheet
    raise InputError(
        f"{path.rsplit('/', 1)[-1]}: no sheet {sheet!r}; the workbook has {', '.join(names)}"
    )


def _merged_ranges(sheet) -> list[str]:  # type: ignore[no-untyped-def]
    """Merged ranges from the sheet XML (read-only sheets do not expose them)."""
    found: dict[str, None] = {}
    tail = b""
    with sheet._get_source() as source:
        while chunk := source.read(4 * 1024 * 1024):
            data = tail + chunk
            found.update((m.group(1).decode(), None) for m in _MERGE.finditer(data))
            tail = data[-256:]  # a tag cut by the chunk boundary is found in the next round
    return list(found)
