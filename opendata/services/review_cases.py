"""The review use cases as the HTTP layer calls them: each owns its unit of work and its after-commit work.

The rules themselves are in :mod:`opendata.services.review`; these functions open the transaction,
call the rule, and answer with plain data (the review view). A disclosure class changes only
through :mod:`opendata.services.disclosure` (a loosening waits for its own review steps).
"""

from __future__ import annotations

from typing import Any

from opendata.services import review
from opendata.services.access import Viewer
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading, unit_of_work


def _steps(runtime: Runtime) -> tuple[str, ...]:
    return review.parse_review_steps(runtime.config.REVIEW_STEPS)


def review_queue_of(*, runtime: Runtime, viewer: Viewer) -> dict[str, Any]:
    """Versions awaiting review in the viewer's organizations, with the next step."""
    with reading(runtime) as session:
        return {"versions": review.review_queue(session=session, viewer=viewer, steps=_steps(runtime))}


def review_view_of(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int) -> dict[str, Any]:
    """The review view of one version: report summary, PII findings, steps so far."""
    with reading(runtime) as session:
        return _view(runtime, session, viewer, identifier, number)


def _view(runtime: Runtime, session, viewer: Viewer, identifier: str, number: int) -> dict[str, Any]:
    version = review.get_review_version(session, viewer, identifier, number)
    return review.review_view(session=session, viewer=viewer, version=version, steps=_steps(runtime))


def reject_version(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int, reason: str) -> dict[str, Any]:
    """Reject a version awaiting review; answers its review view."""
    with unit_of_work(runtime) as session:
        review.review_reject(session=session, viewer=viewer, identifier=identifier, number=number, reason=reason)
        return _view(runtime, session, viewer, identifier, number)


def resolve_pii_finding(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int,
                        **resolution: Any) -> dict[str, Any]:
    """Resolve a personal-information finding (mask, drop, or confirm lawful with a reason)."""
    with unit_of_work(runtime) as session:
        return review.resolve_finding(session=session, viewer=viewer, identifier=identifier, number=number,
                                      **resolution)
