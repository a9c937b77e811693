"""A text file re-encoded as UTF-8, chunk by chunk, with two quote-aware rewrites.

- Re-encoding: GB18030 and UTF-16 are decoded strictly and re-encoded as UTF-8 (UTF-8 input
  passes through as bytes).
- A multi-byte delimiter (the full-width comma) becomes a one-byte stand-in outside quotes.
- An empty line becomes a line holding only ``BLANK_MARK``, so the reader can tell an empty line
  (a row with no cells for frictionless) from a row of empty cells such as ",,".

The CSV reader streams this into a temporary file that pyarrow then reads natively (see
``delimited._source``). Quotes are tracked by parity across chunks ('""' inside a quoted cell
toggles twice), as RFC 4180 quoting gives; a stray quote inside an unquoted cell can mislead it.
"""

from __future__ import annotations

import codecs
import re

from opendata.core.readers.base import SourceError
from opendata.core.readers.encoding import CHUNK_BYTES, UTF8, UTF8_SIG, python_codec

BLANK_MARK = "\x1e"  # ASCII record separator: never in real CSV text
_LINE_BREAK = r"(\r\n|\n|\r(?!\n))(?=[\r\n])"  # a line break directly followed by another


class _QuoteAware:
    """Applies a rewrite to the text outside quoted cells, across chunks, as csv parses quotes.

    A quote opens a quoted cell only at the start of a field (after a delimiter, a line break or
    at the start of the file); inside, '""' is an escaped quote and a lone quote closes the
    cell. Elsewhere a quote is plain text, as in Python's csv module.
    """

    def __init__(self, kind: type, delimiter: str, rewrite, needed):  # type: ignore[no-untyped-def]
        def cast(text: str):  # type: ignore[no-untyped-def]
            return text if kind is str else text.encode("utf-8")

        self._quote, self._empty = cast('"'), cast("")
        self._starts = {cast(delimiter), cast("\r"), cast("\n")}
        self._rewrite = rewrite
        self._needed = needed
        self._inside = False
        self._previous = cast("\n")  # the start of the file is the start of a field

    def __call__(self, data):  # type: ignore[no-untyped-def]
        quote, parts = self._quote, data.split(self._quote)
        flags = self._flags_by_parity(parts)
        if flags is None:
            flags = self._flags_by_rules(parts)
        if not self._needed(data):
            return data  # nothing to rewrite in this chunk: only the quote state moved on
        rewrite, needed = self._rewrite, self._needed
        return quote.join(
            [
                p if inside or not p or not needed(p) else rewrite(p)
                for p, inside in zip(parts, flags, strict=True)
            ]
        )

    def _flags_by_parity(self, parts):  # type: ignore[no-untyped-def]
        """Inside/outside per part by quote parity, or None where csv's rules would differ.

        Parity is right when every quote that opens (by parity) stands at the start of a field:
        the text outside quotes before it ends with a delimiter or line break, or is empty
        between two quotes ('""' inside a quoted cell). Checked at C speed in the common case.
        """
        last, first = len(parts) - 1, 1 if self._inside else 0
        outside = parts[first:last:2]  # outside parts that a quote follows
        if outside:
            starts = self._starts
            if first == 0 and not outside[0] and self._previous not in starts:
                return None
            if not all(p[-1:] in starts for p in outside if p):
                return None
        flags = [self._inside, not self._inside] * (last // 2 + 1)
        del flags[last + 1 :]
        if last % 2:  # an odd number of quotes
            self._inside = not self._inside
        self._previous = parts[-1][-1:] if parts[-1] else (self._quote if last else self._previous)
        return flags

    def _flags_by_rules(self, parts):  # type: ignore[no-untyped-def]
        """Inside/outside per part following csv's state machine, quote by quote."""
        quote = self._quote
        inside, previous = self._inside, self._previous
        flags: list[bool] = []
        i, last = 0, len(parts) - 1
        while True:
            flags.append(inside)
            if parts[i]:
                previous = parts[i][-1:]
            if i == last:
                break
            if inside and not parts[i + 1] and i + 1 < last:  # '""': an escaped quote
                flags.append(True)
                i += 2
                previous = quote
                continue
            inside = not inside if inside else previous in self._starts
            previous = quote
            i += 1
        self._inside, self._previous = inside, previous
        return flags


def _blank_line_marker(kind: type, delimiter: str) -> _QuoteAware:
    if kind is str:
        pattern, mark, pairs = re.compile(_LINE_BREAK), BLANK_MARK, ("\n\n", "\r\r", "\n\r")
    else:
        pattern = re.compile(_LINE_BREAK.encode())
        mark, pairs = BLANK_MARK.encode(), (b"\n\n", b"\r\r", b"\n\r")
    repl = (r"\1" + BLANK_MARK) if kind is str else (rb"\1" + mark)
    cr = pairs[1][:1]

    def needed(part) -> bool:  # type: ignore[no-untyped-def]
        # two-byte searches are slow where line breaks are dense: one, unless there is a CR
        return pairs[0] in part or (cr in part and (pairs[1] in part or pairs[2] in part))

    return _QuoteAware(kind, delimiter, lambda part: pattern.sub(repl, part), needed)


class TranscodingStream:
    """A read-only binary stream of UTF-8 bytes for pyarrow (see the module docstring).

    At the first byte that does not decode, the stream ends at the last line break before it
    and ``error`` holds an encoding-error with the byte offset.
    """

    def __init__(
        self,
        path: str,
        encoding: str,
        start: int,
        *,
        delimiter: str = ",",
        replace: tuple[str, str] | None = None,
        mark_blank_lines: bool = False,
    ):
        self._file = open(path, "rb")  # noqa: SIM115 (closed by close())
        self._file.seek(start)
        self._position = start
        self._encoding = encoding
        self._passthrough = encoding in (UTF8, UTF8_SIG) and replace is None
        kind = bytes if self._passthrough else str
        self._decoder = codecs.getincrementaldecoder(python_codec(encoding))("strict")
        self._rewrites = []
        if replace:
            old, new = replace
            self._rewrites.append(
                _QuoteAware(str, old, lambda p: p.replace(old, new), lambda p: old in p)
            )
        if mark_blank_lines:
            self._rewrites.append(_blank_line_marker(kind, replace[1] if replace else delimiter))
        self._carry = kind()
        self._buffer = bytearray()
        self._eof = False
        self.written = 0  # UTF-8 bytes produced
        self.error: SourceError | None = None
        self.closed = False

    @property
    def position(self) -> int:
        """Bytes of the source file consumed so far."""
        return self._position

    def read(self, size: int = -1) -> bytes:
        want = CHUNK_BYTES if size is None or size < 0 else size
        while len(self._buffer) < want and not self._eof:
            self._fill()
        if len(self._buffer) <= want:
            out = bytes(self._buffer)
            self._buffer.clear()
            return out
        out = bytes(self._buffer[:want])
        del self._buffer[:want]
        return out

    def _fill(self) -> None:
        chunk = self._file.read(CHUNK_BYTES)
        self._eof = not chunk
        self._position += len(chunk)
        data = chunk if self._passthrough else self._decode(chunk)
        data = self._carry + data
        if not self._eof:
            # Hold back trailing line breaks: the next chunk may start with another one.
            # and quotes: '""' split by a chunk edge must be seen whole
            kept = data.rstrip('\r\n"' if isinstance(data, str) else b'\r\n"')
            data, self._carry = kept, data[len(kept) :]
        else:
            self._carry = data[:0]
        for rewrite in self._rewrites:
            data = rewrite(data)
        encoded = data if isinstance(data, bytes) else data.encode("utf-8")
        self.written += len(encoded)
        self._buffer += encoded

    def _decode(self, chunk: bytes) -> str:
        pending = self._decoder.getstate()[0]
        try:
            return self._decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            data = pending + chunk
            offset = self._position - len(chunk) - len(pending) + exc.start
            note = (
                f"byte 0x{data[exc.start]:02x} at byte offset {offset} cannot be decoded as "
                f"{self._encoding}"
            )
            self.error = SourceError("encoding-error", note, byte_offset=offset)
            good = data[: exc.start].decode(python_codec(self._encoding), errors="replace")
            cut = max(good.rfind("\n"), good.rfind("\r"))
            self._eof = True
            return good[: cut + 1] if cut >= 0 else ""

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def close(self) -> None:
        if not self.closed:
            self._file.close()
            self.closed = True
