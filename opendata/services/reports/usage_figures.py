"""How much the platform was used during a year, summed over an organisation tree's datasets."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from opendata.store.models import Dataset, UsageDaily


def usage_in_year(session: Session, organization_ids: list[int], first: date, last: date) -> dict[str, int]:
    """Downloads and API calls of the organisations' datasets between ``first`` and ``last`` (days)."""
    downloads, api_calls = session.execute(
        select(func.coalesce(func.sum(UsageDaily.downloads), 0), func.coalesce(func.sum(UsageDaily.api_calls), 0))
        .join(Dataset, Dataset.id == UsageDaily.dataset_id)
        .where(Dataset.organization_id.in_(organization_ids), UsageDaily.day >= first, UsageDaily.day <= last)).one()
    return {"downloads": int(downloads), "api_calls": int(api_calls)}
