"""Readers: any supported upload as labels plus a stream of RawBatch (see ``base``).

    with open_table(path) as table:
        table.labels, table.encoding, table.warnings
        for batch in table.iter_batches(): ...
        table.source_errors   # complete once the batches are exhausted

The format comes from the bytes (``sniff_format``), never from the file name; a disguised file
is read by its content and named in ``warnings``.
"""

from __future__ import annotations

import os

from opendata.core.errors import InputError
from opendata.core.readers.base import (
    DEFAULT_BATCH_ROWS,
    RawBatch,
    ReadLimits,
    SourceError,
    TableReader,
)
from opendata.core.readers.encoding import normalize_encoding
from opendata.core.readers.sniff import FORMATS, sniff, sniff_format

__all__ = [
    "DEFAULT_BATCH_ROWS",
    "FORMATS",
    "RawBatch",
    "ReadLimits",
    "SourceError",
    "TableReader",
    "open_table",
    "sniff_format",
]


def open_table(
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    sheet: str | int | None = None,
    encoding: str | None = None,
    limits: ReadLimits = ReadLimits(),  # noqa: B008 (frozen, shared safely)
) -> TableReader:
    """Open a table file for streaming; ``format`` overrides detection (and is then checked)."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise InputError(f"{os.path.basename(path)}: no such file")
    if format is not None and format not in FORMATS:
        raise InputError(f"unknown format {format!r}; expected one of {', '.join(FORMATS)}")
    sniffed = sniff(path, normalize_encoding(encoding) if encoding else None)
    actual = sniffed.format
    if actual == "html":
        raise InputError(
            f"{os.path.basename(path)}: the file is an HTML page (often saved as .xls by web "
            "systems), which is not supported; save it as XLSX or CSV"
        )
    if format is not None and format != actual:
        if {format, actual} <= {"csv", "tsv"}:
            actual = format
            sniffed.delimiter = "\t" if format == "tsv" else sniffed.delimiter
        elif {format, actual} <= {"json", "ndjson"}:
            actual = format
        else:
            sniffed.warnings.append(f"format {format} was requested but the file is {actual}")
    sniffed.format = actual
    if actual in ("csv", "tsv"):
        from opendata.core.readers.delimited import DelimitedReader

        return DelimitedReader(path, sniffed, limits)
    if actual == "xlsx":
        from opendata.core.readers.xlsx import XlsxReader

        return XlsxReader(path, sniffed, limits, sheet)
    if actual == "xls":
        from opendata.core.readers.xls import XlsReader

        return XlsReader(path, sniffed, limits, sheet)
    from opendata.core.readers.jsonl import JsonReader

    return JsonReader(path, sniffed, limits)
