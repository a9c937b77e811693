"""What the administrator's command line lists: everything in the database, no access rules applied.

The API and the pages read through :mod:`opendata.services.published` instead, which applies them.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from opendata.core.errors import NotFoundError
from opendata.store.models import Dataset, Organization, TableSchemaRecord, Version


def all_organizations(session: Session) -> list[tuple[Organization, int]]:
    """Organizations with their dataset counts, in tree order (parents before children)."""
    counts = dict(session.execute(select(Dataset.organization_id, func.count()).group_by(Dataset.organization_id)).all())
    orgs = session.scalars(select(Organization).order_by(Organization.id)).all()
    by_parent: dict[int | None, list[Organization]] = {}
    for o in orgs:
        by_parent.setdefault(o.parent_id, []).append(o)
    out: list[tuple[Organization, int]] = []

    def walk(parent: int | None) -> None:
        for o in by_parent.get(parent, []):
            out.append((o, counts.get(o.id, 0)))
            walk(o.id)

    walk(None)
    return out


def organization_depth(org: Organization) -> int:
    depth, cur = 0, org
    while cur.parent is not None:
        depth, cur = depth + 1, cur.parent
    return depth


def all_datasets(session: Session) -> list[Dataset]:
    return session.scalars(select(Dataset).options(selectinload(Dataset.versions), selectinload(Dataset.organization))
                           .order_by(Dataset.identifier)).all()


def all_versions(session: Session, identifier: str) -> list[Version]:
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier))
    if ds is None:
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return list(ds.versions)


def find_version(session: Session, identifier: str, number: int | None) -> Version:
    """A dataset's version by number, or its newest version when number is None."""
    versions = all_versions(session, identifier)
    if not versions:
        raise NotFoundError(f"dataset '{identifier}' has no versions")
    if number is None:
        return versions[-1]
    for v in versions:
        if v.number == number:
            return v
    raise NotFoundError(f"dataset '{identifier}' has no version {number}")


def all_schemas(session: Session) -> list[TableSchemaRecord]:
    return session.scalars(select(TableSchemaRecord).order_by(TableSchemaRecord.name)).all()
