"""Table 三 counted in the database: one grouped query over an organisation tree's requests.

The query applies the rule of :mod:`opendata.core.reports.requests_table` in SQL (local days and
years as UTC instants), so a government of 200 organisations and 200,000 requests is one index
range scan and a few hundred groups, never 200,000 objects. Tests hold it to the same answers as
the pure function over the same requests.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from opendata.core.reports import figures
from opendata.core.reports import template as t
from opendata.core.reports.requests_table import table_three
from opendata.services.reports.policy import ReportPolicy
from opendata.store.requests import DisclosureRequest as R


def count_table_three(session: Session, policy: ReportPolicy, organization_ids: list[int],
                      year: int) -> tuple[figures.Table, int]:
    """Table 三 of ``year`` over the organisations' requests, and how many requests it counts."""
    start, end = policy.year_bounds(year)
    intake = case((R.first_receipt_date >= date(year, 1, 1), t.NEW), else_=t.CARRIED_IN)
    result = case((and_(R.decided_at.is_not(None), R.decided_at < end), R.outcome), else_=t.CARRIED_OVER)
    query = (select(intake, result, R.applicant_type, func.count())
             .where(R.organization_id.in_(organization_ids), R.kind.in_(policy.request_kinds),
                    R.first_receipt_date <= date(year, 12, 31),
                    or_(R.decided_at.is_(None), R.decided_at >= start))
             .group_by(intake, result, R.applicant_type))
    counts = {(i, r, a): n for i, r, a, n in session.execute(query)}
    return table_three(counts), sum(counts.values())
