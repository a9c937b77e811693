"""The timeliness board: each active, non-closed dataset's due date, per organisation and tree.

One Core query gives every dataset's frequency, registration and newest publication as whole
seconds (the database turns its timestamps into integers: no Python datetime per row, no ORM
object), then the rule of :mod:`opendata.core.timeliness` runs over columns of local day numbers.
The facts are kept in the process's read cache until the next commit, so a board asked again
costs only the classification. Public: it holds catalogue metadata only.

This path imports neither the ORM models nor the access rules: ``opendata timeliness`` over 50,000
datasets is a whole command that must answer within a second (bench/reports.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import func, select

from opendata.core import lifecycle
from opendata.core.errors import Problem, ValidationError
from opendata.core.timeliness import (
    DUE_SOON,
    NO_SCHEDULE,
    ON_TIME,
    OVERDUE,
    STATUS_NAMES,
    LocalDays,
    Standing,
    Tally,
    place_days,
    tally_columns,
)
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.runtime import Runtime
from opendata.services.timeliness.policy import MAX_WITHIN, TimelinessPolicy
from opendata.store.catalogue_columns import DATASET, VERSION, epoch_seconds

STATUSES = (OVERDUE, DUE_SOON, ON_TIME, NO_SCHEDULE)
MAX_LIMIT = 1000
_NO_DUE = date.max.toordinal() + 1  # sorts after every due day


class DatasetFacts(NamedTuple):
    """One dataset as the board lists it and the notices name it."""

    id: int
    identifier: str
    title: str
    organization_id: int
    frequency: str


@dataclass(frozen=True)
class BoardFacts:
    """What the rule needs of every dataset, as columns: row ``i`` of each list is one dataset."""

    ids: list[int]
    identifiers: list[str]
    titles: list[str]
    organization_ids: list[int]
    frequencies: list[str]
    registered: list[int]  # seconds since 1970 (UTC)
    published: list[int | None]  # the newest published version's, or None

    def row(self, i: int) -> DatasetFacts:
        return DatasetFacts(self.ids[i], self.identifiers[i], self.titles[i], self.organization_ids[i],
                            self.frequencies[i])


@dataclass(frozen=True)
class Placed:
    """Where every dataset of :class:`BoardFacts` stands on ``today`` (date ordinals, same rows)."""

    facts: BoardFacts
    today: int
    last: list[int]
    statuses: list[str]
    dues: list[int | None]

    def standing(self, i: int) -> Standing:
        due = self.dues[i]
        return Standing(self.statuses[i], date.fromordinal(self.last[i]),
                        None if due is None else date.fromordinal(due), None if due is None else due - self.today,
                        self.facts.published[i] is None)


def dataset_facts(connection, dataset_ids: list[int] | None = None) -> BoardFacts:
    """Every active dataset that publishes data (or those of ``dataset_ids``), with its newest publication."""
    newest = select(VERSION.c.dataset_id, func.max(epoch_seconds(VERSION.c.published_at)).label("at")).where(
        VERSION.c.state == lifecycle.PUBLISHED)
    d = DATASET.c
    query = select(d.id, d.identifier, d.title, d.organization_id, d.frequency, epoch_seconds(d.created_at)).where(
        d.state == lifecycle.DATASET_ACTIVE, d.disclosure != "closed")
    if dataset_ids is not None:
        newest = newest.where(VERSION.c.dataset_id.in_(dataset_ids))
        query = query.where(d.id.in_(dataset_ids))
    newest = newest.group_by(VERSION.c.dataset_id).subquery()
    rows = connection.execute(query.add_columns(newest.c.at).outerjoin(newest, newest.c.dataset_id == d.id)).all()
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in range(7)]
    return BoardFacts(*columns)


def place(facts: BoardFacts, policy: TimelinessPolicy, today: date, within: int) -> Placed:
    """Where every dataset stands on ``today``: its last update's local day, status and due day."""
    local = LocalDays(policy.timezone)
    last = [local(p if p is not None else r) for p, r in zip(facts.published, facts.registered, strict=True)]
    statuses, dues = place_days(facts.frequencies, last, today.toordinal(), within)
    return Placed(facts, today.toordinal(), last, statuses, dues)


def board_facts(runtime: Runtime) -> BoardFacts:
    """Every dataset's facts (from the read cache when nothing was committed since they were read)."""
    found, value = runtime.read_cache.lookup("timeliness-facts")
    if found:
        return value
    with runtime.engine.connect() as connection:
        facts = dataset_facts(connection)
    runtime.read_cache.store("timeliness-facts", facts, value)
    return facts


def standings(runtime: Runtime, policy: TimelinessPolicy, today: date,
              within: int) -> list[tuple[DatasetFacts, Standing]]:
    """Each dataset with where it stands today."""
    placed = place(board_facts(runtime), policy, today, within)
    return [(placed.facts.row(i), placed.standing(i)) for i in range(len(placed.statuses))]


def timeliness_board(*, runtime: Runtime, policy: TimelinessPolicy, organization: str | None = None,
                     within: int | None = None, status: tuple[str, ...] = (OVERDUE, DUE_SOON), page: int = 1,
                     limit: int = 100, now: datetime | None = None) -> dict[str, Any]:
    """Overdue and due-soon datasets of the organisation's tree (or the platform), and each organisation's rate."""
    within = policy.notice_days if within is None else within
    _check(within, status, page, limit)
    today = policy.today(now)
    with runtime.engine.connect() as connection:
        tree = load_org_tree(connection)
    root = find_organization(tree, organization) if organization is not None else None
    placed = place(board_facts(runtime), policy, today, within)
    facts = placed.facts
    never = [p is None for p in facts.published]
    tallies = tally_columns(facts.organization_ids, placed.statuses, never,
                            {n.id: n.parent_id for n in tree.nodes.values()})
    scope = set(tree.subtree_ids(root.id)) if root is not None else set(tree.nodes)
    wanted = set(status)
    items = [i for i, (org, s) in enumerate(zip(facts.organization_ids, placed.statuses, strict=True))
             if s in wanted and org in scope]
    dues, identifiers = placed.dues, facts.identifiers
    items.sort(key=lambda i: (_NO_DUE if dues[i] is None else dues[i], identifiers[i]))
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
            "items": [_item(facts.row(i), placed.standing(i), tree) for i in items[start:start + limit]]}


def dataset_timeliness(*, runtime: Runtime, policy: TimelinessPolicy, dataset_id: int,
                       now: datetime | None = None) -> dict[str, Any] | None:
    """Where one dataset stands (for its page and the quality score); None for closed or withdrawn ones."""
    with runtime.engine.connect() as connection:
        facts = dataset_facts(connection, [dataset_id])
    if not facts.ids:
        return None
    return _standing_dict(place(facts, policy, policy.today(now), policy.notice_days).standing(0))


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
