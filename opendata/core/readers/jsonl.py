"""JSON (an array of objects, or of arrays with a header row first) and NDJSON, streamed.

Numbers keep their original text (``parse_int=str``, ``parse_float=str``): an 18-digit ID or a
30-digit integer is never rounded through a double. The labels of an array of objects are the
union of all keys in first-seen order, which takes one extra streaming pass over the file.
Row numbers follow frictionless: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

from opendata.core.errors import LimitError
from opendata.core.readers.base import (
    RawBatch,
    ReadLimits,
    SourceError,
    check_cells,
    check_row_width,
    limit_problem,
    row_too_long,
    rows_to_batch,
)
from opendata.core.readers.encoding import python_codec
from opendata.core.readers.sniff import Sniffed

CHUNK_CHARS = 1024 * 1024
_EMPTY = iter(lambda: "", None)  # endless "" as the default for dict.get in map()
_WHITESPACE = " \t\r\n\ufeff"
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_BRACKET = re.compile(r"[\[\]{}]")


def nesting_exceeds(text: str, limit: int) -> bool:
    """Whether the JSON ``text`` nests arrays and objects deeper than ``limit`` (strings ignored).

    Counting brackets first: a text with no more than ``limit`` of them cannot nest deeper.
    """
    if text.count("[") + text.count("{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def too_deep(number: int, limit: int) -> LimitError:
    """The error for a record nested beyond ``max_json_depth``."""
    return LimitError(f"the file's row {number} nests arrays and objects deeper than the limit of {limit} levels",
                      problems=[limit_problem("json-depth", number)])


class _Number(str):
    """A JSON number kept as the text it was written as."""

    __slots__ = ()


def _exact_decoder() -> json.JSONDecoder:
    """Numbers as _Number: slower, used only for records with nested arrays or objects."""
    return json.JSONDecoder(parse_int=_Number, parse_float=_Number, parse_constant=_Number)


def _fast_decoder() -> json.JSONDecoder:
    """Top-level numbers as their text (plain str, which keeps the C scanner fast)."""
    return json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)


def _dump(value: object) -> str:
    """Nested JSON written back compactly, numbers exactly as they were written."""
    if isinstance(value, _Number):
        return str.__str__(value)
    if isinstance(value, dict):
        items = (f"{json.dumps(k, ensure_ascii=False)}: {_dump(v)}" for k, v in value.items())
        return "{" + ", ".join(items) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_dump(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def cell_text(value: object, exact: bool = True) -> str | None:
    """A JSON value as cell text: numbers as written, true/false, null as empty."""
    if value is None:
        return ""
    if isinstance(value, str):
        return str.__str__(value)
    if value is True:
        return "true"
    if value is False:
        return "false"
    if exact:
        return _dump(value)
    return None  # a container decoded without exact numbers: the caller decodes again


def _nested(record: object) -> bool:
    values = record.values() if isinstance(record, dict) else record
    return isinstance(values, list | type({}.values())) and any(
        isinstance(v, dict | list) for v in values
    )


class JsonReader:
    """A JSON array or an NDJSON file as labels plus a stream of RawBatch."""

    sheet_names: list[str] = []

    def __init__(self, path: str, sniffed: Sniffed, limits: ReadLimits):
        self.path = path
        self.limits = limits
        self.format = sniffed.format
        self.warnings: list[str] = list(sniffed.warnings)
        self.source_errors: list[SourceError] = []
        detected = sniffed.detected
        self.encoding = detected.encoding if detected else "utf-8"
        self._keyed = True
        self.labels = self._scan_labels()

    def _records(self, report: bool) -> Iterator[tuple[int, object, str]]:
        """(row number, decoded record, its JSON text); problems are recorded when ``report``."""
        records = self._ndjson() if self.format == "ndjson" else self._array()
        for number, record, text in records:
            if isinstance(record, SourceError):
                if report:
                    self.source_errors.append(record)
                continue
            yield number, record, text

    def _scan_labels(self) -> list[str]:
        keys: dict[str, None] = {}
        for number, record, _text in self._records(report=False):
            if number == 2 and isinstance(record, list):
                self._keyed = False  # an array of arrays: the first one is the header
                check_row_width(1, len(record), self.limits)
                return [cell_text(v) for v in record]
            if isinstance(record, dict):
                keys.update(dict.fromkeys(record))
                if len(keys) > self.limits.max_columns:
                    raise LimitError(
                        f"the file's records have more than {self.limits.max_columns:,} distinct keys "
                        f"(columns) by row {number}; the limit is {self.limits.max_columns:,}",
                        problems=[limit_problem("columns", number)])
        return list(keys)

    def iter_batches(self) -> Iterator[RawBatch]:
        """Stream the records as rows."""
        if self.source_errors:
            return
        labels, width = self.labels, len(self.labels)
        numbers: list[int] = []
        rows: list[list[str | None]] = []
        cells_held = 0
        per_batch = self.limits.rows_per_batch(width)
        exact = _exact_decoder()
        for number, record, text in self._records(report=True):
            if not self._keyed:
                if number == 2:
                    continue  # the header array
                number -= 1
            if isinstance(record, dict):
                get = record.get
                row: list[str | None] = [
                    v if v.__class__ is str else cell_text(v, False)
                    for v in map(get, labels, _EMPTY)
                ]
                if None in row:  # a nested value: decode again keeping its numbers exact
                    get = exact.decode(text).get
                    row = [cell_text(get(key)) for key in labels]
            elif isinstance(record, list) and not self._keyed:
                check_row_width(number, len(record), self.limits)
                row = [v if v.__class__ is str else cell_text(v, False) for v in record]
                if None in row:
                    row = [cell_text(v) for v in exact.decode(text)]
            else:
                self.source_errors.append(
                    SourceError(
                        "format-error",
                        f"row {number} is a JSON {type(record).__name__}, not "
                        f"{'an object' if self._keyed else 'an array'}; it is skipped",
                        row_number=number,
                    )
                )
                continue
            numbers.append(number)
            rows.append(row)
            cells_held += len(row)
            if len(rows) >= per_batch or cells_held >= self.limits.batch_cells:
                yield self._checked(rows_to_batch(numbers, rows, width))
                numbers, rows, cells_held = [], [], 0
        if rows:
            yield self._checked(rows_to_batch(numbers, rows, width))

    def _checked(self, batch: RawBatch) -> RawBatch:
        check_cells(batch, self.limits)
        return batch

    def _open(self):  # type: ignore[no-untyped-def]
        return open(self.path, encoding=python_codec(self.encoding or "utf-8"), newline="")

    def _ndjson(self) -> Iterator[tuple[int, object]]:
        decode = _fast_decoder().decode
        number = 1
        limit, depth = self.limits.max_row_bytes, self.limits.max_json_depth
        with self._open() as f:
            line_number = 0
            # a line is read up to the limit, never whole: a character is at least one byte
            while line := f.readline(limit + 1):
                line_number += 1
                if len(line) > limit:
                    raise row_too_long(number + 1, limit)
                if not line.strip(_WHITESPACE):
                    continue
                number += 1
                text = line.strip(_WHITESPACE)
                if nesting_exceeds(text, depth):
                    raise too_deep(number, depth)
                try:
                    yield number, decode(text), text
                except json.JSONDecodeError as exc:
                    note = f"line {line_number} is not valid JSON ({exc.msg}); it is skipped"
                    yield number, SourceError("format-error", note, row_number=number), ""

    def _array(self) -> Iterator[tuple[int, object]]:
        decoder = _fast_decoder()
        limit, depth = self.limits.max_row_bytes, self.limits.max_json_depth
        with self._open() as f:
            buffer, position, eof = f.read(CHUNK_CHARS), 0, False

            def more() -> bool:
                nonlocal buffer, position, eof
                if eof:
                    return False
                chunk = f.read(CHUNK_CHARS)
                eof = not chunk
                buffer, position = buffer[position:] + chunk, 0
                return not eof

            def skip_space() -> str:
                nonlocal position
                while True:
                    while position < len(buffer) and buffer[position] in _WHITESPACE:
                        position += 1
                    if position < len(buffer) or not more():
                        return buffer[position] if position < len(buffer) else ""

            if skip_space() != "[":
                note = "the JSON text is not an array of records"
                yield 1, SourceError("format-error", note), ""
                return
            position += 1
            number = 1
            while True:
                token = skip_space()
                if token == "]":
                    return
                if number > 1:
                    if token != ",":
                        note = f"expected ',' or ']' after row {number}"
                        yield number, SourceError("format-error", note), ""
                        return
                    position += 1
                    skip_space()
                number += 1
                while True:
                    try:
                        start = position
                        record, position = decoder.raw_decode(buffer, position)
                        break
                    except RecursionError:  # the decoder's own guard, far beyond max_json_depth
                        raise too_deep(number, depth) from None
                    except json.JSONDecodeError as exc:
                        if len(buffer) - start > limit:
                            raise row_too_long(number, limit) from None
                        if more():
                            continue
                        note = f"row {number} is not valid JSON ({exc.msg}); reading stopped"
                        yield number, SourceError("format-error", note, row_number=number), ""
                        return
                if position - start > limit:
                    raise row_too_long(number, limit)
                text = buffer[start:position] if _nested(record) else ""
                if text and nesting_exceeds(text, depth):
                    raise too_deep(number, depth)
                yield number, record, text
                if position > CHUNK_CHARS:
                    buffer, position = buffer[position:], 0

    def close(self) -> None:
        """Nothing stays open between batches."""

    def __enter__(self) -> JsonReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
