"""One place where errors become HTTP: the JSON shape ``{code, status, message, errors}``."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException

from opendata.core.errors import (
    ConflictError,
    InputError,
    NotFoundError,
    OpendataError,
    SchemaError,
    ValidationError,
)

_STATUS = {
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,
    SchemaError: 422,
    InputError: 422,
}


def error_body(status: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """The one error shape of /api/v1."""
    return {"code": code, "status": status, "message": message, "errors": errors or {}}


def status_for(exc: OpendataError) -> int:
    for cls in type(exc).__mro__:
        if cls in _STATUS:
            return _STATUS[cls]
    return getattr(exc, "http_status", 400)


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-").replace("'", "")


def init_app(app: Flask) -> None:
    """Register the handlers that turn every error into the one JSON shape."""

    @app.errorhandler(OpendataError)
    def _domain_error(exc: OpendataError):
        status = status_for(exc)
        errors = [p.to_dict() for p in exc.problems] if exc.problems else {}
        return jsonify(error_body(status, exc.code, exc.message, errors)), status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        data = getattr(exc, "data", None) or {}
        errors = data.get("messages") or data.get("errors") or {}
        message = exc.description if isinstance(exc.description, str) else exc.name
        body = error_body(exc.code or 500, _slug(exc.name), message, errors)
        response = jsonify(body)
        response.status_code = exc.code or 500
        for key, value in (getattr(exc, "get_headers", lambda: [])() or []):
            if key.lower() not in ("content-type", "content-length"):
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):  # the last resort: log it, never leak internals
        app.logger.exception("unhandled error")
        return jsonify(error_body(500, "internal-error", "an internal error occurred; it has been logged")), 500
