"""The organisation tree from the database, and who is staff of which organisation.

Reports, the timeliness board, quality averages and usage statistics sum over an organisation and
every organisation under it; they load the tree here (one query) and walk it with
:class:`opendata.core.org_tree.OrgTree`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import NotFoundError
from opendata.core.org_tree import OrgNode, OrgTree
from opendata.services.access import AuthenticationError, PermissionDeniedError, Viewer
from opendata.store.models import Organization


def load_org_tree(session: Session) -> OrgTree:
    """Every organisation, as a tree."""
    rows = session.execute(select(Organization.id, Organization.slug, Organization.name, Organization.level,
                                  Organization.parent_id, Organization.name_en, Organization.division_code,
                                  Organization.credit_code))
    return OrgTree(OrgNode(*row) for row in rows)


def find_organization(tree: OrgTree, slug: str) -> OrgNode:
    """The organisation called ``slug``; NotFoundError naming it otherwise."""
    node = tree.by_slug(slug) if isinstance(slug, str) else None
    if node is None:
        raise NotFoundError(f"organization {slug!r} does not exist")
    return node


def is_staff_of(viewer: Viewer, organization_id: int) -> bool:
    """True for administrators and for publishers or reviewers of the organisation (or one above it)."""
    if viewer.is_admin:
        return True
    return ((viewer.has_scope("publish") and organization_id in viewer.publish_organization_ids)
            or (viewer.has_scope("review") and organization_id in viewer.review_organization_ids))


def require_staff_of(viewer: Viewer, node: OrgNode | None) -> None:
    """401 for anonymous callers, 403 for anyone who is not staff of the organisation."""
    if viewer.is_anonymous:
        raise AuthenticationError("authentication required: staff of the organisation sign in with a token")
    if node is not None and not is_staff_of(viewer, node.id):
        raise PermissionDeniedError(f"only publishers and reviewers of {node.name} ({node.slug}) or "
                                    "administrators may do this")
