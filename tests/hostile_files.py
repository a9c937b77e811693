"""Hostile uploads, generated on the fly (no large committed files): each is small to send or
streamed, and each passes one of the ingest limits by far. Used by the live test and the bench."""

from __future__ import annotations

import random
import struct
import zlib
from collections.abc import Iterator
from pathlib import Path

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG = "http://schemas.openxmlformats.org/package/2006"
_CT = "application/vnd.openxmlformats-officedocument.spreadsheetml"


def wide_header_csv(columns: int = 100_000) -> bytes:
    """A header-only CSV of ``columns`` columns (689 KB for 100,000)."""
    return (",".join(f"c{i}" for i in range(columns)) + "\n").encode()


def long_cell_csv(cell_bytes: int = 2_000_000) -> bytes:
    """A CSV for (id, name, amount) whose second row holds one cell of ``cell_bytes`` bytes."""
    return b"id,name,amount\n1,a,1\n2," + b"x" * cell_bytes + b",2\n"


def deep_json(depth: int = 100_000) -> bytes:
    """A JSON array of records whose second record nests ``depth`` arrays."""
    return ('[{"id": 1, "name": "a", "amount": 1}, {"id": 2, "name": ' + "[" * depth + "]" * depth
            + ', "amount": 2}]').encode()


def repeated_key_csv(rows: int = 200_000) -> bytes:
    """``rows`` rows that all repeat the primary key 1 (2.9 MB for 200,000)."""
    return ("id,name,amount\n" + "".join(f"1,n{i},{i}\n" for i in range(rows))).encode()


class SingleLine:
    """A file-like body of ``size`` bytes on one line: a header's first cells, then one endless
    cell (made on read from one buffer, never held in memory)."""

    def __init__(self, size: int = 1024**3, head: bytes = b"id,name,amount"):
        self.size, self.pos = size, 0
        self.head = head
        self.block = memoryview(b"x" * (1024 * 1024))

    def read(self, n: int = -1) -> bytes | memoryview:
        n = self.size - self.pos if n is None or n < 0 else min(n, self.size - self.pos)
        if n <= 0:
            return b""
        if self.pos < len(self.head):
            out = self.head[self.pos:self.pos + n]
        else:
            out = self.block[:min(n, len(self.block))]
        self.pos += len(out)
        return out


def xlsx_with_huge_cell(path: Path, cell_bytes: int) -> Path:
    """A valid XLSX (header a, b; row 2 holds 1 and a shared string of ``cell_bytes`` bytes) whose
    shared-strings part compresses about 90 to 1: below any zip-bomb ratio, so only an absolute
    or streaming check can refuse it. Written as repeated deflate blocks: no 1.5 GB is compressed."""
    chunk = _text_chunk(1024 * 1024)
    repeats = max(1, cell_bytes // len(chunk))
    head = f'<sst xmlns="{MAIN}" count="3" uniqueCount="3"><si><t>a</t></si><si><t>b</t></si><si><t>'.encode()
    tail = b"</t></si></sst>"
    members = {
        "[Content_Types].xml": (
            f'<Types xmlns="{PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{_CT}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_CT}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{_CT}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{PKG}/relationships"><Relationship Id="rId1" '
                        f'Type="{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>'),
        "xl/workbook.xml": (f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                            '<sheet name="Sheet" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": (
            f'<worksheet xmlns="{MAIN}"><sheetData>'
            '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
            '<row r="2"><c r="A2"><v>1</v></c><c r="B2" t="s"><v>2</v></c></row></sheetData></worksheet>'),
    }
    with open(path, "wb") as out:
        central = []
        for name, text in members.items():
            data = text.encode()
            packed = _deflate(data, final=True)
            central.append(_member(out, name, packed, zlib.crc32(data), len(data)))
        blocks = [_deflate(head), _deflate(chunk), _deflate(tail, final=True)]
        crc = _crc32_combine(_crc32_combine(zlib.crc32(head), _crc32_repeat(chunk, repeats), len(chunk) * repeats),
                             zlib.crc32(tail), len(tail))
        size = len(head) + len(chunk) * repeats + len(tail)
        central.append(_member(out, "xl/sharedStrings.xml", None, crc, size,
                               parts=(blocks[0], (blocks[1], repeats), blocks[2])))
        start = out.tell()
        for record in central:
            out.write(record)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central),
                              out.tell() - start, start, 0))
    return path


def _text_chunk(n: int) -> bytes:
    """Text with a fresh random word every 800 bytes: deflate packs it about 90 to 1."""
    rnd = random.Random(42)
    words = ("".join(rnd.choices("abcdefghijklmnopqrstuvwxyz", k=8)) + "z" * 792 for _ in range(n // 800 + 1))
    return "".join(words)[:n].encode()


def _deflate(data: bytes, final: bool = False) -> bytes:
    """Raw deflate blocks that refer to nothing before them (so they can be repeated)."""
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush(zlib.Z_FINISH if final else zlib.Z_FULL_FLUSH)


def _member(out, name: str, packed: bytes | None, crc: int, size: int, parts=()) -> bytes:
    """Write one deflated member (``packed``, or ``parts`` with repeated blocks); its central record."""
    offset = out.tell()
    length = len(packed) if packed is not None else sum(
        len(p[0]) * p[1] if isinstance(p, tuple) else len(p) for p in parts)
    encoded = name.encode()
    out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, length, size, len(encoded), 0))
    out.write(encoded)
    for piece in ([packed] if packed is not None else parts):
        if isinstance(piece, tuple):
            block, times = piece
            for _ in range(times):
                out.write(block)
        else:
            out.write(piece)
    return struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0x21, crc, length, size,
                       len(encoded), 0, 0, 0, 0, 0, offset) + encoded


def _crc32_repeat(data: bytes, times: int) -> int:
    """crc32 of ``data`` repeated ``times`` times, by doubling (never builds the bytes)."""
    result, result_len = 0, 0
    power, power_len = zlib.crc32(data), len(data)
    while times:
        if times & 1:
            result = _crc32_combine(result, power, power_len) if result_len else power
            result_len += power_len
        power = _crc32_combine(power, power, power_len)
        power_len *= 2
        times >>= 1
    return result


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """zlib's crc32_combine: the crc of A+B from crc(A), crc(B) and len(B) (GF(2) matrices)."""
    if len2 == 0:
        return crc1

    def times(matrix: list[int], vector: int) -> int:
        total, i = 0, 0
        while vector:
            if vector & 1:
                total ^= matrix[i]
            vector >>= 1
            i += 1
        return total

    def square(matrix: list[int]) -> list[int]:
        return [times(matrix, matrix[n]) for n in range(32)]

    odd = [0xEDB88320] + [1 << n for n in range(31)]
    even = square(odd)
    odd = square(even)
    while True:
        even = square(odd)
        if len2 & 1:
            crc1 = times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = square(even)
        if len2 & 1:
            crc1 = times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def chunks(data: bytes, size: int = 1024 * 1024) -> Iterator[bytes]:
    for i in range(0, len(data), size):
        yield data[i:i + size]
