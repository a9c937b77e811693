"""Users, passwords and roles, and the :class:`Viewer` a user acts as.

Passwords are hashed with Argon2id (argon2-cffi, the reference binding, parameters of RFC 9106's
low-memory profile by default); hashes are upgraded on the next successful check when the
parameters change. Every write is recorded in the audit log. Tokens: opendata.services.tokens.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.core.textcheck import require_email, require_text
from opendata.services.access import ALL_SCOPES, PermissionDeniedError, Viewer
from opendata.services.audit import audit_record
from opendata.services.console_sessions import end_sessions_of
from opendata.store.accounts import ROLES, AccessGrant, RoleAssignment, User
from opendata.store.models import Organization, utcnow

_HASHER = PasswordHasher()
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD_LENGTH = 12
# The scopes a token may carry, by the roles of its user ("read" is every user's).
ROLE_SCOPES = {"administrator": ALL_SCOPES, "publisher": frozenset({"publish"}),
               "reviewer": frozenset({"review"}), "requester": frozenset()}


def user_snapshot(user: User) -> dict[str, Any]:
    """A user as audit data, without the password hash."""
    return {"username": user.username, "display_name": user.display_name, "email": user.email,
            "organization": user.organization.slug if user.organization else None, "active": user.active,
            "has_password": user.password_hash is not None}


def user_get(*, session: Session, username: str) -> User:
    """The user called ``username``; NotFoundError otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFoundError(f"no user {username!r}")
    return user


def user_list(*, session: Session) -> list[User]:
    """Every user, by username."""
    return list(session.scalars(select(User).order_by(User.username)))


def user_create(*, session: Session, actor: Viewer, username: str, display_name: str = "",
                email: str | None = None, organization: str | None = None,
                password: str | None = None) -> User:
    """Register a user (administrators only), optionally in an organization and with a password."""
    actor.require_admin()
    if not _USERNAME.fullmatch(username or ""):
        raise ValidationError("username must be 2–63 characters: lower-case letters, digits, '.', '_', '-'")
    if session.scalar(select(User.id).where(User.username == username)) is not None:
        raise ConflictError(f"user {username!r} already exists")
    require_text(display_name, "display_name")
    require_email(email)
    user = User(username=username, display_name=display_name or username, email=email,
                organization=_organization(session, organization) if organization else None)
    if password is not None:
        user.password_hash = password_hash(password)
    session.add(user)
    session.flush()
    audit_record(session=session, actor=actor, action="user-created", target_type="user",
                 target_id=username, after=user_snapshot(user))
    return user


def user_set_active(*, session: Session, actor: Viewer, username: str, active: bool) -> User:
    """Deactivate (or reactivate) a user: a deactivated user's tokens stop working at once."""
    actor.require_admin()
    user = user_get(session=session, username=username)
    before = user_snapshot(user)
    user.active = active
    user.modified_at = utcnow()
    if not active:
        end_sessions_of(session=session, user_id=user.id)  # signed-in browsers stop at once, as tokens do
    audit_record(session=session, actor=actor, action="user-activated" if active else "user-deactivated",
                 target_type="user", target_id=username, before=before, after=user_snapshot(user))
    return user


def user_set_password(*, session: Session, actor: Viewer, username: str, password: str) -> User:
    """Set a user's password (the user themself, or an administrator); every console session of the user ends."""
    user = user_get(session=session, username=username)
    if actor.user_id != user.id:
        actor.require_admin()
    user.password_hash = password_hash(password)
    user.modified_at = utcnow()
    end_sessions_of(session=session, user_id=user.id)
    audit_record(session=session, actor=actor, action="user-password-set", target_type="user",
                 target_id=username)
    return user


def user_check_password(*, session: Session, username: str, password: str) -> User | None:
    """The active user when the password is right, else None; rehashes outdated hashes."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.password_hash is None:
        _HASHER.hash(password)  # spend the same time whether or not the user exists
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = _HASHER.hash(password)
    return user


def password_hash(password: str) -> str:
    """An Argon2id hash of ``password`` (refuses short passwords)."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    return _HASHER.hash(password)


def role_grant(*, session: Session, actor: Viewer, username: str, role: str,
               organization: str | None = None) -> RoleAssignment:
    """Give a user a role, for an organization (default: the user's own) and its sub-organizations."""
    actor.require_admin()
    if role not in ROLES:
        raise ValidationError(f"unknown role {role!r}; roles are {', '.join(ROLES)}")
    user = user_get(session=session, username=username)
    org = _organization(session, organization) if organization else user.organization
    if role in ("publisher", "reviewer") and org is None:
        raise ValidationError(f"a {role} acts for an organization: give one, or put the user in one")
    org_id = org.id if org is not None and role != "administrator" else None
    existing = _assignment(user, role, org_id)
    if existing is not None:
        return existing
    assignment = RoleAssignment(user=user, role=role, organization_id=org_id)
    session.add(assignment)
    session.flush()
    audit_record(session=session, actor=actor, action="role-granted", target_type="user", target_id=username,
                 after={"role": role, "organization": org.slug if org_id else None})
    return assignment


