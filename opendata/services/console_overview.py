"""The console's first page: what waits for the signed-in person, counted from the services that own it."""

from __future__ import annotations

from typing import Any

from opendata.core import lifecycle
from opendata.core.requests import states
from opendata.services.access import Viewer
from opendata.services.console_datasets import my_datasets
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.queue import QueueFilter, list_queue
from opendata.services.review_cases import review_queue_of
from opendata.services.runtime import Runtime


def console_overview(*, runtime: Runtime, viewer: Viewer, policy: RequestPolicy) -> dict[str, Any]:
    """Counts for the overview: datasets and their versions needing work, review steps, open requests."""
    datasets = my_datasets(runtime=runtime, viewer=viewer)
    latest = [d["latest"] for d in datasets if d["latest"]]
    staff = viewer.is_admin or bool(viewer.publish_organization_ids or viewer.review_organization_ids)
    queue = review_queue_of(runtime=runtime, viewer=viewer)["versions"] if staff else []
    requests = None
    if staff:
        page = list_queue(runtime=runtime, policy=policy, viewer=viewer,
                          f=QueueFilter(states=states.ACTIVE_STATES, limit=1))
        overdue = list_queue(runtime=runtime, policy=policy, viewer=viewer,
                             f=QueueFilter(states=states.ACTIVE_STATES, overdue=True, limit=1))
        requests = {"open": page["total"], "overdue": overdue["total"]}
    return {
        "datasets": len(datasets),
        "invalid": sum(1 for v in latest if v["state"] == lifecycle.INVALID),
        "findings": sum(1 for v in latest if v["state"] == lifecycle.AWAITING_REVIEW and v["pii_unresolved"]),
        "awaiting_review": len(queue),
        "your_steps": sum(1 for item in queue if item["you_may_act"]),
        "requests": requests,
    }
