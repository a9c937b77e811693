"""API tokens: ``od_<prefix>_<secret>``, shown once, stored as the sha256 of the whole token.

The prefix (10 hex characters) is public and finds the row; the secret has 256 random bits, so
a plain sha256 is enough (no slow hash needed: nothing to brute-force), and the comparison is
constant-time. A token carries scopes (read, publish, review, admin), never more than its user's
roles allow, expires, can be revoked, and remembers when it was last used (at most once a minute).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.textcheck import require_text
from opendata.services.access import ALL_SCOPES, AuthenticationError, PermissionDeniedError, Viewer
from opendata.services.accounts import allowed_scopes, user_get, viewer_for_user
from opendata.services.audit import audit_record
from opendata.store.accounts import SCOPES, ApiToken, User
from opendata.store.models import utcnow

TOKEN_PATTERN = re.compile(r"od_([0-9a-f]{10})_([A-Za-z0-9_-]{43})")
LAST_USED_RESOLUTION = timedelta(seconds=60)


@dataclass(frozen=True)
class CreatedToken:
    """A new token: ``plain`` is shown to its owner once and never stored."""

    token: ApiToken
    plain: str


def token_hash(plain: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(plain.encode("ascii")).hexdigest()


def token_snapshot(token: ApiToken) -> dict:
    """A token as audit and API data: never the secret or its hash."""
    return {"id": token.id, "name": token.name, "prefix": token.prefix, "user": token.user.username,
            "scopes": list(token.scopes), "created_at": token.created_at, "expires_at": token.expires_at,
            "revoked_at": token.revoked_at, "last_used_at": token.last_used_at}


def token_create(*, session: Session, actor: Viewer, username: str, name: str,
                 scopes: list[str] | tuple[str, ...] = ("read",), lifetime_days: int = 90,
                 max_lifetime_days: int = 365, now: datetime | None = None) -> CreatedToken:
    """Create a token for a user (themself, or anyone for an administrator); returns it once."""
    now = now or utcnow()
    user = user_get(session=session, username=username)
    if actor.user_id != user.id:
        actor.require_admin()
    if not user.active:
        raise ValidationError(f"user {username!r} is deactivated")
    if not name or len(name) > 100:
        raise ValidationError("a token needs a name of 1–100 characters")
    require_text(name, "name")
    if not 1 <= lifetime_days <= max_lifetime_days:
        raise ValidationError(f"a token lives between 1 and {max_lifetime_days} days")
    wanted = frozenset(scopes) | {"read"}
    unknown = wanted - set(SCOPES)
    if unknown:
        raise ValidationError(f"unknown scope(s) {', '.join(sorted(unknown))}; scopes are {', '.join(SCOPES)}")
    beyond_roles = wanted - allowed_scopes(user)
    if beyond_roles:
        raise PermissionDeniedError(f"user {username!r} may not hold scope(s) {', '.join(sorted(beyond_roles))}")
    beyond_actor = {s for s in wanted if not actor.has_scope(s)}
    if beyond_actor:
        raise PermissionDeniedError(f"a token cannot create one with more scopes than itself "
                                    f"({', '.join(sorted(beyond_actor))})")
    prefix = secrets.token_hex(5)
    while session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix)) is not None:
        prefix = secrets.token_hex(5)  # pragma: no cover - 1 in 10^12
    expires_at = now + timedelta(days=lifetime_days)
    if actor.token_id is not None:  # a token made with a token never outlives it
        parent = session.get(ApiToken, actor.token_id)
        if parent is not None:
            expires_at = min(expires_at, parent.expires_at)
    plain = f"od_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken(user=user, name=name, prefix=prefix, token_hash=token_hash(plain),
                     scopes=[s for s in SCOPES if s in wanted], created_at=now, expires_at=expires_at)
    session.add(token)
    session.flush()
    audit_record(session=session, actor=actor, action="token-created", target_type="token",
                 target_id=token.id, after=token_snapshot(token))
    return CreatedToken(token=token, plain=plain)


def token_list(*, session: Session, actor: Viewer, username: str | None = None,
               include_inactive: bool = False, now: datetime | None = None) -> list[ApiToken]:
    """A user's tokens (default: the actor's own); others' tokens only for administrators."""
    now = now or utcnow()
    query = select(ApiToken).join(User).order_by(ApiToken.id)
    if username is None:
        if actor.user_id is None:
            actor.require_admin()
        else:
            query = query.where(ApiToken.user_id == actor.user_id)
    else:
        user = user_get(session=session, username=username)
        if actor.user_id != user.id:
            actor.require_admin()
        query = query.where(ApiToken.user_id == user.id)
    if not include_inactive:
        query = query.where(ApiToken.revoked_at.is_(None), ApiToken.expires_at > now)
    return list(session.scalars(query))


def token_revoke(*, session: Session, actor: Viewer, token_id: int, now: datetime | None = None) -> ApiToken:
    """Revoke a token (its owner or an administrator); revoking twice changes nothing."""
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFoundError(f"no token {token_id}")  # others' tokens are not even acknowledged
    if token.revoked_at is None:
        before = token_snapshot(token)
        token.revoked_at = now or utcnow()
        audit_record(session=session, actor=actor, action="token-revoked", target_type="token",
                     target_id=token.id, before=before, after=token_snapshot(token))
    return token


def token_authenticate(*, session: Session, plain: str, now: datetime | None = None) -> Viewer:
    """The Viewer a token acts as; AuthenticationError if it is malformed, unknown, expired or revoked."""
    now = now or utcnow()
    match = TOKEN_PATTERN.fullmatch(plain or "")
    if match is None:
        raise AuthenticationError("the token is not valid")
    token = session.scalar(select(ApiToken).where(ApiToken.prefix == match.group(1)))
    if token is None or not hmac.compare_digest(token.token_hash, token_hash(plain)):
        raise AuthenticationError("the token is not valid")
    if token.revoked_at is not None:
        raise AuthenticationError("the token has been revoked")
    if token.expires_at <= now:
        raise AuthenticationError("the token has expired")
    if not token.user.active:
        raise AuthenticationError("the token's user is deactivated")
    _touch(session, token, now)
    return viewer_for_user(session=session, user=token.user, scopes=frozenset(token.scopes) & ALL_SCOPES,
                           token_id=token.id, now=now)


def _touch(session: Session, token: ApiToken, now: datetime) -> None:
    # One conditional UPDATE at most once a minute per token, so reads rarely write.
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    session.execute(update(ApiToken).where(
        ApiToken.id == token.id,
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION),
    ).values(last_used_at=now).execution_options(synchronize_session=False))
    set_committed_value(token, "last_used_at", now)  # already written; no second UPDATE
