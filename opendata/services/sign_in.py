"""Signing in to the department console: password check, back-off and lock-out, sign-out, password change.

Failures are counted per typed username (whether or not it exists, so the answers never tell which
names are real). After ``OPENDATA_SIGN_IN_BACKOFF_AFTER`` failures in a row each further attempt
must wait, 1 s doubling each time; after ``OPENDATA_SIGN_IN_LOCKOUT_AFTER`` the name is locked for
``OPENDATA_SIGN_IN_LOCKOUT_MINUTES``, even for the right password, until it expires or an
administrator unlocks it. An attempt made too early is refused without looking at the password.
Every failure, refusal, lock, sign-in, sign-out and unlock is in the audit log. Each use case owns
its transaction; a failure is committed (counted and audited) before the error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import Problem, ValidationError
from opendata.services.access import AuthenticationError, Viewer
from opendata.services.accounts import (
    user_check_password,
    user_get,
    user_set_password,
    viewer_for_user,
)
from opendata.services.audit import audit_record
from opendata.services.console_sessions import create_session, end_session
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading, unit_of_work
from opendata.store.accounts import User
from opendata.store.models import utcnow
from opendata.store.sessions import SignInThrottle

MAX_USERNAME = 100
MAX_PASSWORD = 1024  # Argon2 takes any length; a bound keeps a hostile form cheap
MAX_BACKOFF_SECONDS = 300


class SignInError(AuthenticationError):
    """A sign-in that did not succeed: wrong name or password, or tried too early or while locked."""

    code = "sign-in-failed"

    def __init__(self, message: str, *, retry_after: int | None = None, locked: bool = False):
        super().__init__(message)
        self.retry_after = retry_after
        self.locked = locked


@dataclass(frozen=True)
class Origin:
    """Where a request came from, for the audit log."""

    address: str | None = None
    request_id: str | None = None

    def viewer(self, name: str | None = None) -> Viewer:
        return Viewer(user=name, address=self.address, request_id=self.request_id)


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: the new session id and who signed in."""

    key: str
    user_id: int
    username: str


def _policy(runtime: Runtime) -> tuple[int, int, timedelta]:
    config = runtime.config
    return (int(config.SIGN_IN_BACKOFF_AFTER), int(config.SIGN_IN_LOCKOUT_AFTER),
            timedelta(minutes=int(config.SIGN_IN_LOCKOUT_MINUTES)))


def _normal(username: str) -> str:
    return (username or "").strip().lower()[:MAX_USERNAME]


def wait_seconds(throttle: SignInThrottle | None, runtime: Runtime, now: datetime) -> tuple[int, bool]:
    """Seconds before the next attempt is heard, and whether the name is locked."""
    if throttle is None:
        return 0, False
    if throttle.locked_until is not None and throttle.locked_until > now:
        return max(1, int((throttle.locked_until - now).total_seconds() + 0.999)), True
    backoff_after, _lock_after, _span = _policy(runtime)
    if throttle.failures < backoff_after or throttle.last_failure_at is None:
        return 0, False
    delay = min(MAX_BACKOFF_SECONDS, 2 ** (throttle.failures - backoff_after))
    ready = throttle.last_failure_at + timedelta(seconds=delay)
    return (max(1, int((ready - now).total_seconds() + 0.999)), False) if ready > now else (0, False)


def sign_in(*, runtime: Runtime, username: str, password: str, old_key: str | None, origin: Origin,
            now: datetime | None = None) -> SignedIn:
    """Check a username and password; on success end the old session and make a new one (its id returned)."""
    now = now or utcnow()
    name = _normal(username)
    refused: SignInError | None = None
    with unit_of_work(runtime) as session:
        throttle = session.get(SignInThrottle, name)
        if throttle is not None and throttle.locked_until is not None and throttle.locked_until <= now:
            throttle.failures, throttle.locked_until = 0, None  # the lock has run out: a fresh start
        wait, locked = wait_seconds(throttle, runtime, now)
        if wait:
            audit_record(session=session, actor=origin.viewer(), action="sign-in-refused", target_type="user",
                         target_id=name, after={"locked": locked, "retry_after": wait})
            refused = _refusal(wait, locked)
        else:
            user = user_check_password(session=session, username=name, password=(password or "")[:MAX_PASSWORD])
            if user is None:
                refused = _count_failure(session, runtime, name, throttle, origin, now)
            else:
                if throttle is not None:
                    session.delete(throttle)
                end_session(session=session, key=old_key)
                key = create_session(session=session, runtime=runtime, user_id=user.id, now=now)
                audit_record(session=session, actor=origin.viewer(user.username), action="signed-in",
                             target_type="user", target_id=user.username)
                return SignedIn(key=key, user_id=user.id, username=user.username)
    raise refused


