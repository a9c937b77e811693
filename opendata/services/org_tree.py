"""The organisation tree from the database, and who is staff of which organisation.

Reports, the timeliness board, quality averages and usage statistics sum over an organisation and
every organisation under it; they load the tree here (one query) and walk it with
:class:`opendata.core.org_tree.OrgTree`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from opendata.core.errors import NotFoundError
from opendata.core.org_tree import OrgNode, OrgTree
from opendata.store.catalogue_columns import ORGANIZATION

if TYPE_CHECKING:  # the access rules (and the ORM models they use) load only where staff are checked
    from sqlalchemy import Connection
    from sqlalchemy.orm import Session

    from opendata.services.access import Viewer


def load_org_tree(session: Session | Connection) -> OrgTree:
    """Every organisation, as a tree (a Core query: the timeliness command reads it without the ORM)."""
    o = ORGANIZATION.c
    rows = session.execute(select(o.id, o.slug, o.name, o.level, o.parent_id, o.name_en, o.division_code,
                                  o.credit_code))
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
    from opendata.services.access import AuthenticationError, PermissionDeniedError

    if viewer.is_anonymous:
        raise AuthenticationError("authentication required: staff of the organisation sign in with a token")
    if node is not None and not is_staff_of(viewer, node.id):
        raise PermissionDeniedError(f"only publishers and reviewers of {node.name} ({node.slug}) or "
                                    "administrators may do this")
