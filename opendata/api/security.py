"""Security headers on every response, and a request id that ties a response to the audit log.

The Content-Security-Policy allows only our own origin (no CDN: the portal and the Swagger UI
serve their assets locally). The Swagger UI page at /api/docs needs one inline script: it is
allowed by its sha256 hash, computed from the page actually served, never by 'unsafe-inline'.
"""

from __future__ import annotations

import base64
import hashlib
import re
import uuid

from flask import Flask, current_app, g, request
from werkzeug.wrappers import Response

CSP = ("default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
}
HSTS = "max-age=31536000"
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.S)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def init_app(app: Flask) -> None:
    """Assign a request id before each request; add the security headers to every response."""
    app.before_request(_assign_request_id)
    app.after_request(add_security_headers)


def _assign_request_id() -> None:
    request_id()  # a before_request hook that returned a value would become the response


def request_id() -> str:
    """This request's id: a well-formed incoming X-Request-ID (from a proxy), else a new one."""
    if "request_id" not in g:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
    return g.request_id


def add_security_headers(response: Response) -> Response:
    """Headers for every answer: JSON, HTML, errors and file downloads alike.

    A header the view already set is kept. One pass over the headers: this runs on every
    request, downloads included, where a lookup per header name costs more than the rest.
    """
    headers = response.headers
    present = {name.lower() for name, _ in headers.items()}
    extra = [(name, value) for name, value in STATIC_HEADERS.items() if name.lower() not in present]
    if "content-security-policy" not in present:
        extra.append(("Content-Security-Policy", _csp_for(response)))
    if request.is_secure and "strict-transport-security" not in present:
        extra.append(("Strict-Transport-Security", HSTS))
    if "request_id" in g:
        if "x-request-id" in present:
            del headers["X-Request-ID"]
        extra.append(("X-Request-ID", g.request_id))
    # Answers depend on who asks: shared caches must not serve one caller's answer to another.
    if "vary" in present:
        response.vary.add("Authorization")
    else:
        extra.append(("Vary", "Authorization"))
    if "cache-control" not in present and request.headers.get("Authorization"):
        extra.append(("Cache-Control", "private"))
    headers.extend(extra)
    return response


def _csp_for(response: Response) -> str:
    if response.mimetype != "text/html" or request.path != _swagger_ui_path() or response.is_streamed:
        return CSP
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(body).digest()).decode()}'"
                      for body in _INLINE_SCRIPT.findall(response.get_data()))
    return f"{CSP}; script-src 'self' {hashes}; style-src 'self' 'unsafe-inline'"


def _swagger_ui_path() -> str | None:
    path = current_app.config.get("OPENAPI_SWAGGER_UI_PATH")
    if not path:
        return None
    return f"{current_app.config.get('OPENAPI_URL_PREFIX', '').rstrip('/')}/{path.lstrip('/')}"
