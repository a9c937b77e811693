"""What staff read: an organisation's queue (filters, days left, overdue and due-soon flags, calendar
warnings) and a request's full record.

Identity numbers are masked in every staff view except the detail view of the request's own
handler. The queue is one indexed query over (organization, state, due date) plus one count, so it
stays fast at a hundred thousand requests.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from opendata.core.requests import applicant as ap
from opendata.core.requests import states
from opendata.core.requests.clock import DUE_SOON_DAYS, standing
from opendata.core.requests.vocab import APPLICANT_TYPES, OUTCOME_BY_KEY, label
from opendata.services.access import Viewer
from opendata.services.outbox import message_dict, outbox_list
from opendata.services.requests.decision import reply_document
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import StaffScope, readable_request, require_staff
from opendata.services.runtime import Runtime
from opendata.store.accounts import User
from opendata.store.models import Dataset, Organization
from opendata.store.requests import DisclosureRequest

MAX_PAGE = 200
# "received" sorts by the day a request counts as received: the indexed column, so a page reads 50 rows
SORTS = {"due": ("due_date", "id"), "received": ("receipt_date", "id"), "-received": ("-receipt_date", "-id")}


# what a queue row shows, read as columns: loading whole requests parsed their JSON columns and built
# an ORM object per row, a third of a queue call's CPU
_ITEM_COLUMNS = tuple(getattr(DisclosureRequest, name) for name in (
    "code", "kind", "subject", "applicant_type", "applicant_name", "id_type", "id_number", "state", "received_at",
    "receipt_date", "due_date", "pause_started_on", "calendar_version", "calendar_warning", "outcome"))


@dataclass(frozen=True)
class QueueFilter:
    """Filters of the queue; every one optional."""

    organization: str | None = None
    states: tuple[str, ...] = ()
    kind: str | None = None
    handler: str | None = None  # a username, or "none" for unassigned requests
    overdue: bool | None = None
    due_within: int | None = None  # working days
    received_from: date | None = None
    received_to: date | None = None
    q: str | None = None
    sort: str = "due"
    page: int = 1
    limit: int = 50


def list_queue(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, f: QueueFilter,
               today: date | None = None) -> dict[str, Any]:
    """One page of the requests the viewer reads as staff, with flags and the queue's calendar warning."""
    with runtime.sessions() as session:
        return _queue_page(session, policy, viewer, f, today)


def _queue_page(session: Session, policy: RequestPolicy, viewer: Viewer, f: QueueFilter,
                today: date | None) -> dict[str, Any]:
    scope = require_staff(session, viewer)
    today = today or policy.today()
    _check(f)
    handler = aliased(User)
    in_scope = _scope_clause(session, scope, f)
    where = [*in_scope, *_where(session, f, policy, today)]
    order = [getattr(DisclosureRequest, c.lstrip("-")).desc() if c.startswith("-")
             else getattr(DisclosureRequest, c) for c in SORTS[f.sort]]
    rows = session.execute(
        select(*_ITEM_COLUMNS, Organization.slug.label("org_slug"), Dataset.identifier.label("dataset_identifier"),
               handler.username.label("handler_name"))
        .join(Organization, Organization.id == DisclosureRequest.organization_id)
        .outerjoin(Dataset, Dataset.id == DisclosureRequest.dataset_id)
        .outerjoin(handler, handler.id == DisclosureRequest.handler_id)
        .where(*where).order_by(*order).offset((f.page - 1) * f.limit).limit(f.limit)).all()
    total = session.scalar(select(func.count(DisclosureRequest.id)).where(*where))
    warned = _warned(session, in_scope, policy.calendar.version)
    items = [_item(r, r.org_slug, r.dataset_identifier, r.handler_name, policy, today) for r in rows]
    return {"items": items, "total": total, "page": f.page, "limit": f.limit, "today": today,
            "calendar_version": policy.calendar.version,
            "calendar_warning": _queue_warning(warned, policy) if warned else None}