def _refusal(wait: int, locked: bool) -> SignInError:
    if locked:
        return SignInError(f"too many failed sign-ins: this username is locked for {wait} more seconds",
                           retry_after=wait, locked=True)
    return SignInError(f"too many failed sign-ins: wait {wait} seconds before trying again", retry_after=wait)


def _count_failure(session: Session, runtime: Runtime, name: str, throttle: SignInThrottle | None,
                   origin: Origin, now: datetime) -> SignInError:
    backoff_after, lock_after, span = _policy(runtime)
    if throttle is None:
        throttle = SignInThrottle(username=name, failures=0)
        session.add(throttle)
    throttle.failures += 1
    throttle.last_failure_at = now
    audit_record(session=session, actor=origin.viewer(), action="sign-in-failed", target_type="user",
                 target_id=name, after={"failures": throttle.failures})
    if throttle.failures >= lock_after:
        throttle.locked_until = now + span
        audit_record(session=session, actor=origin.viewer(), action="sign-in-locked", target_type="user",
                     target_id=name, after={"failures": throttle.failures, "until": throttle.locked_until})
        return SignInError("wrong username or password; too many failed sign-ins: this username is locked for "
                           f"{int(span.total_seconds())} seconds", retry_after=int(span.total_seconds()), locked=True)
    session.flush()
    wait, _locked = wait_seconds(throttle, runtime, now)
    if wait:
        return SignInError(f"wrong username or password; wait {wait} seconds before trying again", retry_after=wait)
    return SignInError("wrong username or password")


def sign_out(*, runtime: Runtime, key: str | None, origin: Origin) -> None:
    """End a session (signing out twice, or without a session, changes nothing)."""
    with unit_of_work(runtime) as session:
        user_id = end_session(session=session, key=key)
        if user_id is not None:
            name = _username(session, user_id)
            audit_record(session=session, actor=origin.viewer(name), action="signed-out", target_type="user",
                         target_id=name)


def change_password(*, runtime: Runtime, viewer: Viewer, current: str, new: str, repeated: str) -> str:
    """Change one's own password (the current one must be right). Every session of the user ends
    (user_set_password); this browser gets a new one, whose id is returned."""
    problems = []
    if new != repeated:
        problems.append(Problem("password-mismatch", "the two new passwords differ", path="repeated"))
    if new and new == current:
        problems.append(Problem("password-unchanged", "the new password is the current one", path="new"))
    with unit_of_work(runtime) as session:
        user = user_get(session=session, username=viewer.user or "")
        if user_check_password(session=session, username=user.username, password=(current or "")[:MAX_PASSWORD]) is None:
            problems.insert(0, Problem("wrong-password", "the current password is not right", path="current"))
        if problems:
            raise ValidationError(problems[0].message, problems=problems)
        try:
            user_set_password(session=session, actor=viewer, username=user.username, password=new)
        except ValidationError as exc:
            raise ValidationError(exc.message, problems=[Problem("password-too-short", exc.message, path="new")]) from None
        return create_session(session=session, runtime=runtime, user_id=user.id)


def unlock_username(*, runtime: Runtime, actor: Viewer, username: str) -> bool:
    """Clear the failed-attempt count and lock of a username (administrators); True if there was one."""
    actor.require_admin()
    name = _normal(username)
    with unit_of_work(runtime) as session:
        throttle = session.get(SignInThrottle, name)
        if throttle is None:
            return False
        audit_record(session=session, actor=actor, action="sign-in-unlocked", target_type="user", target_id=name,
                     before={"failures": throttle.failures, "locked_until": throttle.locked_until})
        session.delete(throttle)
        return True


def locked_usernames(*, runtime: Runtime, actor: Viewer, now: datetime | None = None) -> dict[str, datetime]:
    """Usernames locked now, with the end of their lock (administrators)."""
    actor.require_admin()
    now = now or utcnow()
    with reading(runtime) as session:
        rows = session.scalars(select(SignInThrottle).where(SignInThrottle.locked_until > now))
        return {row.username: row.locked_until for row in rows}


def session_viewer(*, runtime: Runtime, user_id: int, origin: Origin) -> Viewer | None:
    """The Viewer a signed-in session acts as (every scope its roles allow); None for a deactivated user."""
    with reading(runtime) as session:
        user = session.get(User, user_id)
        if user is None or not user.active:
            return None
        viewer = viewer_for_user(session=session, user=user)
        return replace(viewer, address=origin.address, request_id=origin.request_id)


def _username(session: Session, user_id: int) -> str | None:
    user = session.get(User, user_id)
    return user.username if user is not None else None
