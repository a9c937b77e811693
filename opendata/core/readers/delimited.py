"""CSV and TSV: streamed through pyarrow's CSV reader, every cell as text, frictionless row numbers.

Row numbers are physical CSV records as Python's csv module (and so frictionless) counts them:
the header is 1, blank lines are rows, a quoted cell with line breaks stays one row. pyarrow's
serial reader numbers rows the same way and hands rows with the wrong number of cells to an
``invalid_row_handler``; those rows are re-parsed with the csv module and put back in place.

UTF-8 files are read by pyarrow directly. GB18030, UTF-16 and full-width-comma files are first
streamed into a temporary UTF-8 file (bounded memory, disk space about the file's size). An empty
line is a row with no cells (frictionless reads it so); pyarrow reads it like ",,", so when a row
of empty cells shows up the file is read again with empty lines marked (trailing ones are
settled from the file's last bytes instead). A row longer than a block is read again with bigger
blocks. Re-reads skip the rows already emitted.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
import weakref
from collections import deque
from collections.abc import Generator, Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from opendata.core.readers.base import (
    RawBatch,
    ReadLimits,
    SourceError,
    check_cells,
    check_row_width,
    row_too_long,
    rows_to_batch,
)
from opendata.core.readers.csvrows import (
    LineCounter,
    MarkBlankLines,
    drop_rows_until,
    empty_rows,
    has_empty_row,
    invalid_batch,
    number_rows,
    unmark_blank_lines,
)
from opendata.core.readers.encoding import (
    GB18030,
    UTF8,
    UTF8_SIG,
    find_decode_error,
    python_codec,
    scan_bytes,
)
from opendata.core.readers.released import CallbackRelease
from opendata.core.readers.sniff import HEAD_BYTES, Sniffed
from opendata.core.readers.textstream import BLANK_MARK, TranscodingStream

TRANSCODE_CHUNK = 4 * 1024 * 1024
_SUBSTITUTE = "\x1f"  # one-byte stand-in for a multi-byte delimiter (U+FF0C)


class DelimitedReader:
    """A CSV or TSV file as labels plus a stream of RawBatch."""

    sheet_names: list[str] = []

    def __init__(self, path: str, sniffed: Sniffed, limits: ReadLimits):
        self.path = path
        self.limits = limits
        self.format = sniffed.format if sniffed.format in ("csv", "tsv") else "csv"
        self.warnings: list[str] = list(sniffed.warnings)
        self.source_errors: list[SourceError] = []
        self.labels: list[str] = []
        self.bytes_read = 0
        self._iterators: list[Generator[RawBatch, None, None]] = []
        # Also at interpreter exit: pyarrow aborts the process if it finalizes a reader over a
        # Python stream after the interpreter has started tearing down.
        self._finalizer = weakref.finalize(self, _close_all, self._iterators)
        self.delimiter = sniffed.delimiter
        detected = sniffed.detected
        self.encoding = detected.encoding if detected else None
        self._start = detected.bom_length if detected else 0
        self._readable = self.encoding is not None
        if detected and detected.error:
            self.source_errors.append(detected.error)
        if not self._readable:
            return
        if csv.field_size_limit() < limits.max_row_bytes:
            csv.field_size_limit(limits.max_row_bytes)  # cells are checked in bytes, batch by batch
        # Empty lines are told from ",," rows by a marker in the byte stream, which costs time:
        # it is switched on when the first row of empty cells shows up (see MarkBlankLines).
        self._blank_lines = False
        self.labels = self._read_header(sniffed)  # before any pass over the whole file
        check_row_width(1, len(self.labels), limits)
        self._scan_bytes()

    # -- header ---------------------------------------------------------------------------

    def _read_header(self, sniffed: Sniffed) -> list[str]:
        """The first record, read from the head and then from ever larger prefixes of the file,
        up to ``max_row_bytes``: a header longer than that is refused before it is parsed."""
        codec = python_codec(self.encoding or UTF8)
        limit = self.limits.max_row_bytes
        text, at_eof, size = sniffed.text, sniffed.at_eof, HEAD_BYTES
        while True:
            stream = io.StringIO(text, newline="")
            consumed = LineCounter(stream)
            try:
                header = next(csv.reader(consumed, delimiter=self.delimiter), [])
            except csv.Error as exc:
                self.source_errors.append(SourceError("format-error", f"header: {exc}", 1))
                return []
            ended = at_eof or consumed.rest(stream)
            if ended and (stream.tell() * 4 <= limit or len(text[: stream.tell()].encode(codec)) <= limit):
                return header
            if size > limit:
                raise row_too_long(1, limit)
            size = min(size * 4, limit + 1)  # the header record runs past the head: read more of the file
            with open(self.path, "rb") as f:
                f.seek(self._start)
                data = f.read(size)
                at_eof = not f.read(1)
            text = data.decode(codec, errors="ignore")

    def _scan_bytes(self) -> None:
        if self.encoding and self.encoding.startswith("utf-16"):
            return  # NUL bytes are part of UTF-16 code units
        count, first = scan_bytes(self.path, self._start)
        if count:
            self.warnings.append(
                f"the file contains {count} NUL byte(s), the first at byte offset {first}; "
                "they are kept inside the cells"
            )

    # -- rows -----------------------------------------------------------------------------

    def iter_batches(self) -> Iterator[RawBatch]:
        """Stream the data rows (the header row is not included)."""
        batches = self._batches()
        self._iterators.append(batches)  # closed by close(), even if abandoned half-way
        return batches

    def _batches(self) -> Iterator[RawBatch]:
        if not self._readable:
            return
        if not self.labels:
            yield from self._iter_python()
            return
        block, emitted = self.limits.csv_block_bytes, 1  # row 1 (the header) counts as emitted
        while True:
            try:
                for batch in self._iter_arrow(block, emitted):
                    emitted = int(batch.row_numbers[-1].as_py())
                    yield batch
                return
            except MarkBlankLines:
                self._blank_lines = True  # read again from the start, skipping emitted rows
                continue
            except pa.ArrowInvalid as exc:
                message = str(exc)
                if "straddl" in message:  # a row longer than a block: read again with bigger blocks
                    if block >= self.limits.max_row_bytes:
                        raise row_too_long(f"a row after row {emitted}", self.limits.max_row_bytes) from None
                    block = min(block * 4, self.limits.max_row_bytes)
                    continue
                self.source_errors.append(self._arrow_error(message, emitted))
                return

    def _arrow_error(self, message: str, emitted: int) -> SourceError:
        if "UTF8" in message or "UTF-8" in message:
            found = find_decode_error(self.path, self.encoding or UTF8, self._start)
            if found:
                return SourceError(
                    "encoding-error",
                    found.note + "; reading stopped there",
                    row_number=None,
                    byte_offset=found.byte_offset,
                )
        return SourceError("format-error", f"{message} (after row {emitted})")

    def _source(self) -> tuple[pa.NativeFile, TranscodingStream | None, str | None]:
        """A native stream for pyarrow: the file itself, or a transcoded temporary copy."""
        plain = self.encoding in (UTF8, UTF8_SIG) and self.delimiter != "\uff0c"
        if plain and not self._blank_lines:  # the fast path: pyarrow reads the file itself
            stream = pa.OSFile(self.path, "rb")
            if self._start:
                stream.seek(self._start)
            return stream, None, None
        transcoder = TranscodingStream(
            self.path,
            self.encoding or UTF8,
            self._start,
            delimiter=self.delimiter,
            replace=(self.delimiter, _SUBSTITUTE) if self.delimiter == "\uff0c" else None,
            mark_blank_lines=self._blank_lines,
        )
        # Streamed into a temporary UTF-8 file, never held in memory. pyarrow is not handed the
        # Python stream itself: its I/O threads calling back into Python can abort the process
        # at interpreter exit.
        handle, temporary = tempfile.mkstemp(prefix="opendata-", suffix=".csv")
        try:
            with os.fdopen(handle, "wb") as out:
                while data := transcoder.read(TRANSCODE_CHUNK):
                    out.write(data)
        except BaseException:
            os.unlink(temporary)
            raise
        finally:
            transcoder.close()
        return pa.OSFile(temporary, "rb"), transcoder, temporary

    def _iter_arrow(self, block: int, skip_until: int) -> Iterator[RawBatch]:
        width = len(self.labels)
        names = [f"f{i}" for i in range(width)]
        delimiter = _SUBSTITUTE if self.delimiter == "\uff0c" else self.delimiter
        invalid: deque[tuple[int, list[str]]] = deque()
        too_wide: list[tuple[int, int]] = []  # (row number, cells): raised after the block

        def on_invalid_row(row: pacsv.InvalidRow) -> str:
            if row.text.strip("\r\n") == BLANK_MARK:
                cells: list[str] = []  # an empty line: a row without cells, as in frictionless
            else:
                reader = csv.reader(io.StringIO(row.text, newline=""), delimiter=delimiter)
                cells = next(reader, [])
                if len(cells) > self.limits.max_columns:  # pyarrow swallows exceptions raised here
                    too_wide.append((row.number, len(cells)))
                    cells = []
            invalid.append((row.number, cells))
            return "skip"

        released = CallbackRelease(on_invalid_row)  # Arrow must hold the only reference
        handler, on_invalid_row = on_invalid_row, None
        source, transcoder, temporary = self._source()
        reader = None
        try:
            reader = pacsv.open_csv(
                source,
                read_options=pacsv.ReadOptions(
                    use_threads=False, block_size=block, column_names=names
                ),
                parse_options=pacsv.ParseOptions(
                    delimiter=delimiter,
                    newlines_in_values=True,
                    ignore_empty_lines=False,
                    invalid_row_handler=handler,
                ),
                convert_options=pacsv.ConvertOptions(
                    column_types={name: pa.string() for name in names},
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            handler = None
            number = 1  # the next physical row number: the header is read as a data row
            held = None  # a batch with rows of empty cells: is it the last one?
            for record_batch in reader:
                for number_, cells_ in too_wide:
                    check_row_width(number_, cells_, self.limits)
                if held is not None:
                    raise MarkBlankLines
                batch, number = number_rows(record_batch, number, invalid, width)
                if not self._blank_lines and has_empty_row(batch):
                    held = batch
                    continue
                yield from self._emit(batch, skip_until, source, transcoder)
            if held is not None:
                # Empty rows at the very end (trailing empty lines are common) are told apart
                # by looking at the last lines of the file; anywhere else, read again.
                if invalid or (held := self._classify_trailing(held)) is None:
                    raise MarkBlankLines
                yield from self._emit(held, skip_until, source, transcoder)
            for number_, cells_ in too_wide:
                check_row_width(number_, cells_, self.limits)
            if invalid:
                tail = drop_rows_until(invalid_batch(list(invalid), width), skip_until)
                if tail.num_rows:
                    yield tail
        finally:
            handler = None
            if reader is not None:
                reader.close()
                reader = None
            released.wait()  # Arrow threads parsing ahead let go of it now, not at exit
            if transcoder is not None and transcoder.error:
                self.source_errors.append(transcoder.error)
            source.close()
            if temporary:
                os.unlink(temporary)

    def _emit(
        self, batch: RawBatch, skip_until: int, source: object, transcoder: TranscodingStream | None
    ) -> Iterator[RawBatch]:
        if len(self.labels) == 1 and self._blank_lines:
            batch = unmark_blank_lines(batch)
        batch = drop_rows_until(batch, skip_until)
        self.bytes_read = _tell(source, transcoder)
        if batch.num_rows:
            check_cells(batch, self.limits)
            yield batch

    def _classify_trailing(self, batch: RawBatch) -> RawBatch | None:
        """Mark the trailing rows of empty cells that are empty lines (None if undecidable)."""
        if self.encoding not in (UTF8, UTF8_SIG, GB18030):
            return None  # the byte test below needs ASCII line breaks
        empty = [bool(flag) for flag in empty_rows(batch).to_pylist()]
        trailing = len(empty) - next((i + 1 for i in range(len(empty))[::-1] if not empty[i]), 0)
        if sum(empty) != trailing:
            return None  # empty rows in the middle of the batch
        size = os.path.getsize(self.path) - self._start
        want = trailing * (4 * len(self.labels) + 8) + 64
        if want > 4 * 1024 * 1024:
            return None
        with open(self.path, "rb") as f:
            f.seek(self._start + max(0, size - want))
            tail = f.read()
        for ending in (b"\r\n", b"\n", b"\r"):
            if tail.endswith(ending):
                tail = tail[: -len(ending)]
                break
        lines = re.split(rb"\r\n|\n|\r", tail)
        if len(lines) <= trailing and size > want:
            return None
        blank = [False] * (len(empty) - trailing) + [line == b"" for line in lines[-trailing:]]
        mask = pa.array(blank, type=pa.bool_())
        none = pa.scalar(None, pa.string())
        return RawBatch(
            row_numbers=batch.row_numbers,
            columns=[pc.if_else(mask, none, column) for column in batch.columns],
            cell_counts=pc.if_else(mask, pa.scalar(0, pa.int32()), batch.cell_counts),
            extra_cells=batch.extra_cells,
            extra_unlisted=batch.extra_unlisted,
        )

    def _iter_python(self) -> Iterator[RawBatch]:
        """The csv module over decoded text: for files whose first row is blank (no labels)."""
        codec = python_codec(self.encoding or UTF8)
        with open(self.path, encoding=codec, errors="strict", newline="") as f:
            f.seek(0)
            if self._start:
                f.read(1)  # the BOM character
            numbers: list[int] = []
            rows: list[list[str | None]] = []
            cells = 0
            lines = _bounded_lines(f, self.limits.max_row_bytes)
            try:
                for number, row in enumerate(csv.reader(lines, delimiter=self.delimiter), 1):
                    check_row_width(number, len(row), self.limits)
                    if number == 1:
                        continue
                    numbers.append(number)
                    rows.append(list(row))
                    cells += len(row)
                    if len(rows) >= self.limits.batch_rows or cells >= self.limits.batch_cells:
                        yield self._checked(rows_to_batch(numbers, rows, 0))
                        numbers, rows, cells = [], [], 0
            except UnicodeDecodeError:
                self.source_errors.append(
                    find_decode_error(self.path, self.encoding or UTF8, self._start)
                    or SourceError("encoding-error", "the text cannot be decoded")
                )
            if rows:
                yield self._checked(rows_to_batch(numbers, rows, 0))

    def _checked(self, batch: RawBatch) -> RawBatch:
        check_cells(batch, self.limits)
        return batch

    def close(self) -> None:
        """Stop any iteration still running and release its file."""
        self._finalizer()

    def __enter__(self) -> DelimitedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _bounded_lines(f: io.TextIOBase, limit: int) -> Iterator[str]:
    """The lines of a text file, refusing one of more than ``limit`` characters before reading it whole
    (a character is at least one byte, so no line within ``limit`` bytes is refused)."""
    number = 0
    while line := f.readline(limit + 1):
        number += 1
        if len(line) > limit:
            raise row_too_long(f"the file's line {number}", limit)
        yield line


def _tell(source: pa.NativeFile, transcoder: TranscodingStream | None) -> int:
    """How far into the file the parser has read (for progress bars)."""
    if transcoder is None:
        return int(source.tell())
    return int(source.tell() * transcoder.position / max(transcoder.written, 1))


def _close_all(iterators: list[Generator[RawBatch, None, None]]) -> None:
    while iterators:
        iterators.pop().close()