def _warned(session: Session, scope: list, version: str) -> int:
    """Open requests whose deadlines need checking by hand: a calendar warning, or another calendar's version.

    Three disjoint counts, each one range of ix_disclosure_request_calendar per state; SQLite reads an
    OR of the three over every active request instead (25 ms at 100,000 requests, most of a queue call).
    """
    v = DisclosureRequest.calendar_version
    ranges = (v < version, v > version, and_(v == version, DisclosureRequest.calendar_warning.is_not(None)))
    active = DisclosureRequest.state.in_(states.ACTIVE_STATES)
    counts = [select(func.count()).select_from(DisclosureRequest).where(*scope, active, r).scalar_subquery()
              for r in ranges]
    return session.scalar(select(counts[0] + counts[1] + counts[2])) or 0


def _queue_warning(count: int, policy: RequestPolicy) -> str:
    return (f"{count} 件办理中的申请的期限按周一至周五估算或由旧版日历计算，请人工核对。 {count} open request(s) have "
            f"deadlines counted Monday to Friday for a year the calendar does not cover, or computed with another "
            f"calendar than {policy.calendar.version}: check them by hand.")


def _check(f: QueueFilter) -> None:
    if not 1 <= f.limit <= MAX_PAGE:
        raise ap.invalid("limit", f"limit must be between 1 and {MAX_PAGE}")
    if f.page < 1:
        raise ap.invalid("page", "page starts at 1")
    if f.sort not in SORTS:
        raise ap.invalid("sort", f"sort is one of {', '.join(SORTS)}")
    unknown = [s for s in f.states if s not in states.STATES]
    if unknown:
        raise ap.invalid("state", f"unknown state {unknown[0]!r}; states are {', '.join(states.STATES)}")
    if f.received_from and f.received_to and f.received_to < f.received_from:
        raise ap.invalid("received_to", f"received_to ({f.received_to}) is before received_from "
                         f"({f.received_from})", "wrong-order")
    if f.due_within is not None and not 0 <= f.due_within <= 60:
        raise ap.invalid("due_within", "due_within is 0 to 60 working days")


def _scope_clause(session: Session, scope: StaffScope, f: QueueFilter) -> list:
    clauses = []
    if f.organization:
        org_id = session.scalar(select(Organization.id).where(Organization.slug == f.organization))
        if org_id is None or not scope.may_read(org_id):
            raise ap.invalid("organization", f"no organisation {f.organization[:100]!r} among those you read",
                             "not-found")
        clauses.append(DisclosureRequest.organization_id == org_id)
    elif not scope.everywhere:
        clauses.append(DisclosureRequest.organization_id.in_(sorted(scope.read)))
    return clauses


def _where(session: Session, f: QueueFilter, policy: RequestPolicy, today: date) -> list:
    where: list = []
    if f.states:
        where.append(DisclosureRequest.state.in_(f.states))
    if f.kind:
        where.append(DisclosureRequest.kind == f.kind)
    if f.handler == "none":
        where.append(DisclosureRequest.handler_id.is_(None))
    elif f.handler:
        where.append(DisclosureRequest.handler_id == select(User.id).where(User.username == f.handler)
                     .scalar_subquery())
    running = DisclosureRequest.state == states.OPEN
    if f.overdue is True:
        where.append(and_(running, DisclosureRequest.due_date < today))
    elif f.overdue is False:
        where.append(or_(~running, DisclosureRequest.due_date >= today))
    if f.due_within is not None:
        horizon = policy.calendar.add_workdays(today, f.due_within).date
        where.append(and_(running, DisclosureRequest.due_date >= today, DisclosureRequest.due_date <= horizon))
    if f.received_from:
        where.append(DisclosureRequest.receipt_date >= f.received_from)
    if f.received_to:
        where.append(DisclosureRequest.receipt_date <= f.received_to)
    if f.q:
        text = f.q.strip()[:100].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(DisclosureRequest.subject.like(f"%{text}%", escape="\\"))
    return where


