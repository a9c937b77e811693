"""Browser sign-in state: server-side console sessions and the failed-attempt counters behind lock-out.

A session is found by the sha256 of its random id (the cookie value), so a copy of the database
gives no live session. It belongs to a user once signed in (NULL before: the sign-in form's CSRF
token lives in such a session), which is what lets a password change or a deactivation end every
session of a user at once. Throttle rows are keyed by the name typed, whether or not such a user
exists, so lock-out tells nobody which names are real.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from opendata.store.models import Base, utcnow


class ConsoleSession(Base):
    """One browser session of the department console (signed in or not yet)."""

    __tablename__ = "console_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)  # the absolute end, whatever the activity


class SignInThrottle(Base):
    """Consecutive failed sign-ins for one typed username: back-off first, then a timed lock."""

    __tablename__ = "sign_in_throttle"

    username: Mapped[str] = mapped_column(String(100), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[datetime | None]
    locked_until: Mapped[datetime | None]
