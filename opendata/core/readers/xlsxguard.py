"""XLSX workbooks checked before and while their XML is parsed: zip bombs, XML bombs, huge cells.

Before openpyxl opens a workbook, :func:`check_zip` refuses an archive that unpacks beyond
``max_xlsx_uncompressed_bytes`` (zipfile never returns more than a member's declared size, so the
declared sizes bound what can be unpacked), members compressed beyond a plausible ratio, XML
with DOCTYPE/ENTITY declarations or CDATA sections, and a shared-strings table holding a text
beyond the cell limit (openpyxl loads that table whole). The sheet itself is read through
:class:`GuardedXml`, which refuses such a text while it streams, before the parser has it whole.
"""

from __future__ import annotations

import re
import zipfile
from typing import BinaryIO

from opendata.core.errors import InputError, LimitError
from opendata.core.readers.base import ReadLimits, limit_problem, public_text

SHARED_STRINGS = "xl/sharedStrings.xml"
_PROLOG_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
# A text run between two '<' longer than this is beyond any cell within the limit, even written
# with XML escapes (up to 6 bytes per byte, as &quot;); check_cells then checks cells exactly.
_ESCAPE_FACTOR = 6
_CDATA = b"<![CDATA["


def check_zip(path: str, limits: ReadLimits) -> None:
    """Refuse zip bombs, XML bombs and oversized shared strings before any XML is parsed."""
    name = path.rsplit("/", 1)[-1]
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            total = sum(info.file_size for info in infos)
            packed = sum(info.compress_size for info in infos)
            if total > limits.max_xlsx_uncompressed_bytes:
                raise LimitError(
                    f"{name}: the workbook unpacks to {total:,} bytes; the limit is "
                    f"{limits.max_xlsx_uncompressed_bytes:,}", problems=[limit_problem("workbook-bytes")])
            for info in infos:
                ratio = info.file_size / max(info.compress_size, 1)
                if info.file_size > 1024 * 1024 and ratio > limits.max_xlsx_compression_ratio:
                    raise InputError(
                        f"{name}: zip bomb: {info.filename} is compressed {ratio:,.0f} to 1 "
                        f"(limit {limits.max_xlsx_compression_ratio:,.0f} to 1)"
                    )
            if packed and total / packed > limits.max_xlsx_compression_ratio and total > 2**24:
                raise InputError(f"{name}: zip bomb: compressed {total / packed:,.0f} to 1")
            for info in infos:
                if info.filename.endswith((".xml", ".rels", ".vml")):
                    _check_xml_prolog(archive, info, name)
            if SHARED_STRINGS in archive.namelist():
                with archive.open(SHARED_STRINGS) as member:
                    guarded = GuardedXml(member, limits, part=SHARED_STRINGS, name=name)
                    while guarded.read(_CHUNK):
                        pass
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError) as exc:
        raise InputError(f"{name}: a damaged XLSX workbook ({public_text(str(exc), path)})") from None


def _check_xml_prolog(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str) -> None:
    """DTDs can only come before the root element: read up to it and look for one."""
    with archive.open(info) as member:
        prolog = b""
        while len(prolog) < _PROLOG_BYTES * 16:
            chunk = member.read(_PROLOG_BYTES)
            if not chunk:
                break
            prolog += chunk
            if re.search(rb"<[A-Za-z_]", prolog.replace(b"<!", b"").replace(b"<?", b"")):
                break
    if b"<!DOCTYPE" in prolog.upper() or b"<!ENTITY" in prolog.upper():
        raise InputError(
            f"{name}: {info.filename} declares a DOCTYPE or XML entities (a possible "
            "entity-expansion bomb); XLSX files never need them"
        )


class GuardedXml:
    """A read-only stream over an XML part that refuses, as the bytes go by, a text longer than
    any cell within ``max_cell_bytes`` may be, and CDATA sections (Excel never writes them; they
    could hide such a text from this check)."""

    def __init__(self, inner: BinaryIO, limits: ReadLimits, *, part: str, name: str):
        self._inner = inner
        self._part, self._name = part, name
        self._cell_limit = limits.max_cell_bytes
        self._run_limit = limits.max_cell_bytes * _ESCAPE_FACTOR + 64
        self._run = 0  # bytes since the last '<'
        self._tail = b""  # the last bytes, for a CDATA marker cut by a read boundary

    def read(self, size: int = -1) -> bytes:
        data = self._inner.read(size)
        if data:
            self._check(data)
        return data

    def _check(self, data: bytes) -> None:
        if _CDATA in self._tail + data[: len(_CDATA)] or _CDATA in data:
            raise InputError(f"{self._name}: {self._part} holds a CDATA section; XLSX files never need one")
        self._tail = data[-len(_CDATA):]
        first = data.find(b"<")
        if first < 0:
            self._run += len(data)
        else:
            self._refuse_beyond(self._run + first)
            if len(data) > self._run_limit:  # parsers read small chunks: only then can a run hide inside
                self._refuse_beyond(_longest_run(data, first))
            self._run = len(data) - data.rfind(b"<") - 1
        self._refuse_beyond(self._run)

    def _refuse_beyond(self, run: int) -> None:
        if run > self._run_limit:
            raise LimitError(f"{self._name}: {self._part} holds a cell of more than {self._run_limit:,} bytes; "
                             f"the limit is {self._cell_limit:,}", problems=[limit_problem("cell-bytes")])

    def close(self) -> None:
        self._inner.close()

    def __enter__(self) -> GuardedXml:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _longest_run(data: bytes, first: int) -> int:
    """The longest stretch between two '<' inside ``data`` (from its first '<' on)."""
    last = data.rfind(b"<")
    if last == first:
        return 0
    return max(map(len, data[first + 1:last].split(b"<")), default=0)