def _item(r: Any, org: str, dataset: str | None, handler: str | None, policy: RequestPolicy,
          today: date) -> dict[str, Any]:
    """One queue row (from a request or a row of its _ITEM_COLUMNS): masked identity, the clock's standing, flags."""
    left = overdue = soon = None
    if r.state == states.OPEN:
        s = standing(policy.calendar, today, r.due_date)
        left, overdue, soon = s.days_left, s.overdue, s.due_soon
    elif r.state == states.PAUSED:  # the clock stands: the days left when it stopped
        left = policy.calendar.count_workdays(r.pause_started_on, r.due_date).days
    return {"code": r.code, "tracking_code": ap.format_tracking_code(r.code), "kind": r.kind, "organization": org,
            "dataset": dataset, "subject": r.subject, "applicant_type": r.applicant_type,
            "applicant_name": r.applicant_name, "id_type": r.id_type, "id_number": ap.mask_id_number(r.id_number),
            "state": r.state, "handler": handler, "received_at": r.received_at, "receipt_date": r.receipt_date,
            "due_date": r.due_date, "days_left": left, "overdue": overdue, "due_soon": soon,
            "calendar_version": r.calendar_version, "calendar_warning": r.calendar_warning or (
                None if r.calendar_version == policy.calendar.version else
                f"computed with {r.calendar_version}; the installed calendar is {policy.calendar.version}"),
            "outcome": r.outcome}


def staff_detail(*, session: Session, policy: RequestPolicy, viewer: Viewer, code: str,
                 today: date | None = None) -> dict[str, Any]:
    """A request's whole record for staff; the identity number in full only for its handler."""
    request, _scope = readable_request(session, viewer, code)
    today = today or policy.today()
    handler = session.get(User, request.handler_id) if request.handler_id else None
    item = _item(request, request.organization.slug, request.dataset.identifier if request.dataset else None,
                 handler.username if handler else None, policy, today)
    if handler is not None and viewer.user_id == handler.id:
        item["id_number"] = request.id_number  # the handler's detail view, and nowhere else
    fee = request.fee
    messages = outbox_list(session=session, actor=viewer, subject_type="disclosure_request", subject_id=request.code,
                           organization_ids=frozenset({request.organization_id}))
    return {**item, "description": request.description, "delivery_medium": request.delivery_medium,
            "delivery_channel": request.delivery_channel, "email": request.email, "phone": request.phone,
            "address": request.address, "applicant_type_name": label(APPLICANT_TYPES, request.applicant_type).zh,
            "purpose": request.purpose, "intended_use": request.intended_use, "period_start": request.period_start,
            "period_end": request.period_end, "warnings": request.warnings, "extension_days": request.extension_days,
            "paused_days": request.paused_days, "correction_notice_due": request.correction_notice_due,
            "correction_requested_on": request.correction_requested_on, "correction_due": request.correction_due,
            "pause": _pause(request), "fee": fee_dict(fee), "legal_basis": request.legal_basis,
            "outcome_row": OUTCOME_BY_KEY[request.outcome].row if request.outcome else None,
            "withheld_columns": request.withheld_columns, "decided_at": request.decided_at,
            "grant": request.grant_id, "reply": reply_document(request),
            "attachments": [{"id": a.id, "filename": a.filename, "media_type": a.media_type, "bytes": a.bytes,
                             "sha256": a.sha256, "uploaded_by": a.uploaded_by, "uploaded_at": a.uploaded_at}
                            for a in request.attachments],
            "timeline": [event_dict(e) for e in request.events],
            "messages": [message_dict(m) for m in messages],
            "due_soon_days": DUE_SOON_DAYS}


def _pause(request: DisclosureRequest) -> dict[str, Any] | None:
    if request.pause_started_on is None:
        return None
    return {"kind": request.pause_kind, "since": request.pause_started_on, "bound_days": request.pause_bound,
            "resumes_by": request.pause_ends_by}


def fee_dict(fee) -> dict[str, Any] | None:
    """A fee notice and its payment as shown to staff and the applicant."""
    if fee is None:
        return None
    return {"basis": fee.basis, "units": fee.units, "earlier_items": fee.earlier_items, "amount": fee.amount,
            "lines": fee.lines, "notified_on": fee.notified_on, "payment_due": fee.payment_due,
            "paid_on": fee.paid_on, "lapsed_on": fee.lapsed_on, "calendar_version": fee.calendar_version}


def event_dict(e) -> dict[str, Any]:
    """One timeline event (staff see every event, internal notes included)."""
    return {"at": e.at, "actor": e.actor, "action": e.action, "public": e.public, "text": e.text, "data": e.data,
            "state": e.state}
