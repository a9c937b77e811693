"""Fees of a request (信息处理费): the notice with its amount from the 109号 bands, the payment, or
its absence. The clock stands from the notice to the payment; unpaid within 20 working days, the
request closes as 六.2 (the deadline sweep does that).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import func, select

from opendata.core.errors import ConflictError, Problem
from opendata.core.requests import applicant as ap
from opendata.core.requests.fees import PAYMENT_WORKING_DAYS, quote
from opendata.services.access import Viewer
from opendata.services.requests import notices, timeline
from opendata.services.requests.handling import recompute_due
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import handled_request
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest, RequestFee


def earlier_items_this_month(session, request: DisclosureRequest, policy: RequestPolicy) -> int:
    """The applicant's earlier requests to this organisation in the calendar month of this one's receipt."""
    first = request.receipt_date.replace(day=1)
    return session.scalar(select(func.count(DisclosureRequest.id)).where(
        DisclosureRequest.organization_id == request.organization_id,
        DisclosureRequest.applicant_key == request.applicant_key,
        DisclosureRequest.receipt_date >= first, DisclosureRequest.receipt_date <= request.receipt_date,
        DisclosureRequest.id < request.id)) or 0


def notify_fee(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, basis: str, units: int,
               note: str | None = None, now: datetime | None = None) -> DisclosureRequest:
    """Charge a fee on one basis (per-item: ``units`` items; per-page: ``units`` pages); the clock stands."""
    now = now or utcnow()
    note = ap.check_text(note, "note", required=False, max_length=2000, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        if request.fee is not None:
            raise ConflictError("a fee notice was already sent for this request; one basis per request",
                                problems=[Problem("fee-exists", "one fee notice per request", path="basis")])
        before = timeline.move(request, "notify-fee")
        earlier = earlier_items_this_month(session, request, policy) if basis == "per-item" else 0
        q = quote(basis, units=units, earlier_items=earlier)
        if q.amount == 0:
            raise ConflictError(f"nothing to charge: {units} {'item(s)' if basis == 'per-item' else 'page(s)'} "
                                f"{'after ' + str(earlier) + ' earlier this month ' if basis == 'per-item' else ''}"
                                "fall in the free band", problems=[Problem("fee-free", "free band", path="units")])
        today = policy.today(now)
        due = policy.calendar.add_workdays(today, PAYMENT_WORKING_DAYS)
        request.fee = RequestFee(basis=basis, units=units, earlier_items=earlier, amount=q.amount,
                                 lines=[{"first": ln.first, "last": ln.last, "rate": ln.rate, "amount": ln.amount}
                                        for ln in q.lines],
                                 notified_on=today, payment_due=due.date, calendar_version=due.calendar_version,
                                 notified_by=timeline.actor_name(viewer))
        session.flush()
        timeline.record(session, request, viewer, "fee-notified", text=note, before_state=before, at=now,
                        data={"basis": basis, "units": units, "earlier_items": earlier, "amount": q.amount,
                              "payment_due": due.date, "calendar_version": due.calendar_version,
                              "calendar_warning": due.warning})
        notices.notify_fee(session, policy, request)
        return request


def record_payment(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, paid_on: date | None = None,
                   reference: str | None = None, now: datetime | None = None) -> DisclosureRequest:
    """The fee was paid: the clock runs again, moved by the working days it stood."""
    now = now or utcnow()
    reference = ap.check_text(reference, "reference", required=False, max_length=200)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        before = timeline.move(request, "record-payment")
        fee = request.fee
        paid_on = paid_on or policy.today(now)
        if paid_on < fee.notified_on:
            raise ap.invalid("paid_on", f"paid_on ({paid_on}) is before the fee notice ({fee.notified_on})",
                             "wrong-order")
        if paid_on > policy.today(now):
            raise ap.invalid("paid_on", "paid_on is in the future", "wrong-order")
        if paid_on > fee.payment_due:
            raise ConflictError(f"the payment period ended on {fee.payment_due}; the request closes as unpaid (六.2)",
                                problems=[Problem("payment-late", "paid after the period", path="paid_on")])
        fee.paid_on, fee.payment_reference = paid_on, reference
        stood = policy.calendar.count_workdays(fee.notified_on, paid_on).days
        request.paused_days += max(0, stood)
        recompute_due(request, policy)
        timeline.record(session, request, viewer, "fee-paid", before_state=before, at=now,
                        data={"paid_on": paid_on, "paused_working_days": stood, **timeline.clock_data(request)})
        return request
