"""Answers that send a stored file: by the WSGI server itself, or by nginx through X-Accel-Redirect.

Both ways the app decides everything a download depends on (who may have it, 404, the ETag and
Last-Modified, 304 for If-None-Match / If-Modified-Since, 416 for a Range beyond the end, the
file name, whether it counts as a download). Only the bytes are sent differently:

- ``OPENDATA_ACCEL_REDIRECT_PREFIX`` empty (the default): werkzeug's ``make_conditional`` answers
  Range (206) and gunicorn sends the file with ``sendfile(2)``.
- set (for example ``/_opendata_files/``): the answer is an empty 200 with ``X-Accel-Redirect`` to
  that internal nginx location, which maps ``$OPENDATA_HOME``; nginx sends the file and answers
  the Range. ``opendata nginx-config`` prints the location, with the ``add_header`` lines that carry
  this app's headers over the redirect (nginx passes only a few of an upstream's headers on).

Only a Range of one ``bytes`` range is answered (206, or 416 when it starts past the end); any other
Range header (another unit, several ranges: no multipart answers here, or not a range at all) is
ignored as RFC 9110 §14.2 allows or requires, and the whole file is sent (200). nginx would still see
such a header after a redirect and may answer it its own way (multipart, 416), so those answers are
sent by the app itself even when X-Accel-Redirect is configured (rare; nginx buffers them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import quote

from flask import Response, current_app, request
from werkzeug.datastructures import Range
from werkzeug.exceptions import RequestedRangeNotSatisfiable
from werkzeug.http import parse_range_header
from werkzeug.sansio.http import is_resource_modified
from werkzeug.wsgi import wrap_file

from opendata.api.security import STATIC_HEADERS

# nginx copies only Content-Type, Content-Disposition, Cache-Control, Expires, Set-Cookie and
# Accept-Ranges from an upstream answer over X-Accel-Redirect; every other header this app sets on
# a file answer is carried by an add_header line (tests/api/test_accel_redirect.py checks with nginx).
CARRIED = ("ETag", "Last-Modified", "X-Dataset-Version", "Digest", "X-Request-ID", "Vary",
           "Content-Security-Policy", *STATIC_HEADERS, "Strict-Transport-Security")


@dataclass(frozen=True)
class StoredFile:
    """A stored file with what its HTTP headers need.

    ``path`` is the file itself when it is under ``$OPENDATA_HOME`` (sendfile(2), X-Accel-Redirect);
    None for an object in object storage, read through ``opener`` (a seekable reader).
    """

    path: Path | None
    size: int  # of the answer's whole body: the prefix and the file
    sha256: str
    media_type: str
    last_modified: datetime | None = None
    prefix: bytes = b""  # sent before the file (the BOM of an Excel CSV stored as the canonical one)
    opener: Callable[[], BinaryIO] | None = None

    def open(self) -> BinaryIO:
        """A reader of the stored bytes (the local file, or the object store's ranged reader)."""
        return open(self.path, "rb") if self.path is not None else self.opener()  # noqa: SIM115


def send_stored(f: StoredFile, *, home: Path, accel_prefix: str, cache_control: str,
                on_first_byte: Callable[[], None] | None = None) -> Response:
    """The answer for a GET or HEAD of ``f``: 200, 206, 304 or 416, sent by gunicorn or by nginx.

    ``on_first_byte`` runs when the answer starts the file for a GET (a whole file, or a Range
    from byte 0): that is what counts as one download.
    """
    environ = _answered_environ(request.environ)
    # an ignored Range is not for nginx to see, and nginx cannot send a prefix before the file
    if not accel_prefix or environ is not request.environ or f.prefix or f.path is None:
        return _send_here(f, cache_control, on_first_byte, environ)
    response = _validators(current_app.response_class(b"", mimetype=f.media_type), f, cache_control)
    response.make_conditional(environ)  # 304 here: no redirect, nothing for nginx to send
    if response.status_code != 200:
        return response
    wanted = _applicable_range(f, environ)
    if wanted is not None and wanted.range_for_length(f.size) is None:
        raise RequestedRangeNotSatisfiable(length=f.size)
    if wanted is None or _starts_file(wanted):
        _started(on_first_byte)
    response.headers["X-Accel-Redirect"] = accel_prefix + quote(f.path.relative_to(home).as_posix())
    return response


def send_redirect(f: StoredFile, url: str, *, on_first_byte: Callable[[], None] | None = None) -> Response:
    """The answer that sends ``f`` from the object store: 302 to a short-lived presigned ``url``.

    The caller has decided everything else (who may have the file). If-None-Match / If-Modified-Since
    that match the sha256 and publication time still answer 304 here, without a URL; the redirect
    itself is never cached (``private, no-store``: its URL expires). The store answers the Range.
    """
    environ = _answered_environ(request.environ)
    response = _validators(current_app.response_class(b"", mimetype=f.media_type), f, "private, no-store")
    response.make_conditional(environ)
    if response.status_code == 304:
        return response
    response = current_app.response_class(b"", status=302)
    response.headers["Location"] = url
    response.headers["Cache-Control"] = "private, no-store"
    wanted = _applicable_range(f, environ)
    if wanted is None or _starts_file(wanted):
        _started(on_first_byte)
    return response


def _send_here(f: StoredFile, cache_control: str, on_first_byte: Callable[[], None] | None,
               environ: dict) -> Response:
    """What ``send_file(conditional=True)`` answers, from what the database already knows of the file.

    The stored file is immutable and its size recorded, so there is nothing to stat or guess: the
    answer is built from werkzeug's own parts (``wrap_file`` lets gunicorn use sendfile(2), and
    ``make_conditional`` answers 304, 206 and 416) over ``environ``, the request without a Range
    header that must be ignored.
    """
    fh = f.open()  # closed by the server through the file wrapper
    if f.prefix:
        fh = _Prefixed(f.prefix, fh)
    # an object store's reader: fewer, larger reads of its ranged GET than the 8 KiB default
    buffer = 8192 if f.path is not None else 256 * 1024
    response = _validators(current_app.response_class(wrap_file(environ, fh, buffer), mimetype=f.media_type,
                                                      direct_passthrough=True), f, cache_control)
    response.content_length = f.size
    try:
        response.make_conditional(environ, accept_ranges=True, complete_length=f.size)
    except RequestedRangeNotSatisfiable:
        fh.close()
        raise
    if response.status_code == 304:
        fh.close()
    elif response.status_code == 200 or _starts_file(parse_range_header(environ.get("HTTP_RANGE"))):
        _started(on_first_byte)
    if response.status_code == 206:  # the server's file wrapper again, over the range: sendfile(2) for it too
        part = response.content_range
        response.response = wrap_file(request.environ, _Part(fh, part.start, part.stop - part.start), buffer)
    return response


class _Prefixed:
    """``prefix`` then an open file, as one file: ``seek`` and ``read`` over both. No ``fileno()``,
    so the server copies it (sendfile(2) cannot put bytes before a file)."""

    def __init__(self, prefix: bytes, fh):  # noqa: ANN001 (a binary file object)
        self._prefix, self._fh, self._pos = prefix, fh, 0

    def seek(self, offset: int) -> None:
        self._pos = offset
        self._fh.seek(max(0, offset - len(self._prefix)))

    def read(self, size: int = -1) -> bytes:
        head = b""
        if self._pos < len(self._prefix):
            end = len(self._prefix) if size < 0 else min(len(self._prefix), self._pos + size)
            head = self._prefix[self._pos:end]
            self._pos = end
            if size >= 0:
                size -= len(head)
                if size == 0:
                    return head
        data = self._fh.read(size)
        self._pos += len(data)
        return head + data

    def close(self) -> None:
        self._fh.close()


class _Part:
    """One byte range of an open file, as a file: ``fileno()`` positioned at the start for sendfile(2)
    (gunicorn sends Content-Length bytes from the current offset), ``read()`` ending at the range's end
    for servers that iterate the file wrapper instead."""

    def __init__(self, fh, start: int, length: int):  # noqa: ANN001 (a binary file object)
        fh.seek(start)
        self._fh, self._left = fh, length

    def fileno(self) -> int:
        return self._fh.fileno()

    def read(self, size: int = -1) -> bytes:
        data = self._fh.read(self._left if size < 0 else min(size, self._left))
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()


def _validators(response: Response, f: StoredFile, cache_control: str) -> Response:
    """ETag (the sha256), Last-Modified and Cache-Control: the same whoever sends the bytes."""
    response.set_etag(f.sha256)
    response.last_modified = f.last_modified
    response.headers["Cache-Control"] = cache_control
    return response


# One suffix range of length zero: a valid range no file satisfies (416), which werkzeug cannot parse.
_EMPTY_SUFFIX = re.compile(r"[ \t]*bytes[ \t]*=[ \t]*-[ \t]*0+[ \t]*", re.IGNORECASE)


def _answered_environ(environ: dict) -> dict:
    """``environ`` itself when it has no Range or one this app answers (a single ``bytes`` range,
    satisfiable or not); else a copy without the Range, which RFC 9110 §14.2 lets (for several or
    invalid ranges) or makes (for another unit) the server ignore: the answer is then the whole file."""
    header = environ.get("HTTP_RANGE")
    if header is None or _EMPTY_SUFFIX.fullmatch(header):
        return environ
    rng = parse_range_header(header)
    if rng is not None and rng.units == "bytes" and len(rng.ranges) == 1:
        return environ
    return {k: v for k, v in environ.items() if k != "HTTP_RANGE"}


def _applicable_range(f: StoredFile, environ: dict) -> Range | None:
    """The request's Range, unless an If-Range that no longer matches makes it a whole-file request
    (``environ`` has no Range that must be ignored; ``bytes=-0``, the one werkzeug cannot parse, is
    given as a range past the end: 416)."""
    if "HTTP_RANGE" not in environ:
        return None
    if "HTTP_IF_RANGE" in environ and is_resource_modified(
            http_range=environ["HTTP_RANGE"], http_if_range=environ["HTTP_IF_RANGE"], etag=f.sha256,
            last_modified=f.last_modified, ignore_if_range=False):
        return None
    rng = parse_range_header(environ["HTTP_RANGE"])
    return rng if rng is not None else Range("bytes", [(f.size, None)])  # bytes=-0: nothing to send


def _starts_file(rng: Range | None) -> bool:
    return rng is not None and bool(rng.ranges) and rng.ranges[0][0] == 0


def _started(callback: Callable[[], None] | None) -> None:
    if callback is not None and request.method == "GET":
        callback()


def nginx_location(prefix: str, home: Path) -> str:
    """The nginx ``location`` block that serves ``$OPENDATA_HOME`` to X-Accel-Redirect answers only."""
    carried = "\n".join(f"    add_header {name} $upstream_http_{name.lower().replace('-', '_')} always;"
                        for name in CARRIED)
    return (f"# opendata: files under OPENDATA_HOME, reachable only through the app's X-Accel-Redirect\n"
            f"location {prefix} {{\n"
            f"    internal;\n"
            f"    alias {home.as_posix().rstrip('/')}/;\n"
            f"    etag off;               # the app's ETag is the file's sha256 (carried below)\n"
            f"    if_modified_since off;  # the app has answered If-None-Match / If-Modified-Since already\n"
            f"    sendfile on;\n"
            f"    tcp_nopush on;\n"
            f"{carried}\n"
            f"}}\n")
