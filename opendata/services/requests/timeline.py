"""A request's timeline and its audit trail: every state change is written to both, in one step.

The timeline (``request_event``) is what the applicant follows (public events) and what staff read
(all events, internal notes included); the audit log is the platform's record of every write.
Neither ever holds the identity number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from opendata.core.requests import states
from opendata.services.access import Viewer, system_viewer
from opendata.services.audit import audit_record
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest, RequestEvent

CLOCK = system_viewer("clock")  # the actor of what deadlines do on their own (六.1, 六.2, a pause's bound)


def actor_name(viewer: Viewer) -> str:
    """How the timeline names who acted."""
    return viewer.user or "applicant"


def move(request: DisclosureRequest, action: str) -> str:
    """Apply ``action`` to the request's state (ConflictError when it may not happen now)."""
    before = request.state
    request.state = states.next_state(request.state, action)
    return before


def record(session: Session, request: DisclosureRequest, viewer: Viewer, action: str, *, public: bool = True,
           text: str | None = None, data: dict[str, Any] | None = None, before_state: str | None = None,
           at: datetime | None = None) -> RequestEvent:
    """Append a timeline event and the matching audit entry; the request's modified time moves."""
    at = at or utcnow()
    event = RequestEvent(request_id=request.id, at=at, actor=actor_name(viewer), action=action, public=public,
                         text=text, data=_jsonable(data or {}), state=request.state)
    session.add(event)
    request.modified_at = at
    audit_record(session=session, actor=viewer, action=f"request-{action}", target_type="disclosure_request",
                 target_id=request.code,
                 before={"state": before_state} if before_state and before_state != request.state else None,
                 after={"state": request.state, **({"note": text} if public and text else {}),
                        **_jsonable(data or {})})
    session.flush()
    return event


def clock_data(request: DisclosureRequest) -> dict[str, Any]:
    """The computed dates of a request as a timeline event keeps them (with the calendar version)."""
    data = {"receipt_date": request.receipt_date, "due_date": request.due_date,
            "extension_days": request.extension_days, "paused_days": request.paused_days,
            "calendar_version": request.calendar_version}
    if request.calendar_warning:
        data["calendar_warning"] = request.calendar_warning
    return data


def _jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, date | datetime) else v) for k, v in data.items()}
