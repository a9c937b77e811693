"""Organizations as a viewer sees them: the list in tree order, the nested tree and one organization's page.

Counts are of the datasets the viewer may see listed, and of those whose data the viewer may receive.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from opendata.core import vocab
from opendata.core.errors import NotFoundError
from opendata.services.access import (
    ANONYMOUS,
    Viewer,
    dataset_listed_clause,
    latest_served_version,
)
from opendata.services.runtime import Runtime
from opendata.services.search import (
    term,
)
from opendata.store.models import Dataset, Organization

DOWNLOAD_KINDS = {"csv": "csv", "parquet": "parquet", "excel": "csv-excel"}
PUBLIC_ARTIFACTS = ("csv", "csv-excel", "parquet", "datapackage")


# -- organizations --------------------------------------------------------------------------------
def _org_counts(session: Session, viewer: Viewer) -> tuple[dict[int, int], dict[int, int]]:
    """Per organization: datasets the viewer may see, and those whose data the viewer may receive."""
    listed = dict(session.execute(select(Dataset.organization_id, func.count()).where(
        dataset_listed_clause(viewer)).group_by(Dataset.organization_id)).all())
    open_counts: dict[int, int] = {}
    for ds in session.scalars(select(Dataset).where(dataset_listed_clause(viewer)).options(
            selectinload(Dataset.versions))):
        if latest_served_version(viewer, ds) is not None:
            open_counts[ds.organization_id] = open_counts.get(ds.organization_id, 0) + 1
    return listed, open_counts


def _org_dict(o: Organization, listed: dict[int, int], open_counts: dict[int, int]) -> dict[str, Any]:
    level = vocab.lookup("level", o.level)
    return {"id": o.slug, "name": o.name, "name_en": o.name_en, "credit_code": o.credit_code,
            "level": {"key": o.level, "name": level.zh if level else o.level},
            "division_code": o.division_code, "parent": o.parent.slug if o.parent else None,
            "datasets": listed.get(o.id, 0), "open_datasets": open_counts.get(o.id, 0)}


def list_organizations(*, runtime: Runtime, viewer: Viewer = ANONYMOUS) -> list[dict[str, Any]]:
    """Every organization with counts of the datasets the viewer may see, parents first."""
    with runtime.sessions() as session:
        listed, open_counts = _org_counts(session, viewer)
        orgs = session.scalars(select(Organization).options(selectinload(Organization.parent))
                               .order_by(Organization.id)).all()
        return [_org_dict(o, listed, open_counts) for o in _tree_order(orgs)]


def _tree_order(orgs: list[Organization]) -> list[Organization]:
    by_parent: dict[int | None, list[Organization]] = {}
    for o in orgs:
        by_parent.setdefault(o.parent_id, []).append(o)
    out: list[Organization] = []

    def walk(parent: int | None) -> None:
        for o in sorted(by_parent.get(parent, []), key=lambda x: x.slug):
            out.append(o)
            walk(o.id)

    walk(None)
    return out


def organization_tree(*, runtime: Runtime, viewer: Viewer = ANONYMOUS) -> list[dict[str, Any]]:
    """Organizations nested under their parents; ``datasets_total`` includes descendants."""
    flat = list_organizations(runtime=runtime, viewer=viewer)
    nodes = {o["id"]: {**o, "children": []} for o in flat}
    roots = []
    for o in flat:
        (nodes[o["parent"]]["children"] if o["parent"] in nodes else roots).append(nodes[o["id"]])

    def total(node: dict[str, Any]) -> int:
        node["datasets_total"] = node["datasets"] + sum(total(c) for c in node["children"])
        return node["datasets_total"]

    for r in roots:
        total(r)
    return roots


def organization_detail(*, runtime: Runtime, slug: str, viewer: Viewer = ANONYMOUS) -> dict[str, Any]:
    """One organization: its fields, contact, counts, children and the themes of its datasets."""
    with runtime.sessions() as session:
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            raise NotFoundError(f"organization '{slug}' does not exist")
        listed, open_counts = _org_counts(session, viewer)
        out = _org_dict(org, listed, open_counts)
        out["contact"] = dict(org.contact or {})
        out["children"] = [{"id": c.slug, "name": c.name} for c in sorted(org.children, key=lambda c: c.slug)]
        themes = session.execute(select(Dataset.theme, func.count()).where(
            Dataset.organization_id == org.id, dataset_listed_clause(viewer)).group_by(Dataset.theme)).all()
        out["themes"] = [{**term("theme", t), "count": n} for t, n in sorted(themes, key=lambda x: -x[1])]
        return out


