"""What deadlines do on their own, run by the server's notification worker or `opendata requests sweep`:

- a correction not received within its period closes the request as 六.1 (other-no-correction);
- a fee not paid within its 20 working days closes it as 六.2 (other-fee-unpaid);
- a consultation that reached its bound resumes the clock on the bound's day;
- staff hear once a day about requests due within 3 working days and about overdue ones.

Idempotent: a second run the same day changes and queues nothing more (dedup keys, state checks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select

from opendata.core.requests import states
from opendata.core.requests.clock import DUE_SOON_DAYS, standing
from opendata.core.requests.vocab import OUTCOME_BY_KEY
from opendata.services.requests import notices, timeline
from opendata.services.requests.handling import resume_clock
from opendata.services.requests.policy import RequestPolicy
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest, RequestFee

BATCH = 500


@dataclass
class SweepReport:
    """Codes of the requests each rule touched."""

    closed_no_correction: list[str] = field(default_factory=list)
    closed_unpaid: list[str] = field(default_factory=list)
    resumed: list[str] = field(default_factory=list)
    reminded: int = 0


def sweep_requests(*, runtime: Runtime, policy: RequestPolicy, now: datetime | None = None) -> SweepReport:
    """Apply every deadline rule as of ``now``; each request in its own transaction."""
    now = now or utcnow()
    today = policy.today(now)
    report = SweepReport()
    with runtime.sessions() as session:
        lapsed_corrections = list(session.scalars(select(DisclosureRequest.code).where(
            DisclosureRequest.state == states.AWAITING_CORRECTION, DisclosureRequest.correction_due < today)))
        lapsed_fees = list(session.scalars(select(DisclosureRequest.code).join(RequestFee).where(
            DisclosureRequest.state == states.AWAITING_PAYMENT, RequestFee.payment_due < today)))
        overrun = list(session.scalars(select(DisclosureRequest.code).where(
            DisclosureRequest.state == states.PAUSED, DisclosureRequest.pause_ends_by < today)))
    for code in lapsed_corrections:
        if _close(runtime, policy, code, "expire-correction", "other-no-correction", today, now):
            report.closed_no_correction.append(code)
    for code in lapsed_fees:
        if _close(runtime, policy, code, "expire-payment", "other-fee-unpaid", today, now):
            report.closed_unpaid.append(code)
    for code in overrun:
        with transaction(runtime.sessions) as session:
            request = _locked(session, code, states.PAUSED)
            if request is not None:
                resume_clock(session, request, policy, timeline.CLOCK, request.pause_ends_by, now=now,
                             note="征求意见期限届满，自动恢复计时。The consultation period ended; the clock runs again.")
                report.resumed.append(code)
    report.reminded = _remind(runtime, policy, today)
    return report


def _close(runtime: Runtime, policy: RequestPolicy, code: str, action: str, outcome: str, today: date,
           now: datetime) -> bool:
    with transaction(runtime.sessions) as session:
        request = _locked(session, code, states.AWAITING_CORRECTION if action == "expire-correction"
                          else states.AWAITING_PAYMENT)
        if request is None:
            return False
        before = timeline.move(request, action)
        request.outcome, request.decided_at = outcome, now
        if request.fee is not None and action == "expire-payment":
            request.fee.lapsed_on = today
        timeline.record(session, request, timeline.CLOCK, "closed", before_state=before, at=now,
                        text=OUTCOME_BY_KEY[outcome].row, data={"outcome": outcome})
        notices.notify_decided(session, policy, request)
        return True


def _locked(session, code: str, state: str) -> DisclosureRequest | None:
    """The request if it is still in ``state`` (another sweep or a person may have moved it)."""
    request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
    return request if request is not None and request.state == state else None


def _remind(runtime: Runtime, policy: RequestPolicy, today: date) -> int:
    """Queue today's due-soon and overdue messages for open requests (the outbox drops repeats)."""
    horizon = policy.calendar.add_workdays(today, DUE_SOON_DAYS).date
    queued = 0
    last_id = 0
    while True:
        with transaction(runtime.sessions) as session:
            batch = list(session.scalars(select(DisclosureRequest).where(
                DisclosureRequest.state == states.OPEN, DisclosureRequest.due_date <= horizon,
                DisclosureRequest.id > last_id).order_by(DisclosureRequest.id).limit(BATCH)))
            for request in batch:
                s = standing(policy.calendar, today, request.due_date)
                if s.overdue or s.due_soon:
                    notices.notify_staff(session, request, "overdue" if s.overdue else "due-soon", today, s.days_left)
                    queued += 1
        if len(batch) < BATCH:
            return queued
        last_id = batch[-1].id

