"""Flask's ``session`` kept on the server (opendata.services.console_sessions); the cookie holds only its id.

Why a table of our own rather than Flask-Session: its SQLAlchemy backend needs Flask-SQLAlchemy
(we use plain SQLAlchemy 2.0 sessions) and creates its table outside our Alembic migrations, and a
generic key-value store cannot end every session of one user when their password changes or they
are deactivated; a row with the user's id can. Requests without the cookie (every API client, every
portal reader) cost nothing: no row is read, and none is written unless something is stored.

The cookie is ``HttpOnly``, ``SameSite=Lax``, ``Path=/``, ``Secure`` and named with the
``__Host-`` prefix, which browsers accept from https and from http://localhost or 127.0.0.1
(OPENDATA_SESSION_COOKIE_SECURE turns Secure and the prefix off for a development server on plain
http at another address). It has no Max-Age: it goes when the browser closes, and the server ends
it earlier when idle or old.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Request, request
from flask.sessions import SessionInterface, SessionMixin
from werkzeug.datastructures import CallbackDict
from werkzeug.wrappers import Response

from opendata.services.console_sessions import session_load, session_save
from opendata.services.runtime import Runtime

SECURE_NAME = "__Host-opendata-session"
PLAIN_NAME = "opendata-session"


class ServerSession(CallbackDict, SessionMixin):
    """The session's data; ``key`` is its id (None until stored), ``user_id`` who signed in, if anyone."""

    def __init__(self, data: dict[str, Any] | None = None, key: str | None = None, user_id: int | None = None):
        def on_update(_self: ServerSession) -> None:
            _self.modified = True

        super().__init__(data or {}, on_update)
        self.key, self.user_id = key, user_id
        self.modified = False
        self.ended = False
        self.rotated = False

    def start_new(self, key: str, user_id: int | None) -> None:
        """Take the id of a session just made by the service (sign-in, password change): empty data."""
        self.clear()
        self.key, self.user_id, self.rotated, self.modified = key, user_id, True, False

    def end(self) -> None:
        """Forget this session here and in the browser (sign-out)."""
        self.clear()
        self.key, self.user_id, self.ended, self.modified = None, None, True, False


class ServerSessionInterface(SessionInterface):
    """Load and store ``flask.session`` through the console session service."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def cookie_name(self) -> str:
        return SECURE_NAME if self.runtime.config.SESSION_COOKIE_SECURE else PLAIN_NAME

    def open_session(self, app: Flask, request: Request) -> ServerSession:
        key = request.cookies.get(self.cookie_name())
        if not key:
            return ServerSession()
        loaded = session_load(runtime=self.runtime, key=key)
        if loaded is None:
            return ServerSession()
        return ServerSession(loaded.data, key=loaded.key, user_id=loaded.user_id)

    def save_session(self, app: Flask, session: ServerSession, response: Response) -> None:  # type: ignore[override]
        name, secure = self.cookie_name(), bool(self.runtime.config.SESSION_COOKIE_SECURE)
        if session.key is not None or session.ended or name in request.cookies:
            response.vary.add("Cookie")  # only then: downloads without the cookie keep their shared caching
        if session.user_id is not None and "Cache-Control" not in response.headers:
            response.headers["Cache-Control"] = "private, no-store"  # no signed-in page from a cache or Back
        if session.ended:
            response.delete_cookie(name, path="/", secure=secure, httponly=True, samesite="Lax")
            return
        if session.modified and (session.key is not None or len(session)):
            key = session_save(runtime=self.runtime, key=session.key, data=dict(session))
            session.rotated = session.rotated or key != session.key
            session.key = key
        if session.rotated:
            response.set_cookie(name, session.key, path="/", secure=secure, httponly=True, samesite="Lax")
