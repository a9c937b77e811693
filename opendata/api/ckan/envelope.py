"""CKAN's answer envelope in one place: ``{help, success, result}`` and ``{help, success: false, error}``.

The action view wraps its results and CKAN errors here; :func:`register` makes the app's error
handlers (opendata.api.errors) answer in the same envelope for every error under the CKAN paths,
wherever it comes from: authentication (a before_request hook), the rate limiter, routing (404,
405), request size, an unexpected failure. ckanapi turns ``error.__type`` back into its exceptions
(``Authorization Error`` → NotAuthorized, ``Not Found Error`` → NotFound, ...); the HTTP status
stays the one our handlers chose (401/403/400/405/429...).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request

from opendata.api.auth import CKAN_PREFIXES as PREFIXES
from opendata.api.urls import links

_ACTION = re.compile(r"/api/(?:3/)?action/([^/]+)/?")
# credentials refused by opendata.api.auth (a token outside the header is a 400, still a credentials error)
_AUTH_CODES = ("unauthorized", "forbidden", "token-not-in-header")


def register(app: Flask) -> None:
    """Answer errors under the CKAN paths in CKAN's envelope."""
    from opendata.api.errors import register_error_shape

    register_error_shape(app, PREFIXES, http_error)


def help_url(name: str | None = None) -> str:
    return links().url("/api/3/action/help_show" + (f"?name={name}" if name else ""))


def _action_name() -> str | None:
    m = _ACTION.fullmatch(request.path)
    return m.group(1) if m else None


def success(result: Any, name: str) -> dict[str, Any]:
    return {"help": help_url(name), "success": True, "result": result}


def failure(error: dict[str, Any], name: str | None = None) -> dict[str, Any]:
    """The error envelope; ``name`` defaults to the action of the request path."""
    return {"help": help_url(name or _action_name()), "success": False, "error": error}


def error_dict(status: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """CKAN's ``error`` for one of our errors (HTTP status, our code, message, problems)."""
    if status in (401, 403) or code in _AUTH_CODES:
        return {"__type": "Authorization Error", "message": f"Access denied: {message}"}
    if status == 404:
        return {"__type": "Not Found Error", "message": f"Not found: {message}"}
    if status in (409, 422):
        return {"__type": "Validation Error", **_fields(message, errors)}
    if status == 429:
        return {"__type": "Too Many Requests",
                "message": f"Rate limit exceeded ({message}): retry after the seconds given in Retry-After"}
    if status >= 500:
        return {"__type": "Internal Server Error", "message": message}
    return {"__type": "Bad Request", "message": f"Bad request - {message}"}


def http_error(status: int, code: str, message: str, errors: Any = None) -> dict[str, Any]:
    """The error shape for opendata.api.errors: the whole envelope."""
    return failure(error_dict(status, code, message, errors))


def _fields(message: str, errors: Any) -> dict[str, list[str]]:
    """Field lists as CKAN's Validation Error has them (problems by path; else under ``data``)."""
    fields: dict[str, list[str]] = {}
    for p in errors if isinstance(errors, list) else []:
        if isinstance(p, dict):
            fields.setdefault(str(p.get("path") or "data"), []).append(str(p.get("message", "")))
    return fields or {"data": [message]}
