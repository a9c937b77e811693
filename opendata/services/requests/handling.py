"""Handling a request: assign, ask for a correction (补正) and record it, extend, pause and resume the
clock for a consultation, and keep internal notes. Each use case owns its transaction, checks that
the caller handles the receiving organisation, moves the state through the one table of
opendata.core.requests.states, stores any new date with its calendar version, and writes the
timeline and the audit log.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select

from opendata.core.errors import ConflictError, Problem
from opendata.core.requests import applicant as ap
from opendata.core.requests import clock, vocab
from opendata.services.access import Viewer
from opendata.services.requests import notices, timeline
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import handled_request, is_staff_of
from opendata.services.requests.submit import restart_clock
from opendata.services.runtime import Runtime
from opendata.store.accounts import User
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest

REASON_MAX = 4000


def assign_request(*, runtime: Runtime, viewer: Viewer, code: str, handler: str) -> DisclosureRequest:
    """Make ``handler`` (a publisher or reviewer of the receiving organisation) the request's handler."""
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        user = session.scalar(select(User).where(User.username == handler, User.active.is_(True)))
        if user is None:
            raise ap.invalid("handler", f"no active user {handler[:100]!r}", "not-found")
        if not is_staff_of(session, user.id, request.organization_id):
            raise ap.invalid("handler", f"{handler!r} is not a publisher or reviewer of "
                             f"{request.organization.slug!r}, so cannot handle its requests")
        before = timeline.move(request, "assign")
        request.handler_id = user.id
        timeline.record(session, request, viewer, "assigned", public=False, text=f"handler: {user.username}",
                        before_state=before, data={"handler": user.username})
        return request


def request_correction(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, reason: str,
                       period_days: int | None = None, now: datetime | None = None) -> DisclosureRequest:
    """Ask the applicant, once, to correct the request (within 7 working days of receipt)."""
    now = now or utcnow()
    reason = ap.check_text(reason, "reason", required=True, max_length=REASON_MAX, multiline=True)
    period = policy.correction_days if period_days is None else period_days
    if not 1 <= period <= 60:
        raise ap.invalid("period_days", "a correction period is 1 to 60 working days")
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        today = policy.today(now)
        if request.correction_requested_on is not None:
            raise _conflict("correction", f"a correction was already asked for on {request.correction_requested_on}; "
                            "the law allows one notice (一次性告知)")
        before = timeline.move(request, "request-correction")
        if today > request.correction_notice_due:
            raise _conflict("correction", f"a correction notice must go out within 7 working days of receipt, by "
                            f"{request.correction_notice_due}; decide the request instead")
        due = policy.calendar.add_workdays(today, period)
        request.correction_requested_on, request.correction_due = today, due.date
        timeline.record(session, request, viewer, "correction-requested", text=reason, before_state=before, at=now,
                        data={"correction_due": due.date, "period_days": period,
                              "calendar_version": due.calendar_version, "calendar_warning": due.warning})
        notices.notify_correction(session, policy, request, reason)
        return request


def receive_correction(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, description: str,
                       subject: str | None = None, received_at: datetime | None = None,
                       now: datetime | None = None) -> DisclosureRequest:
    """Staff record a corrected request that came by post or in person: the clock restarts."""
    now = now or utcnow()
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        apply_correction(session, request, policy, viewer, description=description, subject=subject,
                         arrived=received_at or now, now=now)
        return request


def apply_correction(session, request: DisclosureRequest, policy: RequestPolicy, actor: Viewer, *, description: str,
                     subject: str | None, arrived: datetime, now: datetime) -> None:
    """The corrected text joins the request and the clock restarts from the day it arrived."""
    if arrived > now:
        raise ap.invalid("received_at", "received_at is in the future", "wrong-order")
    description = ap.check_text(description, "description", required=True, max_length=10_000, multiline=True)
    subject = ap.check_text(subject, "subject", required=False, max_length=300)
    before = timeline.move(request, "receive-correction")
    if request.correction_due is not None and policy.receipt(arrived) > request.correction_due:
        raise _conflict("received_at", f"the correction period ended on {request.correction_due}")
    request.description = f"{request.description}\n\n【补正 Correction {policy.local(arrived):%Y-%m-%d}】\n{description}"
    if subject:
        request.subject = subject
    restart_clock(request, policy, arrived)
    timeline.record(session, request, actor, "correction-received", before_state=before, at=now,
                    text=description, data=timeline.clock_data(request))


