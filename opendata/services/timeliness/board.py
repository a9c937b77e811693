"""The timeliness board: each active, non-closed dataset's due date, per organisation and tree.

One query gives every dataset's frequency, registration and newest publication (an aggregate over
the published versions' index); the rule of :mod:`opendata.core.timeliness` does the rest in
memory. The rows are kept in the process's read cache until the next commit, so a board asked again
costs only the classification. Public: it holds catalogue metadata only.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.errors import Problem, ValidationError
from opendata.core.timeliness import (
    DUE_SOON,
    NO_SCHEDULE,
    ON_TIME,
    OVERDUE,
    STATUS_NAMES,
    Standing,
    Tally,
    standing,
    tally_tree,
)
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.runtime import Runtime
from opendata.services.timeliness.policy import MAX_WITHIN, TimelinessPolicy
from opendata.services.unit_of_work import reading
from opendata.store.models import Dataset, Version

STATUSES = (OVERDUE, DUE_SOON, ON_TIME, NO_SCHEDULE)
MAX_LIMIT = 1000


class DatasetFacts(NamedTuple):
    """What the rule needs of one dataset."""

    id: int
    identifier: str
    title: str
    organization_id: int
    frequency: str
    registered: datetime
    last_published: datetime | None


def dataset_facts(session: Session, dataset_ids: list[int] | None = None) -> list[DatasetFacts]:
    """Every active dataset that publishes data (or those of ``dataset_ids``), with its newest publication."""
    newest = select(Version.dataset_id, func.max(Version.published_at).label("at")).where(
        Version.state == lifecycle.PUBLISHED)
    query = select(Dataset.id, Dataset.identifier, Dataset.title, Dataset.organization_id, Dataset.frequency,
                   Dataset.created_at).where(Dataset.state == lifecycle.DATASET_ACTIVE, Dataset.disclosure != "closed")
    if dataset_ids is not None:
        newest = newest.where(Version.dataset_id.in_(dataset_ids))
        query = query.where(Dataset.id.in_(dataset_ids))
    newest = newest.group_by(Version.dataset_id).subquery()
    rows = session.execute(query.add_columns(newest.c.at).outerjoin(newest, newest.c.dataset_id == Dataset.id))
    return [DatasetFacts(*row) for row in rows]


def place(f: DatasetFacts, policy: TimelinessPolicy, today: date, within: int) -> Standing:
    """Where one dataset stands on ``today``."""
    local = policy.local_date
    return standing(f.frequency, local(f.last_published) if f.last_published else None, local(f.registered),
                    today, within)


def standings(runtime: Runtime, policy: TimelinessPolicy, today: date, within: int) -> list[tuple[DatasetFacts, Standing]]:
    """Each dataset with where it stands today (the facts come from the read cache when nothing changed)."""
    found, version = runtime.read_cache.lookup("timeliness-facts")
    if not found:
        with reading(runtime) as session:
            facts = dataset_facts(session)
        runtime.read_cache.store("timeliness-facts", facts, version)
    else:
        facts = version
    return [(f, place(f, policy, today, within)) for f in facts]


def timeliness_board(*, runtime: Runtime, policy: TimelinessPolicy, organization: str | None = None,
                     within: int | None = None, status: tuple[str, ...] = (OVERDUE, DUE_SOON), page: int = 1,
                     limit: int = 100, now: datetime | None = None) -> dict[str, Any]:
    """Overdue and due-soon datasets of the organisation's tree (or the platform), and each organisation's rate."""
    within = policy.notice_days if within is None else within
    _check(within, status, page, limit)
    today = policy.today(now)
    with reading(runtime) as session:
        tree = load_org_tree(session)
    root = find_organization(tree, organization) if organization is not None else None
    placed = standings(runtime, policy, today, within)
    tallies = tally_tree(((f.organization_id, s) for f, s in placed),
                         {n.id: n.parent_id for n in tree.nodes.values()})
    scope = set(tree.subtree_ids(root.id)) if root is not None else set(tree.nodes)
    wanted = set(status)
    items = [(f, s) for f, s in placed if f.organization_id in scope and s.status in wanted]
    items.sort(key=lambda pair: (pair[1].due or date.max, pair[0].identifier))
    start = (page - 1) * limit
    orgs = [{"organization": node.slug, "name": node.name, "depth": depth, "parent": _slug(tree, node.parent_id),
             "own": tallies.own[node.id].as_dict(), "tree": tallies.tree[node.id].as_dict()}
            for node, depth in tree.walk(root.id if root else None)]
    summary = tallies.tree[root.id] if root is not None else _platform(tallies, tree)
    return {"today": today, "within": within, "organization": root.slug if root else None,
            "rule": "due = local day of the newest published version (or of registration, if never published) "
                    "+ the frequency's maximum age; overdue after that day",
            "summary": summary.as_dict(), "organizations": orgs, "status": sorted(wanted),
            "total": len(items), "page": page, "limit": limit,
            "items": [_item(f, s, tree) for f, s in items[start:start + limit]]}


def dataset_timeliness(*, runtime: Runtime, policy: TimelinessPolicy, dataset_id: int,
                       now: datetime | None = None) -> dict[str, Any] | None:
    """Where one dataset stands (for its page and the quality score); None for closed or withdrawn ones."""
    with reading(runtime) as session:
        facts = dataset_facts(session, [dataset_id])
    if not facts:
        return None
    return _standing_dict(place(facts[0], policy, policy.today(now), policy.notice_days))


def _platform(tallies, tree) -> Tally:
    total = Tally()
    for root in tree.children(None):
        total.merge(tallies.tree[root.id])
    return total


def _item(f: DatasetFacts, s: Standing, tree) -> dict[str, Any]:
    node = tree.nodes.get(f.organization_id)
    return {"dataset": f.identifier, "title": f.title, "organization": node.slug if node else None,
            "organization_name": node.name if node else None, "frequency": f.frequency, **_standing_dict(s)}


def _standing_dict(s: Standing) -> dict[str, Any]:
    return {"status": s.status, "status_name": STATUS_NAMES[s.status][0], "last_update": s.last_update,
            "due": s.due, "days_left": s.days_left, "never_published": s.never_published}


def _slug(tree, org_id: int | None) -> str | None:
    node = tree.nodes.get(org_id) if org_id is not None else None
    return node.slug if node else None


def _check(within: int, status: tuple[str, ...], page: int, limit: int) -> None:
    problems = []
    if isinstance(within, bool) or not isinstance(within, int) or not 0 <= within <= MAX_WITHIN:
        problems.append(Problem("invalid-parameter", f"within is 0 to {MAX_WITHIN} days", path="within"))
    unknown = [s for s in status if s not in STATUSES]
    if unknown or not status:
        problems.append(Problem("invalid-parameter", f"status is one or more of {', '.join(STATUSES)}",
                                path="status"))
    if not 1 <= page <= 100_000:
        problems.append(Problem("invalid-parameter", "page is 1 or more", path="page"))
    if not 1 <= limit <= MAX_LIMIT:
        problems.append(Problem("invalid-parameter", f"limit is 1 to {MAX_LIMIT}", path="limit"))
    if problems:
        raise ValidationError(problems[0].message, problems=problems)
