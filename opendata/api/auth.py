"""Who is calling: ``Authorization: Bearer <token>`` resolves ``flask.g.viewer`` for each request.

Views call :func:`current_viewer` (anonymous callers get ``ANONYMOUS``), :func:`require_scope`
or :func:`require_admin`. A token anywhere else (query string, cookie) is refused, because URLs
and cookies end up in logs, histories and referrers. Without an Authorization header, a signed-in
department-console session (the server-side ``flask.session``, opendata.web.console) is the caller,
with every scope its roles allow; its writes to the API (the console's resumable uploads) must carry
the session's CSRF token in ``X-CSRFToken``, so no other site can make a browser write. A wrong, expired or revoked token answers
401 with ``WWW-Authenticate``; a missing scope 403; always in the one error shape, and the token
itself is never echoed, logged or stored.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from flask import Flask, g, request
from flask import session as browser_session
from flask_wtf.csrf import validate_csrf
from werkzeug.wrappers import Response
from wtforms.validators import ValidationError as CsrfValidationError

from opendata.api.errors import CsrfTokenError, TokenNotInHeaderError
from opendata.core.errors import OpendataError
from opendata.services.access import ANONYMOUS, AuthenticationError, Viewer
from opendata.services.sign_in import Origin, session_viewer
from opendata.services.tokens import TOKEN_PATTERN, token_authenticate
from opendata.services.unit_of_work import run

REALM = "opendata"
# Anything shaped like one of our tokens, for refusing and for redacting.
CKAN_PREFIXES = ("/api/3", "/api/action")  # the CKAN Action API (opendata/api/ckan); ckanapi calls /api/action
TOKEN_LIKE = re.compile(r"od_[0-9a-f]{10}_[A-Za-z0-9_-]+")
_QUERY_NAMES = ("access_token", "token", "api_key", "apikey")
LOGGERS_TO_REDACT = ("werkzeug", "flask.app", "opendata", "gunicorn.access", "gunicorn.error", "flask-limiter")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CSRF_HEADER = "X-CSRFToken"


def init_app(app: Flask) -> None:
    """Authenticate every request before its view runs; redact token-like strings from logs."""
    app.before_request(_authenticate)
    app.after_request(_challenge)
    redactor = TokenRedactingFilter()
    for name in (*LOGGERS_TO_REDACT, app.logger.name):
        logger = logging.getLogger(name)
        if not any(isinstance(f, TokenRedactingFilter) for f in logger.filters):
            logger.addFilter(redactor)


def current_viewer() -> Viewer:
    """The caller of the current request (``ANONYMOUS`` without a valid token)."""
    viewer, _error = resolve_viewer()
    return viewer


def require_scope(scope: str) -> Viewer:
    """The caller, who must be authenticated with ``scope`` (401 / 403 otherwise)."""
    viewer = current_viewer()
    viewer.require_scope(scope)
    return viewer


def require_admin() -> Viewer:
    """The caller, who must be an administrator using a token with the ``admin`` scope."""
    viewer = current_viewer()
    viewer.require_admin()
    return viewer


def require_authenticated() -> Viewer:
    """The caller, who must have presented a valid token (any scope)."""
    viewer = current_viewer()
    if viewer.is_anonymous:
        raise AuthenticationError("authentication required: send Authorization: Bearer <token>")
    return viewer


def resolve_viewer() -> tuple[Viewer, OpendataError | None]:
    """Resolve (once per request) the caller and the credentials error, if any, without raising.

    The rate limiter calls this before authentication is enforced, so failed attempts count too.
    """
    if "viewer" not in g:
        viewer, g.auth_error = _resolve()
        if not viewer.is_anonymous:  # where the call came from, for the audit log
            viewer = replace(viewer, request_id=_request_id(), address=request.remote_addr)
        g.viewer = viewer
    return g.viewer, g.auth_error


def _authenticate() -> None:
    _viewer, error = resolve_viewer()
    if error is not None:
        raise error


def _resolve() -> tuple[Viewer, OpendataError | None]:
    if _token_outside_header():
        return ANONYMOUS, TokenNotInHeaderError(
            "send API tokens only in the Authorization header (Bearer); revoke a token that was put in a URL "
            "or cookie")
    credentials, error = _credentials()
    if credentials is None:
        signed_in = getattr(browser_session, "user_id", None)  # opendata.web.console's server-side session
        if error is None and signed_in is not None:
            return _session_caller(signed_in)
        return ANONYMOUS, error
    runtime = _runtime()
    try:
        return run(runtime, token_authenticate, plain=credentials), None
    except AuthenticationError as exc:
        return ANONYMOUS, exc


def _session_caller(user_id: int) -> tuple[Viewer, OpendataError | None]:
    """The signed-in console user; an API write must also prove it comes from a console page."""
    viewer = session_viewer(runtime=_runtime(), user_id=user_id,
                            origin=Origin(address=request.remote_addr, request_id=_request_id()))
    if viewer is None:  # deactivated since signing in
        return ANONYMOUS, None
    if request.method in SAFE_METHODS or request.blueprint == "console":  # console forms: checked by the console
        return viewer, None
    if not request.path.startswith("/api/"):
        return ANONYMOUS, None  # other pages' forms (the public request form) never act as the signed-in user
    try:
        validate_csrf(request.headers.get(CSRF_HEADER))
    except CsrfValidationError as exc:
        return ANONYMOUS, CsrfTokenError(f"a signed-in browser must send its {CSRF_HEADER} header with every "
                                         f"write: {exc.args[0] if exc.args else 'missing'}")
    return viewer, None


def _credentials() -> tuple[str | None, OpendataError | None]:
    """The token of ``Authorization: Bearer``; on the CKAN API also CKAN's own forms (a bare token in
    ``Authorization`` or ``X-CKAN-API-Key``), as ckanapi and harvesters send them."""
    header = request.headers.get("Authorization")
    ckan = request.path.startswith(CKAN_PREFIXES)
    if header:
        scheme, _, credentials = header.strip().partition(" ")
        if scheme.lower() == "bearer" and credentials.strip():
            return credentials.strip(), None
        if ckan and TOKEN_PATTERN.fullmatch(header.strip()):
            return header.strip(), None
        return None, AuthenticationError("use Authorization: Bearer <token>")
    key = request.headers.get("X-CKAN-API-Key") if ckan else None
    return (key.strip(), None) if key and key.strip() else (None, None)


def _token_outside_header() -> bool:
    if not request.query_string and "HTTP_COOKIE" not in request.environ:
        return False
    if any(name in request.args or name in request.cookies for name in _QUERY_NAMES):
        return True
    if TOKEN_LIKE.search(request.query_string.decode("latin-1")):
        return True
    return any(TOKEN_LIKE.search(value) for value in request.cookies.values())


def _challenge(response: Response) -> Response:
    """Add the RFC 6750 challenge to 400/401/403 answers caused by credentials."""
    error = g.get("auth_error")
    if response.status_code == 401 and "WWW-Authenticate" not in response.headers:
        detail = ', error="invalid_token"' if error is not None and request.headers.get("Authorization") else ""
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}"{detail}'
    elif response.status_code == 400 and isinstance(error, TokenNotInHeaderError):
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="invalid_request"'
    elif response.status_code == 403 and g.get("viewer") is not None and g.viewer.token_id is not None:
        response.headers["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="insufficient_scope"'
    return response


def _runtime():
    from flask import current_app

    return current_app.extensions["opendata"]


def _request_id() -> str:
    from opendata.api.security import request_id

    return request_id()


class TokenRedactingFilter(logging.Filter):
    """Replace anything shaped like an API token in a log record (e.g. a URL in an access log)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if TOKEN_LIKE.search(message):
            record.msg = TOKEN_LIKE.sub("od_[redacted]", message)
            record.args = None
        return True
