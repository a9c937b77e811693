"""Text encodings of uploaded files: detection, streaming transcoding to UTF-8, error offsets.

Order (../shared/DOMAIN.md): byte order mark (UTF-8, UTF-16 LE/BE), then UTF-16 without a
BOM (NUL-byte pattern), then strict UTF-8, then strict GB18030. GB18030 is never tried first:
it decodes most UTF-8 byte sequences into garbage without complaint.
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass

from opendata.core.errors import InputError
from opendata.core.readers.base import SourceError

UTF8, UTF8_SIG, GB18030, UTF16LE, UTF16BE = (
    "utf-8",
    "utf-8-sig",
    "gb18030",
    "utf-16-le",
    "utf-16-be",
)

BOMS = ((codecs.BOM_UTF8, UTF8_SIG), (codecs.BOM_UTF16_LE, UTF16LE), (codecs.BOM_UTF16_BE, UTF16BE))

# Names a user (or a detector) may give, mapped to what we decode with.
ALIASES = {
    "utf8": UTF8,
    "utf-8": UTF8,
    "utf_8": UTF8,
    "utf-8-sig": UTF8_SIG,
    "utf_8_sig": UTF8_SIG,
    "gb18030": GB18030,
    "gbk": GB18030,
    "gb2312": GB18030,
    "cp936": GB18030,
    "936": GB18030,
    "utf-16-le": UTF16LE,
    "utf-16le": UTF16LE,
    "utf_16_le": UTF16LE,
    "utf-16-be": UTF16BE,
    "utf-16be": UTF16BE,
    "utf_16_be": UTF16BE,
    "utf-16": UTF16LE,
}

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Detected:
    """The outcome of looking at the head of a text file."""

    encoding: str | None  # one of the five names above, None when undecidable
    bom_length: int = 0
    error: SourceError | None = None  # encoding-error when undecidable


def normalize_encoding(name: str) -> str:
    """Map a user-given encoding name onto one we decode with (GBK and GB2312 read as GB18030)."""
    key = name.strip().lower()
    if key in ALIASES:
        return ALIASES[key]
    try:
        return codecs.lookup(key).name
    except LookupError:
        raise InputError(f"unknown text encoding {name!r}") from None


def python_codec(encoding: str) -> str:
    """The Python codec that decodes the bytes after the BOM."""
    return UTF8 if encoding == UTF8_SIG else encoding


def detect_bom(head: bytes) -> tuple[str, int] | None:
    """The encoding named by a byte order mark at the start, and the mark's length."""
    if head.startswith(b"\xff\xfe\x00\x00"):
        return None  # UTF-32 LE: not supported, let the caller say so
    for bom, name in BOMS:
        if head.startswith(bom):
            return name, len(bom)
    return None


def guess_utf16(sample: bytes) -> str | None:
    """UTF-16 without a BOM: many NUL bytes, nearly all on one side of each code unit."""
    sample = sample[: 64 * 1024]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 4:
        return None
    even = sample[0::2].count(0)
    odd = sample[1::2].count(0)
    total = even + odd
    if total < 2 or total < len(sample) // 8:
        return None
    if odd >= 0.9 * total:
        candidate = UTF16LE  # ASCII 'a' is 61 00 in little-endian
    elif even >= 0.9 * total:
        candidate = UTF16BE
    else:
        return None
    try:
        text = codecs.getincrementaldecoder(candidate)("strict").decode(sample, final=False)
    except UnicodeDecodeError:
        return None
    # A line break must show up as a whole code unit (0a 00 / 00 0a), unless it is one line.
    if ("\n" in text or "\r" in text) or len(sample) < 1024:
        return candidate
    return None


def first_error(data: bytes, codec: str, at_eof: bool) -> UnicodeDecodeError | None:
    """The first strict decoding error in ``data`` (a possibly cut head of a file), or None."""
    try:
        codecs.getincrementaldecoder(codec)("strict").decode(data, final=at_eof)
    except UnicodeDecodeError as exc:
        return exc
    return None


def detect_encoding(head: bytes, at_eof: bool) -> Detected:
    """Decide the encoding from the first bytes of a file (``at_eof``: the head is all of it)."""
    bom = detect_bom(head)
    if bom:
        name, length = bom
        err = first_error(head[length:], python_codec(name), at_eof)
        if err is None:
            return Detected(name, length)
        return Detected(None, length, _error(name, length + err.start, head[length + err.start]))
    if utf16 := guess_utf16(head):
        return Detected(utf16)
    utf8_err = first_error(head, UTF8, at_eof)
    if utf8_err is None:
        return Detected(UTF8)
    if first_error(head, GB18030, at_eof) is None:
        return Detected(GB18030)
    offset = utf8_err.start
    note = (
        f"the text is neither UTF-8 nor GB18030: byte 0x{head[offset]:02x} at byte offset "
        f"{offset} is invalid UTF-8, and the file does not decode as GB18030 either"
    )
    return Detected(None, 0, SourceError("encoding-error", note, byte_offset=offset))


def _error(encoding: str, offset: int, byte: int) -> SourceError:
    note = f"byte 0x{byte:02x} at byte offset {offset} cannot be decoded as {encoding}"
    return SourceError("encoding-error", note, byte_offset=offset)


def find_decode_error(path: str, encoding: str, start: int = 0) -> SourceError | None:
    """Scan a file in chunks for the first byte that does not decode (bounded memory)."""
    decoder = codecs.getincrementaldecoder(python_codec(encoding))("strict")
    with open(path, "rb") as f:
        f.seek(start)
        position = start
        while True:
            chunk = f.read(CHUNK_BYTES)
            pending = len(decoder.getstate()[0])
            try:
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                offset = position - pending + exc.start
                byte = (decoder.getstate()[0] + chunk)[exc.start] if pending else chunk[exc.start]
                return _error(encoding, offset, byte)
            if not chunk:
                return None
            position += len(chunk)


def scan_bytes(path: str, start: int = 0) -> tuple[int, int | None]:
    """How many NUL bytes a file holds and the offset of the first (memchr speed, chunked)."""
    count, first = 0, None
    with open(path, "rb") as f:
        f.seek(start)
        position = start
        while chunk := f.read(CHUNK_BYTES):
            at = chunk.find(0)  # counting is ten times slower than finding: only when found
            if at >= 0:
                count += chunk.count(0)
                if first is None:
                    first = position + at
            position += len(chunk)
    return count, first
