"""Handling: assignment, correction (restarts the clock), extension, pauses with a bound, fees, the sweep."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from opendata.core.errors import ConflictError, ValidationError
from opendata.services.access import ANONYMOUS, PermissionDeniedError
from opendata.services.requests import charging, handling
from opendata.services.requests.queue import staff_detail
from opendata.services.requests.submit import submit_request
from opendata.services.requests.sweep import sweep_requests
from opendata.services.requests.tracking import correct_as_applicant
from opendata.store.outbox import OutboxMessage
from opendata.store.requests import DisclosureRequest
from tests.services.requests.conftest import FORM, FRIDAY_MORNING, staff


def _at(day: date, hour: int = 10) -> datetime:
    """``hour`` o'clock in Shanghai on ``day``."""
    return datetime(day.year, day.month, day.day, hour - 8, 0, tzinfo=UTC)


@pytest.fixture
def code(seeded, policy):
    return submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS, form=dict(FORM), now=FRIDAY_MORNING).code


def _get(runtime, code) -> DisclosureRequest:
    with runtime.sessions() as session:
        request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
        session.expunge(request)
        return request


def test_a_handler_is_a_publisher_or_reviewer_of_the_receiving_organisation(seeded, code):
    clerk = staff(seeded, "finclerk")
    with pytest.raises(ValidationError) as err:
        handling.assign_request(runtime=seeded, viewer=clerk, code=code, handler="cityclerk")
    assert err.value.problems[0].path == "handler"
    with pytest.raises(PermissionDeniedError):
        handling.assign_request(runtime=seeded, viewer=staff(seeded, "cityclerk"), code=code, handler="finclerk")
    with pytest.raises(PermissionDeniedError):  # a read-only token of a publisher is not a staff token
        handling.assign_request(runtime=seeded, viewer=staff(seeded, "finclerk", ["read"]), code=code,
                                handler="finclerk")
    handling.assign_request(runtime=seeded, viewer=clerk, code=code, handler="reviewer")
    assert _get(seeded, code).handler_id is not None


