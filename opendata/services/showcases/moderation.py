"""Moderating showcases: administrators and the publishers of the datasets a showcase uses decide.

``publish`` shows a pending, rejected or withdrawn showcase to everyone; ``reject`` turns a pending
one down and ``withdraw`` takes a published one off the site, each with a note saying why (kept for
the moderators). Every decision is in the audit log. A moderator's queue lists the showcases of
one state that use a dataset they publish (every showcase for administrators).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from opendata.core.errors import ConflictError, NotFoundError, Problem, ValidationError
from opendata.core.showcase import STATES
from opendata.core.textcheck import text_problem
from opendata.core.urls import Links
from opendata.services.access import AuthenticationError, PermissionDeniedError, Viewer
from opendata.services.audit import audit_record
from opendata.services.runtime import Runtime
from opendata.services.showcases.reading import is_moderator, loaded_showcases, showcase_dict
from opendata.services.unit_of_work import reading, unit_of_work
from opendata.store.models import Dataset, utcnow
from opendata.store.showcases import Showcase, ShowcaseDataset

# decision -> (the states it may follow, the state it leads to, whether it needs a note)
DECISIONS = {"publish": (("pending", "rejected", "withdrawn"), "published", False),
             "reject": (("pending",), "rejected", True),
             "withdraw": (("published",), "withdrawn", True)}
MAX_NOTE = 2000


def moderate_showcase(*, runtime: Runtime, viewer: Viewer, links: Links, name: str, decision: str,
                      note: str | None = None) -> dict[str, Any]:
    """Publish, reject or withdraw a showcase (its moderators only); the showcase as it now stands."""
    if viewer.is_anonymous:
        raise AuthenticationError("moderating a showcase needs a token or a signed-in session")
    if decision not in DECISIONS:
        raise ValidationError(f"unknown decision {decision!r}", problems=[Problem(
            "invalid", f"decision must be one of {', '.join(DECISIONS)}", path="decision")])
    note = _note(note, required=DECISIONS[decision][2])
    with unit_of_work(runtime) as session:
        sc = session.scalar(loaded_showcases().where(Showcase.name == name).with_for_update()) \
            if len(name) <= 100 else None
        if sc is None or (sc.state != "published" and not is_moderator(viewer, sc)):
            raise NotFoundError(f"showcase '{name}' does not exist")
        if not is_moderator(viewer, sc):
            raise PermissionDeniedError("showcases are moderated by administrators and the publishers of the "
                                        "datasets they use")
        allowed, target, _needs_note = DECISIONS[decision]
        if sc.state not in allowed:
            raise ConflictError(f"showcase '{name}' is {sc.state}: it cannot be {decision}ed", problems=[Problem(
                "invalid-state", f"{decision} applies to a showcase that is {' or '.join(allowed)}", path="decision")])
        before = sc.state
        now = utcnow()
        sc.state, sc.moderated_by, sc.moderated_at, sc.moderation_note, sc.modified_at = (
            target, viewer.user, now, note, now)
        if target == "published":
            sc.published_at = now
        audit_record(session=session, actor=viewer, action=f"showcase-{decision}", target_type="showcase",
                     target_id=name, before={"state": before}, after={"state": target, "note": note})
        session.flush()
        return showcase_dict(sc, links, moderator=True)


def moderation_queue(*, runtime: Runtime, viewer: Viewer, links: Links, state: str = "pending",
                     limit: int = 100) -> list[dict[str, Any]]:
    """The showcases in ``state`` the viewer moderates, oldest submission first."""
    if viewer.is_anonymous:
        raise AuthenticationError("the moderation queue needs a token or a signed-in session")
    if state not in STATES:
        raise ValidationError(f"unknown state {state!r}", problems=[Problem(
            "invalid-parameter", f"state must be one of {', '.join(STATES)}", path="state")])
    with reading(runtime) as session:
        query = loaded_showcases().where(Showcase.state == state)
        if not viewer.is_admin:
            own = sorted(viewer.publish_organization_ids) if viewer.has_scope("publish") else []
            if not own:
                raise PermissionDeniedError("showcases are moderated by administrators and the publishers of the "
                                            "datasets they use")
            query = query.where(Showcase.id.in_(select(ShowcaseDataset.showcase_id).join(Dataset).where(
                Dataset.organization_id.in_(own))))
        rows = session.scalars(query.order_by(Showcase.submitted_at, Showcase.id).limit(max(1, min(limit, 500))))
        return [showcase_dict(sc, links, moderator=True) for sc in rows]


def _note(note: str | None, *, required: bool) -> str | None:
    text = (note or "").replace("\r\n", "\n").strip()
    if not text:
        if required:
            raise ValidationError("a note is required", problems=[Problem(
                "required", "note is required: say why (the moderators keep it)", path="note")])
        return None
    if len(text) > MAX_NOTE:
        raise ValidationError("the note is too long", problems=[Problem(
            "too-long", f"note has {len(text)} characters; at most {MAX_NOTE} are accepted", path="note")])
    if (problem := text_problem(text, multiline=True)) is not None:
        raise ValidationError("the note cannot be stored", problems=[Problem("control-character", f"note {problem}",
                                                                             path="note")])
    return text
