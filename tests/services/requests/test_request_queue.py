"""The organisation's queue: each filter, the subject words (LIKE characters taken literally), masking,
and the calendar warning counted over open requests."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import update

from opendata.core.errors import ValidationError
from opendata.services.access import ANONYMOUS
from opendata.services.requests import handling
from opendata.services.requests.queue import QueueFilter, list_queue
from opendata.services.requests.submit import submit_request
from opendata.store.db import transaction
from opendata.store.requests import DisclosureRequest
from tests.services.requests.conftest import FORM, staff

SUBJECTS = ["2024年预算执行情况", "行政处罚决定书", "征地补偿标准 100%", "招生划片_范围", "预算调整方案"]
TODAY = date(2025, 11, 20)


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai


@pytest.fixture
def queue(seeded, policy):
    """Five requests to 'finance', received on five working days of October, one subject each."""
    codes = []
    for i, subject in enumerate(SUBJECTS):
        form = {**FORM, "subject": subject, "id_type": "passport", "id_number": f"E{i:08d}",
                "email": f"applicant{i}@example.cn"}
        codes.append(submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS, form=form,
                                    now=_at(date(2025, 10, 9 + i))).code)
    return codes


def _list(runtime, policy, **filters):
    return list_queue(runtime=runtime, policy=policy, viewer=staff(runtime, "finclerk"),
                      f=QueueFilter(organization="finance", **filters), today=TODAY)


def _subjects(page):
    return [item["subject"] for item in page["items"]]


def test_subject_words_find_every_request_holding_them_and_like_characters_are_literal(seeded, policy, queue):
    assert sorted(_subjects(_list(seeded, policy, q="预算"))) == sorted([SUBJECTS[0], SUBJECTS[4]])
    assert _subjects(_list(seeded, policy, q="100%")) == [SUBJECTS[2]]
    assert _subjects(_list(seeded, policy, q="%")) == [SUBJECTS[2]]  # not "every subject"
    assert _subjects(_list(seeded, policy, q="划片_")) == [SUBJECTS[3]]
    assert _list(seeded, policy, q="_片")["total"] == 0
    assert _list(seeded, policy, q="预算", states=("closed",))["total"] == 0


def test_the_handler_filter_finds_assigned_and_unassigned_requests(seeded, policy, queue):
    handling.assign_request(runtime=seeded, viewer=staff(seeded, "finclerk"), code=queue[1], handler="finclerk")
    assert _subjects(_list(seeded, policy, handler="finclerk")) == [SUBJECTS[1]]
    assert _list(seeded, policy, handler="none")["total"] == 4
    assert _list(seeded, policy, handler="none", states=("open",))["total"] == 4


def test_due_dates_order_the_queue_and_overdue_requests_are_flagged(seeded, policy, queue):
    page = _list(seeded, policy)
    assert [i["code"] for i in page["items"]] == queue  # received one working day apart, due likewise
    assert page["total"] == 5 and all(i["overdue"] for i in page["items"])  # 20 working days have passed
    assert _list(seeded, policy, overdue=False)["total"] == 0
    # received Thu 9, Fri 10, Sat 11 (a make-up working day), Sun 12 (counts as Mon 13) and Mon 13 October
    newest = _list(seeded, policy, sort="-received", received_from=date(2025, 10, 11), received_to=date(2025, 10, 13))
    assert _subjects(newest) == [SUBJECTS[4], SUBJECTS[3], SUBJECTS[2]]
    assert _subjects(_list(seeded, policy, received_from=date(2025, 10, 12), received_to=date(2025, 10, 12))) == []
    assert all("*" in i["id_number"] for i in page["items"])  # masked in the queue


def test_the_queue_warns_of_open_requests_computed_with_another_calendar_and_counts_only_those(seeded, policy, queue):
    assert _list(seeded, policy)["calendar_warning"] is None
    with transaction(seeded.sessions) as session:
        session.execute(update(DisclosureRequest).where(DisclosureRequest.code.in_(queue[:2]))
                        .values(calendar_version="chinese-calendar 0.0.1"))
        session.execute(update(DisclosureRequest).where(DisclosureRequest.code == queue[2])
                        .values(calendar_warning="2099 is not covered"))
        session.execute(update(DisclosureRequest).where(DisclosureRequest.code == queue[3])
                        .values(calendar_version="zz-calendar 99"))
    page = _list(seeded, policy)
    assert page["calendar_warning"].startswith("4 件办理中的申请")
    assert page["items"][0]["calendar_warning"].startswith("computed with chinese-calendar 0.0.1")


def test_bad_filters_are_refused_naming_the_field(seeded, policy, queue):
    for filters, path in [({"limit": 0}, "limit"), ({"sort": "random"}, "sort"), ({"states": ("lost",)}, "state"),
                          ({"received_from": date(2025, 10, 2), "received_to": date(2025, 10, 1)}, "received_to")]:
        with pytest.raises(ValidationError) as err:
            _list(seeded, policy, **filters)
        assert err.value.problems[0].path == path
