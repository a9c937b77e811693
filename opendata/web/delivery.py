"""How the portal's bytes travel: gzip-compressed pages and a stylesheet browsers keep for a year.

Pages and the stylesheet are gzip-compressed (the standard library's gzip; werkzeug parses
Accept-Encoding) when the browser accepts it and they are at least 1 KB: a dataset page shrinks to
about a fifth, most of what a phone on a slow network waits for before the first paint. Only the
portal's own routes are compressed; files, feeds and the API keep their bytes, byte ranges and
validators (a reverse proxy may compress those). The stylesheet's URL carries a hash of its content
(``/assets/portal.css?v=…``), so it is cached as immutable: a new stylesheet is a new URL.
"""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

from flask import Flask, Response, request

STATIC = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600
MIN_BYTES = 1024
COMPRESSED = frozenset({"text/html", "text/css"})
_VERSIONS = "opendata.web.asset_versions"


def init_app(app: Flask, page_blueprints: tuple[str, ...]) -> None:
    """Compress the portal's answers and cache its versioned assets."""
    app.extensions[_VERSIONS] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()[:12]
                                 for p in STATIC.iterdir() if p.is_file()}
    app.add_template_global(lambda name: app.extensions[_VERSIONS].get(name, ""), "asset_version")

    @app.after_request
    def _deliver(response: Response) -> Response:
        if request.blueprint not in page_blueprints:
            return response
        if request.endpoint == "web.static" and response.status_code in (200, 304):
            asked, name = request.args.get("v"), (request.view_args or {}).get("filename", "")
            if asked and asked == app.extensions[_VERSIONS].get(name):
                response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable"
        return compress(response)


def compress(response: Response) -> Response:
    """The response gzip-compressed when the browser takes gzip and it is worth it (1 KB or more of text)."""
    response.vary.add("Accept-Encoding")
    if (response.status_code != 200 or response.mimetype not in COMPRESSED
            or (response.is_streamed and not response.direct_passthrough)
            or "Content-Encoding" in response.headers or not request.accept_encodings["gzip"]):
        return response
    response.direct_passthrough = False  # a static file: read it to compress it
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    if response.headers.get("ETag"):  # another representation, another validator (RFC 9110 8.8.3)
        etag, weak = response.get_etag()
        response.set_etag(f"{etag}-gzip", weak=weak)
    return response
