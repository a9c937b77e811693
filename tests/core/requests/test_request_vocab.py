"""Outcomes and applicant types are exactly the rows and columns of the 2021 annual-report template."""

from __future__ import annotations

from collections import Counter

from opendata.core.requests.vocab import (
    APPLICANT_TYPES,
    AUTOMATIC_OUTCOMES,
    OUTCOME_BY_KEY,
    OUTCOME_GROUPS,
    OUTCOMES,
)


def test_every_row_of_table_three_has_one_outcome():
    per_group = Counter(o.group for o in OUTCOMES)
    assert per_group == {"disclosed": 1, "partial": 1, "withheld": 8, "unavailable": 3, "not-processed": 5, "other": 3}
    for group, count in per_group.items():
        numbers = [o.number for o in OUTCOMES if o.group == group]
        assert numbers == ([None] if count == 1 else list(range(1, count + 1)))


def test_outcome_rows_print_as_the_template_does():
    assert OUTCOME_BY_KEY["withheld-third-party"].row == "（三）不予公开 4.保护第三方合法权益"
    assert OUTCOME_BY_KEY["other-fee-unpaid"].row.startswith("（六）其他处理 2.申请人逾期未按收费通知要求缴纳费用")
    assert OUTCOME_BY_KEY["partial"].row == "（二）部分公开"
    assert set(OUTCOME_GROUPS) == {o.group for o in OUTCOMES}


def test_withholding_outcomes_are_partial_and_withheld_only():
    assert {o.key for o in OUTCOMES if o.withholds} == {o.key for o in OUTCOMES if o.group in ("partial", "withheld")}


def test_the_clock_sets_six_one_and_six_two():
    assert {"other-no-correction", "other-fee-unpaid"} == AUTOMATIC_OUTCOMES
    assert {OUTCOME_BY_KEY[k].number for k in AUTOMATIC_OUTCOMES} == {1, 2}


def test_applicant_columns_are_natural_persons_and_five_kinds_of_organisation():
    assert [t.zh for t in APPLICANT_TYPES] == ["自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他"]