def user_create_with_role(*, session: Session, actor: Viewer, username: str, role: str,
                          organization: str | None = None, **details: Any) -> RoleAssignment:
    """Register a user and give the first role in one transaction: no user is left without a role."""
    user_create(session=session, actor=actor, username=username, organization=organization, **details)
    return role_grant(session=session, actor=actor, username=username, role=role, organization=organization)


def role_revoke(*, session: Session, actor: Viewer, username: str, role: str,
                organization: str | None = None) -> None:
    """Take a role away (for one organization, or every assignment of that role when none is given)."""
    actor.require_admin()
    user = user_get(session=session, username=username)
    org_id = _organization(session, organization).id if organization else None
    found = [a for a in user.roles if a.role == role and (organization is None or a.organization_id == org_id)]
    if not found:
        raise NotFoundError(f"user {username!r} has no role {role!r}" + (f" for {organization}" if organization else ""))
    if role == "administrator" and actor.user_id == user.id:
        raise PermissionDeniedError("administrators cannot remove their own administrator role")
    for assignment in found:
        audit_record(session=session, actor=actor, action="role-revoked", target_type="user", target_id=username,
                     before={"role": role, "organization": assignment.organization.slug
                             if assignment.organization else None})
        user.roles.remove(assignment)  # delete-orphan: the row goes, and the collection stays true
    session.flush()


def allowed_scopes(user: User) -> frozenset[str]:
    """The scopes a token of this user may carry, given the user's roles."""
    scopes = {"read"}
    for assignment in user.roles:
        scopes |= ROLE_SCOPES[assignment.role]
    return frozenset(scopes)


def viewer_for_user(*, session: Session, user: User, scopes: frozenset[str] | None = None,
                    token_id: int | None = None, now: datetime | None = None) -> Viewer:
    """The Viewer a user acts as, limited to ``scopes`` (default: everything the roles allow)."""
    now = now or utcnow()
    scopes = allowed_scopes(user) & (scopes if scopes is not None else ALL_SCOPES)
    roles = frozenset(a.role for a in user.roles)
    children = _children_by_parent(session)
    publish, review = set(), set()
    for assignment in user.roles:
        if assignment.role in ("publisher", "reviewer") and assignment.organization_id is not None:
            target = publish if assignment.role == "publisher" else review
            target |= _with_descendants(assignment.organization_id, children)
    own = {user.organization_id} if user.organization_id is not None else set()
    active = session.execute(select(AccessGrant.dataset_id, AccessGrant.withheld_columns).where(
        or_(AccessGrant.user_id == user.id,
            AccessGrant.organization_id.in_(sorted(own)) if own else AccessGrant.id.is_(None)),
        AccessGrant.revoked_at.is_(None), AccessGrant.expires_at > now)).all()
    grants = {dataset_id for dataset_id, withheld in active if not withheld}
    partial = frozenset((dataset_id, column) for dataset_id, withheld in active if withheld and dataset_id not in grants
                        for column in withheld)
    # Staff organizations only: belonging to an organization (or the requester role) shows none of
    # its unpublished versions or conditional data; an organization grant reaches its members above.
    return Viewer(user=user.username, user_id=user.id, token_id=token_id, partial_grants=partial,
                  organization_ids=frozenset(publish | review), granted_dataset_ids=frozenset(grants),
                  is_admin="administrator" in roles and "admin" in scopes, roles=roles, scopes=scopes,
                  publish_organization_ids=frozenset(publish), review_organization_ids=frozenset(review))


def _organization(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFoundError(f"no organization {slug!r}")
    return org


def _assignment(user: User, role: str, org_id: int | None) -> RoleAssignment | None:
    # NULL organization ids are distinct in the unique constraint, so platform-wide roles are checked here.
    return next((a for a in user.roles if a.role == role and a.organization_id == org_id), None)


def _children_by_parent(session: Session) -> dict[int, list[int]]:
    children: dict[int, list[int]] = {}
    for org_id, parent_id in session.execute(select(Organization.id, Organization.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(org_id)
    return children


def _with_descendants(root: int, children: dict[int, list[int]]) -> set[int]:
    found, stack = set(), [root]
    while stack:
        org_id = stack.pop()
        if org_id not in found:
            found.add(org_id)
            stack.extend(children.get(org_id, ()))
    return found
