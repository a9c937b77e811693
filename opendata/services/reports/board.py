"""The publication board: who has published a year's report, and by the deadline or not.

Every organisation of the tree (or of the platform) with its kind, its deadline (departments
31 January, governments at county level and above 31 March), the day its first version was
published (local day) and its status: on time, late, missing (deadline passed, nothing published)
or not yet due. Public: the reports themselves are public once published.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from opendata.core.errors import Problem, ValidationError
from opendata.core.reports.deadlines import (
    KIND_NAMES,
    STATUS_NAMES,
    publication_deadline,
    publication_status,
)
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.reports.entries import FIRST_YEAR
from opendata.services.reports.policy import ReportPolicy
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.reports import ReportVersion


def publication_board(*, runtime: Runtime, policy: ReportPolicy, year: int, organization: str | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """The board of ``year``'s reports for the organisation's tree (every organisation when None)."""
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= 2999:
        raise ValidationError(f"year must be a calendar year from {FIRST_YEAR}, not {year!r}",
                              problems=[Problem("invalid-year", "not a report year", path="year")])
    today = policy.today(now)
    with reading(runtime) as session:
        tree = load_org_tree(session)
        root = find_organization(tree, organization).id if organization is not None else None
        first = dict(session.execute(select(ReportVersion.organization_id, func.min(ReportVersion.published_at))
                                     .where(ReportVersion.year == year).group_by(ReportVersion.organization_id)).all())
        latest = dict(session.execute(select(ReportVersion.organization_id, func.max(ReportVersion.number))
                                      .where(ReportVersion.year == year).group_by(ReportVersion.organization_id)).all())
    rows = []
    for node, depth in tree.walk(root):
        kind = tree.kind(node)
        deadline = publication_deadline(kind, node.level, year)
        published_on = policy.local_date(first[node.id]) if node.id in first else None
        status = publication_status(deadline, published_on, today)
        rows.append({"organization": node.slug, "name": node.name, "name_en": node.name_en, "level": node.level,
                     "depth": depth, "kind": kind, "kind_name": KIND_NAMES[kind][0], "deadline": deadline,
                     "first_published_on": published_on, "versions": latest.get(node.id, 0), "status": status,
                     "status_name": STATUS_NAMES[status][0]})
    counts = Counter(r["status"] for r in rows)
    return {"year": year, "today": today, "organization": organization, "rows": rows,
            "counts": {status: counts.get(status, 0) for status in STATUS_NAMES}}
