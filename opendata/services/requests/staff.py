"""Who handles and who reads requests: staff of the receiving organisation handle them; staff of the
organisations above it read them; administrators do both everywhere.

Staff are the publishers and reviewers of an organisation, acting with the matching token scope
(``publish`` or ``review``). Applicants are nobody's staff: they follow their own requests through
the tracking code and contact, or as the signed-in user who submitted them.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import NotFoundError
from opendata.services.access import AuthenticationError, PermissionDeniedError, Viewer
from opendata.store.accounts import RoleAssignment
from opendata.store.models import Organization
from opendata.store.requests import DisclosureRequest

_ROLE_SCOPE = {"publisher": "publish", "reviewer": "review"}


@dataclass(frozen=True)
class StaffScope:
    """Organisations whose requests the viewer handles, and those the viewer may read."""

    everywhere: bool
    handle: frozenset[int]
    read: frozenset[int]

    def may_read(self, organization_id: int) -> bool:
        return self.everywhere or organization_id in self.read

    def may_handle(self, organization_id: int) -> bool:
        return self.everywhere or organization_id in self.handle


NOBODY = StaffScope(False, frozenset(), frozenset())


def staff_scope(session: Session, viewer: Viewer) -> StaffScope:
    """The viewer's scope over requests (nothing for anonymous callers and plain users)."""
    if viewer.is_anonymous:
        return NOBODY
    if viewer.is_admin:
        return StaffScope(True, frozenset(), frozenset())
    if viewer.user_id is None:
        return NOBODY
    roles = session.execute(select(RoleAssignment.role, RoleAssignment.organization_id).where(
        RoleAssignment.user_id == viewer.user_id, RoleAssignment.role.in_(tuple(_ROLE_SCOPE)))).all()
    handle = frozenset(org for role, org in roles if org is not None and viewer.has_scope(_ROLE_SCOPE[role]))
    if not handle:
        return NOBODY
    return StaffScope(False, handle, frozenset(_with_descendants(session, handle)))


def require_staff(session: Session, viewer: Viewer) -> StaffScope:
    """The viewer's scope, which must reach at least one organisation (401 / 403 otherwise)."""
    if viewer.is_anonymous:
        raise AuthenticationError("authentication required: staff of an organisation handle requests")
    scope = staff_scope(session, viewer)
    if not (scope.everywhere or scope.read):
        raise PermissionDeniedError("requests are handled by publishers and reviewers of the receiving "
                                    "organisation (with a publish or review token)")
    return scope


def readable_request(session: Session, viewer: Viewer, code: str) -> tuple[DisclosureRequest, StaffScope]:
    """A request the viewer may read as staff; the same NotFoundError for a missing and a hidden one."""
    scope = require_staff(session, viewer)
    request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
    if request is None or not scope.may_read(request.organization_id):
        raise NotFoundError(f"no request {code!r}")
    return request, scope


def handled_request(session: Session, viewer: Viewer, code: str) -> DisclosureRequest:
    """A request the viewer may act on: staff of the receiving organisation (403 for those above it)."""
    request, scope = readable_request(session, viewer, code)
    if not scope.may_handle(request.organization_id):
        raise PermissionDeniedError("staff of organisations above the receiving one read its requests; only "
                                    "the receiving organisation's staff act on them")
    return request


def is_staff_of(session: Session, user_id: int, organization_id: int) -> bool:
    """True when the user is a publisher or reviewer of exactly this organisation (a possible handler)."""
    return session.scalar(select(RoleAssignment.id).where(
        RoleAssignment.user_id == user_id, RoleAssignment.organization_id == organization_id,
        RoleAssignment.role.in_(tuple(_ROLE_SCOPE)))) is not None


def _with_descendants(session: Session, roots: frozenset[int]) -> set[int]:
    children: dict[int, list[int]] = {}
    for org_id, parent_id in session.execute(select(Organization.id, Organization.parent_id)):
        if parent_id is not None:
            children.setdefault(parent_id, []).append(org_id)
    found, stack = set(), list(roots)
    while stack:
        org_id = stack.pop()
        if org_id not in found:
            found.add(org_id)
            stack.extend(children.get(org_id, ()))
    return found