def extend_request(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, days: int, approver: str,
                   reason: str, now: datetime | None = None) -> DisclosureRequest:
    """The one extension of at most 20 working days, approved before the period ends; the applicant is told."""
    now = now or utcnow()
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= clock.MAX_EXTENSION_DAYS:
        raise ap.invalid("days", f"an extension is 1 to {clock.MAX_EXTENSION_DAYS} working days")
    approver = ap.check_text(approver, "approver", required=True, max_length=200)
    reason = ap.check_text(reason, "reason", required=True, max_length=REASON_MAX, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        before = timeline.move(request, "extend")
        if request.extension_days:
            raise _conflict("days", f"the reply period was already extended by {request.extension_days} working "
                            "days; the law allows one extension")
        if policy.today(now) > request.due_date:
            raise _conflict("days", f"the reply period ended on {request.due_date}; an extension must be approved "
                            "before it ends")
        request.extension_days = days
        recompute_due(request, policy)
        timeline.record(session, request, viewer, "extended", text=reason, before_state=before, at=now,
                        data={**timeline.clock_data(request), "days": days, "approver": approver})
        notices.notify_extended(session, policy, request, days, reason)
        return request


def pause_request(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, kind: str, party: str,
                  reason: str, now: datetime | None = None) -> DisclosureRequest:
    """Stop the clock while a third party (15 working days at most) or another agency is consulted."""
    now = now or utcnow()
    if vocab.label(vocab.PAUSE_KINDS, kind or "") is None:
        raise ap.invalid("kind", f"kind must be one of {', '.join(vocab.keys(vocab.PAUSE_KINDS))}")
    party = ap.check_text(party, "party", required=True, max_length=300)
    reason = ap.check_text(reason, "reason", required=True, max_length=REASON_MAX, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        before = timeline.move(request, "pause")
        today = policy.today(now)
        bound = clock.THIRD_PARTY_DAYS if kind == "third-party" else policy.agency_pause_days
        ends_by = policy.calendar.add_workdays(today, bound)
        request.pause_kind, request.pause_started_on = kind, today
        request.pause_bound, request.pause_ends_by = bound, ends_by.date
        timeline.record(session, request, viewer, "paused", text=reason, before_state=before, at=now,
                        data={"kind": kind, "party": party, "paused_on": today, "resumes_by": ends_by.date,
                              "bound_days": bound, "calendar_version": ends_by.calendar_version})
        return request


def resume_request(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, note: str | None = None,
                   resumed_on: date | None = None, now: datetime | None = None) -> DisclosureRequest:
    """Restart the clock after a consultation: the due date moves by the paused working days (bounded)."""
    now = now or utcnow()
    note = ap.check_text(note, "note", required=False, max_length=REASON_MAX, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        resume_clock(session, request, policy, viewer, resumed_on or policy.today(now), note=note, now=now)
        return request


def resume_clock(session, request: DisclosureRequest, policy: RequestPolicy, viewer: Viewer, resumed_on: date, *,
                 note: str | None, now: datetime) -> None:
    """End the current pause on ``resumed_on`` (also used when a decision ends a pause, and by the sweep)."""
    before = timeline.move(request, "resume")
    if resumed_on < request.pause_started_on:
        raise ap.invalid("resumed_on", f"the clock cannot resume ({resumed_on}) before the pause began "
                         f"({request.pause_started_on})", "wrong-order")
    days = clock.paused_working_days(policy.calendar, request.pause_started_on, resumed_on, request.pause_bound)
    request.paused_days += days
    data = {"kind": request.pause_kind, "paused_on": request.pause_started_on, "resumed_on": resumed_on,
            "paused_working_days": days}
    request.pause_kind = request.pause_started_on = request.pause_bound = request.pause_ends_by = None
    recompute_due(request, policy)
    timeline.record(session, request, viewer, "resumed", text=note, before_state=before, at=now,
                    data={**data, **timeline.clock_data(request)})


def add_note(*, runtime: Runtime, viewer: Viewer, code: str, text: str) -> DisclosureRequest:
    """An internal note: in the staff timeline and the audit log, never shown to the applicant."""
    text = ap.check_text(text, "text", required=True, max_length=REASON_MAX, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        timeline.move(request, "note")
        timeline.record(session, request, viewer, "note", public=False, text=text)
        return request


def recompute_due(request: DisclosureRequest, policy: RequestPolicy) -> None:
    """The due date again from receipt, extension and paused days (stored with its calendar version)."""
    answer = clock.reply_due(policy.calendar, clock.ClockInput(request.receipt_date, request.extension_days,
                                                              request.paused_days))
    request.due_date, request.calendar_version, request.calendar_warning = (
        answer.date, answer.calendar_version, answer.warning)


def _conflict(path: str, message: str) -> ConflictError:
    return ConflictError(message, problems=[Problem("request-rule", message, path=path)])

