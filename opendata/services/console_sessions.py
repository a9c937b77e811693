"""Server-side sessions of the department console: load, save, rotate and end them.

The browser holds only a random id (256 bits); the database holds its sha256, the user once signed
in, and the session's small data (the CSRF token, one-time notices). A session ends after
``OPENDATA_SESSION_IDLE_MINUTES`` without a request or ``OPENDATA_SESSION_MAX_HOURS`` after it
began, whichever comes first; ended rows are deleted as new sessions are made. Signing in always
makes a new id (the one from before sign-in stops working), and so does a password change, which
also ends the user's other sessions.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import unit_of_work
from opendata.store.models import utcnow
from opendata.store.sessions import ConsoleSession

TOUCH_RESOLUTION = timedelta(seconds=60)  # last_seen_at is written at most once a minute per session
MAX_KEY_LENGTH = 64


@dataclass
class LoadedSession:
    """A live session as the HTTP layer needs it."""

    key: str
    user_id: int | None
    data: dict[str, Any] = field(default_factory=dict)


def key_hash(key: str) -> str:
    """The stored form of a session id."""
    return hashlib.sha256(key.encode("ascii", "replace")).hexdigest()


def new_key() -> str:
    """A fresh random session id (43 URL-safe characters)."""
    return secrets.token_urlsafe(32)


def _limits(runtime: Runtime) -> tuple[timedelta, timedelta]:
    config = runtime.config
    return timedelta(minutes=int(config.SESSION_IDLE_MINUTES)), timedelta(hours=int(config.SESSION_MAX_HOURS))


def session_load(*, runtime: Runtime, key: str, now: datetime | None = None) -> LoadedSession | None:
    """The live session with this id, or None (unknown, idle too long or past its end)."""
    if not key or len(key) > MAX_KEY_LENGTH:
        return None
    now = now or utcnow()
    idle, _longest = _limits(runtime)
    with unit_of_work(runtime) as session:
        row = session.scalar(select(ConsoleSession).where(ConsoleSession.key_hash == key_hash(key)))
        if row is None or row.expires_at <= now or row.last_seen_at + idle <= now:
            return None
        if now - row.last_seen_at >= TOUCH_RESOLUTION:
            session.execute(update(ConsoleSession).where(ConsoleSession.id == row.id).values(last_seen_at=now)
                            .execution_options(synchronize_session=False))
        return LoadedSession(key=key, user_id=row.user_id, data=dict(row.data or {}))


def session_save(*, runtime: Runtime, key: str | None, data: dict[str, Any], now: datetime | None = None) -> str:
    """Store a session's data; a new session (``key`` None, or one that ended meanwhile) gets a new id."""
    now = now or utcnow()
    with unit_of_work(runtime) as session:
        if key is not None:
            row = session.scalar(select(ConsoleSession).where(ConsoleSession.key_hash == key_hash(key)))
            if row is not None and row.expires_at > now:
                row.data = dict(data)
                return key
        return create_session(session=session, runtime=runtime, user_id=None, data=data, now=now)


def create_session(*, session: Session, runtime: Runtime, user_id: int | None, data: dict[str, Any] | None = None,
                   now: datetime | None = None) -> str:
    """Insert a new session in the caller's transaction and return its id (ended rows are purged first)."""
    now = now or utcnow()
    idle, longest = _limits(runtime)
    session.execute(delete(ConsoleSession).where(ConsoleSession.expires_at <= now))
    session.execute(delete(ConsoleSession).where(ConsoleSession.last_seen_at <= now - idle))
    key = new_key()
    session.add(ConsoleSession(key_hash=key_hash(key), user_id=user_id, data=dict(data or {}), created_at=now,
                               last_seen_at=now, expires_at=now + longest))
    session.flush()
    return key


def end_session(*, session: Session, key: str | None) -> int | None:
    """Delete one session in the caller's transaction; returns the user it belonged to, if any."""
    if not key:
        return None
    row = session.scalar(select(ConsoleSession).where(ConsoleSession.key_hash == key_hash(key)))
    if row is None:
        return None
    user_id = row.user_id
    session.delete(row)
    session.flush()
    return user_id


def end_sessions_of(*, session: Session, user_id: int, keep: str | None = None) -> int:
    """End every session of a user (except ``keep``) in the caller's transaction; returns how many."""
    query = delete(ConsoleSession).where(ConsoleSession.user_id == user_id)
    if keep:
        query = query.where(ConsoleSession.key_hash != key_hash(keep))
    return session.execute(query.execution_options(synchronize_session=False)).rowcount or 0


def session_count_of(*, session: Session, user_id: int, now: datetime | None = None) -> int:
    """How many sessions of a user have not reached their end (shown on the administration page)."""
    now = now or utcnow()
    return len(session.scalars(select(ConsoleSession.id).where(
        ConsoleSession.user_id == user_id, ConsoleSession.expires_at > now)).all())
