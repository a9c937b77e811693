"""One place where errors become HTTP: the table :data:`STATUS` and the JSON shape ``{code, status, message, errors}``.

Services raise domain errors only (opendata.core.errors and the few defined beside their use
case); which status each one answers is decided here, in :data:`STATUS`, and nowhere else. Pages
and browsers get the same errors as the portal's HTML page (opendata/api/html.py).

An API with an envelope of its own (CKAN's under /api/3, see opendata/api/ckan/envelope.py)
registers it for its path prefixes with :func:`register_error_shape`; every handler below then
answers in that shape there, with the same status and headers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from opendata.api.html import browser_wants_html, page_renderer
from opendata.core.childprocess import ChildFailedError
from opendata.core.errors import (
    ArtifactStoreError,
    CatalogError,
    ColumnsWithheldError,
    ConflictError,
    InputError,
    NotFoundError,
    OpendataError,
    QueryTimeoutError,
    SchemaError,
    StorageFullError,
    ValidationError,
)
from opendata.core.showcase import ScreenshotTooLargeError
from opendata.services.access import AuthenticationError, PermissionDeniedError
from opendata.services.requests.attachments import AttachmentTooLargeError
from opendata.services.uploads import (
    ChecksumMismatchError,
    IncompleteUploadError,
    PayloadTooLargeError,
)


class TokenNotInHeaderError(OpendataError):
    """A token was sent in the query string or a cookie (RFC 6750 ``invalid_request``)."""

    code = "token-not-in-header"


class CsrfTokenError(OpendataError):
    """A write by a signed-in browser session without its CSRF token (or with a wrong or old one)."""

    code = "csrf-token-invalid"


class TusVersionError(OpendataError):
    """The client speaks another tus version than ours."""

    code = "tus-version-unsupported"


# Every domain error a request can raise, and its HTTP status (an error not listed answers 400).
STATUS: dict[type[OpendataError], int] = {
    StorageFullError: 507,
    ArtifactStoreError: 503,
    NotFoundError: 404,
    ColumnsWithheldError: 403,
    ConflictError: 409,
    ValidationError: 422,
    SchemaError: 422,
    InputError: 422,
    CatalogError: 422,
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    TokenNotInHeaderError: 400,
    CsrfTokenError: 400,
    IncompleteUploadError: 400,
    PayloadTooLargeError: 413,
    AttachmentTooLargeError: 413,
    ScreenshotTooLargeError: 413,
    TusVersionError: 412,
    ChecksumMismatchError: 460,  # tus checksum extension
    QueryTimeoutError: 503,
    ChildFailedError: 500,  # a child process crashed (a bug, logged): the message says so, nothing more
}
HEADERS: dict[type[OpendataError], dict[str, str]] = {
    QueryTimeoutError: {"Retry-After": "5"},  # a row query that ran out of time may well succeed later
}


def error_body(status: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """The one error shape of /api/v1."""
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


ErrorShape = Callable[[int, str, str, Any], dict[str, Any]]  # (status, code, message, errors) -> body
_SHAPES = "opendata.error_shapes"


def register_error_shape(app: Flask, prefixes: tuple[str, ...], shape: ErrorShape) -> None:
    """Answer errors on paths under ``prefixes`` (a prefix or a subpath of it) with ``shape``."""
    app.extensions.setdefault(_SHAPES, []).append((prefixes, shape))


def error_response(status: int, code: str, message: str, errors: Any = None):
    """The error as a JSON response, in the shape registered for the request path (else the one shape).

    A browser asking for a page (see :func:`opendata.api.html.browser_wants_html`) gets the portal's
    HTML error page with the same status instead.
    """
    render = page_renderer("error") if browser_wants_html() else None
    if render is not None:
        return render(status, code, message, errors)
    path = request.path.rstrip("/") + "/"
    for prefixes, shape in current_app.extensions.get(_SHAPES, ()):
        if any(path.startswith(p.rstrip("/") + "/") for p in prefixes):
            body = shape(status, code, message, errors)
            break
    else:
        body = error_body(status, code, message, errors)
    response = jsonify(body)
    response.status_code = status
    return response


def status_for(exc: OpendataError) -> int:
    """The HTTP status of a domain error: its class's (or nearest base class's) entry in :data:`STATUS`."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def headers_for(exc: OpendataError) -> dict[str, str]:
    """Extra response headers of a domain error (Retry-After on a query timeout)."""
    for cls in type(exc).__mro__:
        if cls in HEADERS:
            return HEADERS[cls]
    return {}


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into the one JSON shape."""

    @app.errorhandler(OpendataError)
    def _domain_error(exc: OpendataError):
        status = status_for(exc)
        errors = [p.to_dict() for p in exc.problems] if exc.problems else {}
        response = error_response(status, exc.code, exc.message, errors)
        response.headers.update(headers_for(exc))
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        errors = data.get("messages") or data.get("errors") or {}
        message = exc.description if isinstance(exc.description, str) else exc.name
        response = error_response(exc.code or 500, _slug(exc.name), message, errors)
        for key, value in (getattr(exc, "get_headers", lambda: [])() or []):
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # the last resort: log it, never leak internals
        app.logger.exception("unhandled error")
        return error_response(500, "internal-error", "an internal error occurred; it has been logged")
