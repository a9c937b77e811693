"""Art. 44: subjects and datasets several different applicants asked for, and moving them to proactive."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from opendata.services.access import ANONYMOUS
from opendata.services.disclosure import list_disclosure_changes
from opendata.services.requests.often import make_proactive, often_requested, subject_key
from opendata.services.requests.submit import submit_request
from opendata.store.models import Dataset
from tests.accounts_fixtures import OPERATOR
from tests.review_fixtures import id_number
from tests.services.requests.conftest import FORM, FRIDAY_MORNING, staff


def _ask(runtime, policy, n: int, subject: str, seed: int, viewer=ANONYMOUS, **extra):
    import random

    rnd = random.Random(seed)
    for i in range(n):
        form = {**FORM, "subject": subject, "id_number": id_number(rnd), **extra}
        submit_request(runtime=runtime, policy=policy, viewer=viewer, form=form,
                       now=FRIDAY_MORNING + timedelta(minutes=i))


def test_subjects_asked_by_enough_different_applicants_are_listed_with_their_outcomes(seeded, policy):
    _ask(seeded, policy, 3, "2024年 预算执行", seed=1)
    _ask(seeded, policy, 1, "２０２４年预算执行！", seed=2)  # the same subject, typed differently
    _ask(seeded, policy, 2, "办公用房", seed=3)
    listing = often_requested(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"),
                              since=date(2025, 9, 1), until=date(2025, 9, 30))
    [item] = listing["items"]
    assert item["kind"] == "subject" and item["applicants"] == 4 and item["outcomes"] == {"open": 4}
    assert item["action"] == "register-dataset" and item["key"] == subject_key("2024年预算执行")
    city = often_requested(runtime=seeded, policy=policy, viewer=staff(seeded, "cityclerk"), organization="finance",
                           since=date(2025, 9, 1), until=date(2025, 9, 30), threshold=2)
    assert len(city["items"]) == 2  # the city reads its sub-organisation's requests


def test_one_applicant_asking_often_is_not_often_requested(seeded, policy):
    for i in range(4):
        submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS,
                       form={**FORM, "description": f"第{i}次"}, now=FRIDAY_MORNING + timedelta(minutes=i))
    listing = often_requested(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"),
                              since=date(2025, 9, 1), until=date(2025, 9, 30))
    assert listing["items"] == []


def test_an_often_requested_conditional_dataset_can_be_made_proactive(seeded, policy):
    extra = {"dataset": "subsidies", "purpose": "科研", "intended_use": "分析", "period_start": "2025-10-01",
             "period_end": "2026-01-31", "organization": "finance"}
    _ask(seeded, policy, 3, "补贴明细", seed=4, viewer=staff(seeded, "alice"), **extra)
    listing = often_requested(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"),
                              since=date(2025, 9, 1), until=date(2025, 9, 30))
    [item] = listing["items"]
    assert item["kind"] == "dataset" and item["action"] == "make-proactive"
    result = make_proactive(runtime=seeded, viewer=staff(seeded, "finclerk"), dataset="subsidies",
                            reason="三位申请人申请同一数据")
    change = result.pop("disclosure_change")
    assert result == {"dataset": "subsidies", "disclosure": "conditional", "requests_noted": 3}
    assert change["state"] == "pending"  # loosening waits for the review steps, as on every path
    with seeded.sessions() as session:
        assert session.scalar(select(Dataset.disclosure).where(Dataset.identifier == "subsidies")) == "conditional"
    (pending,) = list_disclosure_changes(runtime=seeded, viewer=OPERATOR)
    assert pending["id"] == change["id"] and pending["source"] == "requests (Art. 44)" and "第四十四条" in pending["reason"]