def test_a_correction_restarts_the_clock_from_the_day_it_arrives(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    handling.request_correction(runtime=seeded, policy=policy, viewer=clerk, code=code, reason="请写明年份",
                                now=_at(date(2025, 9, 29)))
    r = _get(seeded, code)
    assert r.state == "awaiting-correction" and r.correction_due == policy.calendar.add_workdays(
        date(2025, 9, 29), 15).date
    with pytest.raises(ConflictError):  # once only
        handling.request_correction(runtime=seeded, policy=policy, viewer=clerk, code=code, reason="again",
                                    now=_at(date(2025, 9, 30)))
    correct_as_applicant(runtime=seeded, policy=policy, code=code, contact="LI.MING@example.cn",
                         description="2024年度", now=_at(date(2025, 10, 10)))
    r = _get(seeded, code)
    assert r.state == "open" and r.receipt_date == date(2025, 10, 10)
    assert r.due_date == policy.calendar.add_workdays(date(2025, 10, 10), 20).date
    assert "2024年度" in r.description


def test_a_correction_notice_after_seven_working_days_is_refused(seeded, policy, code):
    with pytest.raises(ConflictError) as err:
        handling.request_correction(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code,
                                    reason="太晚", now=_at(date(2025, 10, 14)))
    assert "2025-10-13" in str(err.value)


def test_no_correction_in_time_closes_the_request_as_six_one(seeded, policy, code):
    handling.request_correction(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code,
                                reason="请补充", period_days=3, now=_at(date(2025, 9, 29)))
    due = _get(seeded, code).correction_due
    assert sweep_requests(runtime=seeded, policy=policy, now=_at(due, 20)).closed_no_correction == []
    report = sweep_requests(runtime=seeded, policy=policy, now=_at(due + timedelta(days=1)))
    assert report.closed_no_correction == [code]
    r = _get(seeded, code)
    assert (r.state, r.outcome) == ("closed", "other-no-correction")
    assert sweep_requests(runtime=seeded, policy=policy, now=_at(due + timedelta(days=2))).closed_no_correction == []


def test_one_extension_of_at_most_twenty_working_days_before_the_period_ends(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    with pytest.raises(ValidationError):
        handling.extend_request(runtime=seeded, policy=policy, viewer=clerk, code=code, days=21, approver="王局长",
                                reason="量大", now=_at(date(2025, 10, 20)))
    handling.extend_request(runtime=seeded, policy=policy, viewer=clerk, code=code, days=20, approver="王局长",
                            reason="涉及多个科室", now=_at(date(2025, 10, 20)))
    r = _get(seeded, code)
    assert policy.calendar.count_workdays(date(2025, 10, 30), r.due_date).days == 20
    with pytest.raises(ConflictError) as err:
        handling.extend_request(runtime=seeded, policy=policy, viewer=clerk, code=code, days=1, approver="王局长",
                                reason="again", now=_at(date(2025, 10, 21)))
    assert "already extended" in str(err.value)
    with seeded.sessions() as session:
        topics = set(session.scalars(select(OutboxMessage.topic)))
    assert "request-extended" in topics


def test_an_extension_after_the_due_date_is_refused(seeded, policy, code):
    with pytest.raises(ConflictError) as err:
        handling.extend_request(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code, days=5,
                                approver="王局长", reason="晚了", now=_at(date(2025, 10, 31)))
    assert "2025-10-30" in str(err.value)


def test_a_pause_moves_the_due_date_by_its_working_days(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    handling.pause_request(runtime=seeded, policy=policy, viewer=clerk, code=code, kind="third-party",
                           party="某公司", reason="涉及商业秘密", now=_at(date(2025, 10, 13)))
    handling.resume_request(runtime=seeded, policy=policy, viewer=clerk, code=code, now=_at(date(2025, 10, 17)))
    r = _get(seeded, code)
    assert r.paused_days == 4 and policy.calendar.count_workdays(date(2025, 10, 30), r.due_date).days == 4


def test_a_pause_that_never_ends_counts_only_its_bound_and_the_clock_restarts_alone(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    handling.pause_request(runtime=seeded, policy=policy, viewer=clerk, code=code, kind="third-party",
                           party="某公司", reason="征求意见", now=_at(date(2025, 10, 13)))
    bound_day = policy.calendar.add_workdays(date(2025, 10, 13), 15).date
    report = sweep_requests(runtime=seeded, policy=policy, now=_at(date(2025, 12, 31)))
    assert report.resumed == [code]
    r = _get(seeded, code)
    assert r.state == "open" and r.paused_days == 15
    with seeded.sessions() as session:
        detail = staff_detail(session=session, policy=policy, viewer=clerk, code=code, today=date(2025, 12, 31))
    resumed = [e for e in detail["timeline"] if e["action"] == "resumed"][-1]
    assert resumed["data"]["resumed_on"] == bound_day.isoformat() and resumed["actor"] == "clock"


def test_resuming_before_the_pause_began_is_refused(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    handling.pause_request(runtime=seeded, policy=policy, viewer=clerk, code=code, kind="agency", party="市档案馆",
                           reason="会商", now=_at(date(2025, 10, 13)))
    with pytest.raises(ValidationError) as err:
        handling.resume_request(runtime=seeded, policy=policy, viewer=clerk, code=code, resumed_on=date(2025, 10, 9),
                                now=_at(date(2025, 10, 14)))
    assert err.value.problems[0].code == "wrong-order"


def test_a_fee_stands_the_clock_until_payment(seeded, policy, code):
    clerk = staff(seeded, "finclerk")
    with pytest.raises(ConflictError):  # the first item of the month is free
        charging.notify_fee(runtime=seeded, policy=policy, viewer=clerk, code=code, basis="per-item", units=1,
                            now=_at(date(2025, 10, 9)))
    charging.notify_fee(runtime=seeded, policy=policy, viewer=clerk, code=code, basis="per-page", units=120,
                        now=_at(date(2025, 10, 9)))
    r = _get(seeded, code)
    assert r.state == "awaiting-payment"
    charging.record_payment(runtime=seeded, policy=policy, viewer=clerk, code=code, paid_on=date(2025, 10, 15),
                            now=_at(date(2025, 10, 16)))
    r = _get(seeded, code)
    assert r.state == "open" and r.paused_days == 5  # 10, 11 (make-up Saturday), 13, 14, 15 October
    with seeded.sessions() as session:
        fee = staff_detail(session=session, policy=policy, viewer=clerk, code=code)["fee"]
    assert fee["amount"] == 70 * 10 + 20 * 20 and fee["paid_on"] == date(2025, 10, 15)


def test_an_unpaid_fee_closes_the_request_as_six_two(seeded, policy, code):
    charging.notify_fee(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code,
                        basis="per-page", units=40, now=_at(date(2025, 10, 9)))
    with seeded.sessions() as session:
        due = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code)).fee.payment_due
    assert due == policy.calendar.add_workdays(date(2025, 10, 9), 20).date
    assert sweep_requests(runtime=seeded, policy=policy, now=_at(due)).closed_unpaid == []
    report = sweep_requests(runtime=seeded, policy=policy, now=_at(due + timedelta(days=1)))
    assert report.closed_unpaid == [code]
    r = _get(seeded, code)
    assert (r.state, r.outcome) == ("closed", "other-fee-unpaid")


def test_the_eleventh_request_of_a_month_costs_a_hundred_yuan(seeded, policy):
    codes = [submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS, form={**FORM, "subject": f"事项{i}"},
                            now=FRIDAY_MORNING + timedelta(minutes=i)).code for i in range(11)]
    charging.notify_fee(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=codes[-1],
                        basis="per-item", units=1, now=_at(date(2025, 9, 29)))
    with seeded.sessions() as session:
        fee = staff_detail(session=session, policy=policy, viewer=staff(seeded, "finclerk"), code=codes[-1])["fee"]
    assert (fee["earlier_items"], fee["amount"]) == (10, 100)


def test_staff_hear_once_a_day_about_due_soon_and_overdue_requests(seeded, policy, code):
    sweep_requests(runtime=seeded, policy=policy, now=_at(date(2025, 10, 27)))
    sweep_requests(runtime=seeded, policy=policy, now=_at(date(2025, 10, 27), 15))
    sweep_requests(runtime=seeded, policy=policy, now=_at(date(2025, 10, 31)))
    with seeded.sessions() as session:
        topics = sorted(session.scalars(select(OutboxMessage.topic).where(OutboxMessage.audience == "staff")))
    assert topics == ["request-due-soon", "request-overdue"]
