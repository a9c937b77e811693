"""What a file really is, from its bytes (never from its name), and how its text is delimited."""

from __future__ import annotations

import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field

from opendata.core.errors import InputError
from opendata.core.readers.base import public_text
from opendata.core.readers.encoding import Detected, detect_encoding, python_codec

HEAD_BYTES = 1024 * 1024
FORMATS = ("csv", "tsv", "xlsx", "xls", "json", "ndjson")
DELIMITERS = (",", "\t", ";", "|", "\uff0c")  # preference order on a tie

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_BINARY = {
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"Rar!": "a RAR archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
    b"\x00\x00\x00\x0cjP": "a JPEG 2000 image",
    b"PAR1": "a Parquet file",
}
_FAMILY = {
    "csv": "text",
    "tsv": "text",
    "json": "json",
    "ndjson": "json",
    "xlsx": "xlsx",
    "xls": "xls",
}
_EXTENSIONS = {
    ".csv": "text",
    ".tsv": "text",
    ".tab": "text",
    ".txt": "text",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".json": "json",
    ".ndjson": "json",
    ".jsonl": "json",
}
_NAMES = {
    "csv": "CSV",
    "tsv": "TSV (tab-separated text)",
    "xlsx": "XLSX",
    "xls": "XLS",
    "json": "JSON",
    "ndjson": "NDJSON (one JSON object per line)",
    "html": "an HTML page",
}


@dataclass
class Sniffed:
    """The format of a file and, for text formats, its encoding and decoded head."""

    format: str
    head: bytes
    at_eof: bool
    detected: Detected | None = None
    text: str = ""  # decoded head (text formats only)
    delimiter: str = ","
    warnings: list[str] = field(default_factory=list)


def sniff_format(path: str | os.PathLike[str]) -> str:
    """The table format of a file by its content: csv, tsv, xlsx, xls, json, ndjson or html."""
    return sniff(path).format


def sniff(path: str | os.PathLike[str], encoding: str | None = None) -> Sniffed:
    """Look at the head of a file: format, encoding, delimiter, and a warning if it is disguised."""
    path = os.fspath(path)
    with open(path, "rb") as f:
        head = f.read(HEAD_BYTES)
        at_eof = not f.read(1)
    if not head:
        raise InputError(f"{_name(path)}: the file is empty (0 bytes)")
    sniffed = _sniff_bytes(path, head, at_eof, encoding)
    family, ext = _FAMILY.get(sniffed.format, sniffed.format), os.path.splitext(path)[1].lower()
    if ext in _EXTENSIONS and _EXTENSIONS[ext] != family:
        sniffed.warnings.append(
            f"file named {ext} is really {_NAMES[sniffed.format]}; read by its content"
        )
    return sniffed


def _sniff_bytes(path: str, head: bytes, at_eof: bool, encoding: str | None) -> Sniffed:
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return Sniffed(_sniff_zip(path), head, at_eof)
    if head.startswith(_OLE2):
        return Sniffed("xls", head, at_eof)
    for magic, what in _BINARY.items():
        if head.startswith(magic):
            raise InputError(f"{_name(path)}: the file is {what}, not a table")
    if encoding:
        detected = Detected(encoding, _bom_length(head, encoding))
    else:
        detected = detect_encoding(head, at_eof)
    body = head[detected.bom_length :]
    if detected.bom_length and not body.strip(b"\x00\r\n\t "):
        raise InputError(
            f"{_name(path)}: the file holds only a byte order mark ({detected.encoding}) "
            "and no data"
        )
    if detected.encoding is None:
        if head.count(0) > len(head) // 10:
            raise InputError(f"{_name(path)}: the file is binary data of an unknown kind")
        # Undecidable text: the CSV reader reports the encoding-error with its byte offset.
        return Sniffed("csv", head, at_eof, detected)
    text = body.decode(python_codec(detected.encoding), errors="ignore")
    if text.count("\x00") > max(len(text) // 3, 64):  # NUL is valid UTF-8, but no table is mostly NULs
        raise InputError(f"{_name(path)}: the file is binary data of an unknown kind (mostly NUL bytes)")
    stripped = text.lstrip("\ufeff \t\r\n")
    if not stripped:
        raise InputError(f"{_name(path)}: the file holds only blank lines and no data")
    sniffed = Sniffed("csv", head, at_eof, detected, text)
    if stripped[0] == "<" and re.search(r"<(html|table|!doctype html)", stripped[:4096], re.I):
        sniffed.format = "html"
    elif stripped[0] == "[":
        sniffed.format = "json"
    elif stripped[0] == "{":
        sniffed.format = "ndjson" if _first_line_is_object(stripped) else "json"
    else:
        sniffed.delimiter = detect_delimiter(text)
        sniffed.format = "tsv" if sniffed.delimiter == "\t" else "csv"
    return sniffed


def _sniff_zip(path: str) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{_name(path)}: a damaged ZIP archive ({public_text(str(exc), path)})") from None
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names:
        raise InputError(f"{_name(path)}: an OpenDocument spreadsheet (.ods); save it as XLSX")
    if "word/document.xml" in names:
        raise InputError(f"{_name(path)}: a Word document, not a table")
    raise InputError(f"{_name(path)}: a ZIP archive that is not an Excel workbook")


def _bom_length(head: bytes, encoding: str) -> int:
    from opendata.core.readers.encoding import detect_bom

    bom = detect_bom(head)
    return bom[1] if bom and python_codec(bom[0]) == python_codec(encoding) else 0


def _first_line_is_object(text: str) -> bool:
    line = text.split("\n", 1)[0].strip()
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def detect_delimiter(text: str) -> str:
    """The delimiter that splits the first records most consistently (quotes respected)."""
    text = text[: 64 * 1024]
    records: list[Counter[str]] = [Counter()]
    for i, part in enumerate(text.split('"')):
        if i % 2:
            continue  # inside a quoted cell
        for j, line in enumerate(re.split(r"\r\n|\r|\n", part)):
            if j:
                records.append(Counter())
            for delimiter in DELIMITERS:
                records[-1][delimiter] += line.count(delimiter)
    if len(records) > 1:
        records.pop()  # the last record may be cut off
    records = [r for r in records if any(r.values())][:200]
    best, best_score = ",", 0.0
    for delimiter in DELIMITERS:
        counts = [r[delimiter] for r in records]
        if not counts:
            continue
        mode, frequency = Counter(counts).most_common(1)[0]
        score = frequency / len(counts) if mode else 0.0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _name(path: str) -> str:
    return os.path.basename(path)
