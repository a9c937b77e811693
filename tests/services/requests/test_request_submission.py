"""Submitting requests: the clock from receipt, checks per field, idempotency and duplicates."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from opendata.core.errors import ConflictError, ValidationError
from opendata.services.access import ANONYMOUS, AuthenticationError, PermissionDeniedError
from opendata.services.requests.submit import submit_request
from opendata.store.outbox import OutboxMessage
from opendata.store.requests import DisclosureRequest, RequestEvent
from tests.services.requests.conftest import FORM, FRIDAY_MORNING, staff


def _submit(runtime, policy, form=None, viewer=ANONYMOUS, **kw):
    kw.setdefault("now", FRIDAY_MORNING)
    return submit_request(runtime=runtime, policy=policy, viewer=viewer, form=form or dict(FORM), **kw)


def _count(runtime, model):
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_request_received_friday_morning_is_due_thursday_october_30(seeded, policy):
    done = _submit(seeded, policy)
    assert done.created and done.kind == "disclosure"
    assert (done.receipt_date, done.due_date) == (date(2025, 9, 26), date(2025, 10, 30))
    assert done.calendar_version == policy.calendar.version and done.calendar_warning is None
    with seeded.sessions() as session:
        request = session.scalar(select(DisclosureRequest))
        assert request.correction_notice_due == date(2025, 10, 13)
        event = session.scalar(select(RequestEvent))
        assert event.action == "submitted" and event.data["due_date"] == "2025-10-30"
        assert event.data["calendar_version"] == policy.calendar.version
        message = session.scalar(select(OutboxMessage))
        assert message.recipient == "li.ming@example.cn" and "2025-10-30" in message.body
        assert FORM["id_number"] not in message.body


def test_after_office_hours_counts_from_the_next_working_day(seeded, policy):
    evening = datetime(2025, 9, 26, 10, 30, tzinfo=UTC)  # 18:30 in Shanghai
    done = _submit(seeded, policy, now=evening)
    assert done.receipt_date == date(2025, 9, 28)  # the make-up Sunday
    assert done.due_date == date(2025, 10, 31)


def test_a_year_the_calendar_does_not_cover_is_flagged(seeded, policy):
    year = policy.calendar.covered_years.stop
    done = _submit(seeded, policy, now=datetime(year, 3, 2, 2, 0, tzinfo=UTC))
    assert done.calendar_warning and str(year) in done.calendar_warning


@pytest.mark.parametrize(("change", "path"), [
    ({"subject": ""}, "subject"), ({"subject": "x" * 20_000}, "subject"), ({"subject": "a\x07b"}, "subject"),
    ({"description": "  "}, "description"), ({"applicant_type": "robot"}, "applicant_type"),
    ({"id_number": "110105194912310021"}, "id_number"), ({"id_type": "credit-code"}, "id_type"),
    ({"email": "not-an-address"}, "email"), ({"email": None}, "email"),
    ({"delivery_channel": "post"}, "address"), ({"organization": "nosuch"}, "organization"),
    ({"dataset": "nosuch"}, "dataset"), ({"dataset": "budget"}, "dataset"), ({"purpose": "科研"}, "purpose"),
    ({"colour": "red"}, "colour"),
])
def test_each_bad_field_is_named_and_nothing_is_written(seeded, policy, change, path):
    form = {**FORM, **change}
    with pytest.raises(ValidationError) as err:
        _submit(seeded, policy, form={k: v for k, v in form.items() if v is not None})
    assert err.value.problems[0].path == path
    assert _count(seeded, DisclosureRequest) == 0 and _count(seeded, OutboxMessage) == 0


def test_html_is_stored_as_text(seeded, policy):
    done = _submit(seeded, policy, form={**FORM, "subject": "<script>alert(1)</script>"})
    with seeded.sessions() as session:
        assert session.scalar(select(DisclosureRequest.subject).where(DisclosureRequest.code == done.code)) == \
            "<script>alert(1)</script>"


def test_the_same_idempotency_key_answers_the_first_request_again(seeded, policy):
    first = _submit(seeded, policy, idempotency_key="k-1")
    again = _submit(seeded, policy, idempotency_key="k-1")
    assert again.code == first.code and not again.created
    assert _count(seeded, DisclosureRequest) == 1
    with pytest.raises(ConflictError) as err:
        _submit(seeded, policy, form={**FORM, "subject": "另一件事"}, idempotency_key="k-1")
    assert err.value.problems[0].path == "Idempotency-Key"


def test_a_duplicate_open_request_is_refused_without_its_code(seeded, policy):
    first = _submit(seeded, policy)
    with pytest.raises(ConflictError) as err:
        _submit(seeded, policy, form={**FORM, "description": FORM["description"] + "  "})
    assert first.code not in str(err.value) and "2025-09-26" in str(err.value)
    other = _submit(seeded, policy, form={**FORM, "id_number": "440524188001010014"})
    assert other.created


def test_a_data_access_application_needs_a_signed_in_applicant_and_a_period(seeded, policy):
    form = {**FORM, "dataset": "subsidies", "purpose": "科研", "intended_use": "统计分析",
            "period_start": "2025-10-01", "period_end": "2026-09-30"}
    del form["organization"]
    with pytest.raises(AuthenticationError):
        _submit(seeded, policy, form=form)
    alice = staff(seeded, "alice")
    with pytest.raises(ValidationError) as err:
        _submit(seeded, policy, form={**form, "period_end": "2025-09-01"}, viewer=alice)
    assert err.value.problems[0].path == "period_end"
    done = _submit(seeded, policy, form=form, viewer=alice)
    assert done.kind == "data-access"


def test_only_staff_of_the_receiving_organisation_backdate_a_paper_request(seeded, policy):
    arrived = FRIDAY_MORNING - timedelta(days=3)
    with pytest.raises(PermissionDeniedError):
        _submit(seeded, policy, received_at=arrived)
    with pytest.raises(PermissionDeniedError):  # the city is above finance: it reads, it does not act
        _submit(seeded, policy, received_at=arrived, viewer=staff(seeded, "cityclerk"))
    done = _submit(seeded, policy, received_at=arrived, viewer=staff(seeded, "finclerk"))
    assert done.receipt_date == date(2025, 9, 23)
    with pytest.raises(ValidationError) as err:
        _submit(seeded, policy, form={**FORM, "subject": "x"}, received_at=FRIDAY_MORNING + timedelta(days=2),
                viewer=staff(seeded, "finclerk"))
    assert err.value.problems[0].path == "received_at"
