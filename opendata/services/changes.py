"""The change feed for harvesters and the recent-datasets list behind the Atom feed.

Only changes of datasets the viewer may see are given; a withdrawal is given too (with the
identifier only), so harvesters learn to drop an entry that was public before.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from opendata.core.keys import KEY_MAX
from opendata.core.urls import SITE, Links
from opendata.services.access import ANONYMOUS, Viewer, can_see_dataset, dataset_listed_clause
from opendata.services.runtime import Runtime
from opendata.services.search import dataset_summary
from opendata.store.models import ChangeRecord, Dataset, Version

_PUBLIC_ACTIONS = ("dataset-created", "dataset-updated", "dataset-withdrawn", "version-published",
                   "version-withdrawn")


def changes_since(*, runtime: Runtime, since: int = 0, limit: int = 100, viewer: Viewer = ANONYMOUS,
                  links: Links = SITE) -> dict[str, Any]:
    """Changes with a sequence number above ``since``: {changes, next, more}."""
    since = min(since, KEY_MAX)  # none is above the largest sequence number a database can store
    with runtime.sessions() as session:
        rows = session.execute(
            select(ChangeRecord, Dataset, Version.number)
            .join(Dataset, Dataset.id == ChangeRecord.dataset_id)
            .outerjoin(Version, Version.id == ChangeRecord.version_id)
            .where(ChangeRecord.seq > since, ChangeRecord.action.in_(_PUBLIC_ACTIONS),
                   or_(dataset_listed_clause(viewer), ChangeRecord.action == "dataset-withdrawn"))
            .order_by(ChangeRecord.seq).limit(limit + 1)).all()
        more = len(rows) > limit
        out = []
        for rec, ds, number in rows[:limit]:
            visible = can_see_dataset(viewer, ds)
            out.append({"seq": rec.seq, "at": rec.at.isoformat(), "action": rec.action, "dataset": ds.identifier,
                        "title": ds.title if visible else None, "version": number,
                        "url": links.dataset_api(ds.identifier) if visible else None})
        return {"changes": out, "next": out[-1]["seq"] if out else since, "more": more}


def recent_datasets(*, runtime: Runtime, limit: int = 50, viewer: Viewer = ANONYMOUS) -> list[dict[str, Any]]:
    """The most recently modified visible datasets (newest first), as summaries."""
    with runtime.sessions() as session:
        datasets = session.scalars(
            select(Dataset).where(dataset_listed_clause(viewer)).options(
                selectinload(Dataset.organization), selectinload(Dataset.versions).selectinload(Version.artifacts))
            .order_by(Dataset.modified_at.desc(), Dataset.id.desc()).limit(limit)).all()
        return [dataset_summary(ds, viewer) for ds in datasets]
