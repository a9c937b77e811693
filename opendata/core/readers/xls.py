"""Legacy XLS workbooks (OLE2 compound files) through xlrd.

xlrd reads the whole workbook into memory, which is bounded: an XLS sheet holds at most
65,536 rows by 256 columns. ".xls" files that are really TSV or HTML never reach this reader:
the format is sniffed from the bytes.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import xlrd

from opendata.core.errors import InputError, LimitError
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
from opendata.core.readers.xlsx import format_cell_value


class XlsReader:
    """One sheet of an XLS workbook as labels plus a stream of RawBatch."""

    format = "xls"
    encoding = None

    def __init__(self, path: str, sniffed: Sniffed, limits: ReadLimits, sheet: str | int | None):
        self.path = path
        self.limits = limits
        self.warnings: list[str] = list(sniffed.warnings)
        self.source_errors: list[SourceError] = []
        name = path.rsplit("/", 1)[-1]
        size = os.path.getsize(path)
        if size > limits.max_xlsx_uncompressed_bytes:  # xlrd reads the whole workbook into memory
            raise LimitError(f"{name}: the workbook is {size:,} bytes; the limit is "
                             f"{limits.max_xlsx_uncompressed_bytes:,}", problems=[limit_problem("workbook-bytes")])
        try:
            self._book = xlrd.open_workbook(path, formatting_info=True, on_demand=True)
        except Exception:  # formatting records xlrd cannot read: retry without merges
            try:
                self._book = xlrd.open_workbook(path, on_demand=True)
            except Exception as exc:
                raise InputError(f"{name}: not a readable XLS workbook ({public_text(str(exc), path)})") from None
        self.sheet_names: list[str] = list(self._book.sheet_names())
        self.sheet = self._pick(sheet, name)
        self._sheet = self._book.sheet_by_name(self.sheet)
        check_row_width(1, self._sheet.ncols, limits)
        if self._sheet.nrows > limits.max_xlsx_rows:
            raise LimitError(
                f"{name}: sheet {self.sheet!r} has {self._sheet.nrows:,} rows; the limit is "
                f"{limits.max_xlsx_rows:,}", problems=[limit_problem("rows")]
            )
        self.labels = self._row(0) if self._sheet.nrows else []
        for rlo, _rhi, clo, chi in getattr(self._sheet, "merged_cells", []):
            if rlo == 0 and chi - clo > 1:
                for col in range(clo + 1, chi):
                    self.labels[col] = self.labels[clo]
                self.warnings.append(
                    f"merged header cells in columns {clo + 1}-{chi} filled with "
                    f"{self.labels[clo]!r}"
                )

    def _pick(self, sheet: str | int | None, name: str) -> str:
        names = self.sheet_names
        if sheet is None and names:
            return names[0]
        if isinstance(sheet, int) and 1 <= sheet <= len(names):
            return names[sheet - 1]
        if isinstance(sheet, str) and sheet in names:
            return sheet
        raise InputError(f"{name}: no sheet {sheet!r}; the workbook has {', '.join(names)}")

    def _row(self, index: int) -> list[str]:
        cells = []
        for cell in self._sheet.row(index):
            if cell.ctype == xlrd.XL_CELL_DATE:
                try:
                    value: object = xlrd.xldate_as_datetime(cell.value, self._book.datemode)
                except (ValueError, OverflowError, xlrd.xldate.XLDateError):
                    value = cell.value
            elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                value = bool(cell.value)
            elif cell.ctype == xlrd.XL_CELL_ERROR:
                value = xlrd.error_text_from_code.get(cell.value, "#ERROR")
            else:
                value = cell.value
            cells.append(format_cell_value(value))
        cells += [""] * (self._sheet.ncols - len(cells))
        return cells

    def iter_batches(self) -> Iterator[RawBatch]:
        """Stream the data rows (sheet row 2 onwards)."""
        width = len(self.labels)
        step = self.limits.rows_per_batch(width)
        for start in range(1, self._sheet.nrows, step):
            stop = min(start + step, self._sheet.nrows)
            rows = [self._row(i) for i in range(start, stop)]
            batch = rows_to_batch(list(range(start + 1, stop + 1)), rows, width)  # type: ignore[arg-type]
            check_cells(batch, self.limits)
            yield batch

    def close(self) -> None:
        """Release the workbook."""
        self._book.release_resources()

    def __enter__(self) -> XlsReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
