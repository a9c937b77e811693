"""The template's checks: a balanced table passes; a broken one is refused at the exact cell."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest

from opendata.core.reports import figures
from opendata.core.reports import template as t
from opendata.core.reports.checks import check_report
from opendata.core.reports.requests_table import RequestFacts, count_requests, placement


def _random_requests(seed: int, n: int) -> list[RequestFacts]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        received = date(2024, 1, 1) + timedelta(days=rng.randrange(0, 3 * 365))
        decided = received + timedelta(days=rng.randrange(0, 90)) if rng.random() < 0.8 else None
        out.append(RequestFacts(rng.choice([c.key for c in t.APPLICANT_COLUMNS]), received, decided,
                                rng.choice(t.OUTCOME_KEYS) if decided else None))
    return out


def _balanced() -> tuple[figures.Table, figures.Table, figures.Table]:
    two, two_problems = figures.parse_two({"regulations": {"issued": 3, "repealed": 1, "in-force": 40},
                                           "fees": {"amount": "12.3456"}})
    four, four_problems = figures.parse_four({"reconsideration": {"upheld": 2, "corrected": 1}})
    assert not two_problems and not four_problems
    return two, count_requests(_random_requests(42, 400), 2025), four


def test_tables_counted_from_requests_pass_every_check():
    assert check_report(*_balanced()) == []


def test_every_request_lands_in_one_intake_and_one_result_row():
    requests = _random_requests(7, 1000)
    three = count_requests(requests, 2025)
    counted = [r for r in requests if placement(r, 2025) is not None]
    assert three[t.NEW][t.TOTAL] + three[t.CARRIED_IN][t.TOTAL] == len(counted)
    assert three[t.DECIDED_TOTAL][t.TOTAL] + three[t.CARRIED_OVER][t.TOTAL] == len(counted)


def test_next_years_carried_in_equals_this_years_carried_over():
    requests = _random_requests(11, 2000)
    assert count_requests(requests, 2024)[t.CARRIED_OVER] == count_requests(requests, 2025)[t.CARRIED_IN]


def test_a_changed_cell_is_named_by_its_row_total_and_its_column_balance():
    two, three, four = _balanced()
    three[t.NEW]["research-institution"] += 1
    problems = check_report(two, three, four)
    paths = sorted(p.path for p in problems)
    assert paths == ["table_three/balance/research-institution", "table_three/new/total"]
    messages = " ".join(p.message for p in problems)
    assert "科研机构" in messages and "一、本年新收政府信息公开申请数量" in messages


def test_an_outcome_cell_out_of_step_with_the_seventh_row_is_named():
    two, three, four = _balanced()
    three["withheld-third-party"]["natural-person"] += 2
    problems = check_report(two, three, four)
    assert {p.path for p in problems} == {"table_three/decided-total/natural-person",
                                          "table_three/withheld-third-party/total"}
    by_path = {p.path: p.message for p in problems}
    assert "（三）不予公开 4.保护第三方合法权益" in by_path["table_three/withheld-third-party/total"]
    assert "「（七）总计」行「自然人」列" in by_path["table_three/decided-total/natural-person"]


def test_a_total_column_that_is_not_the_sum_of_the_six_is_named():
    two, three, four = _balanced()
    three[t.CARRIED_OVER][t.TOTAL] += 1
    three[t.NEW][t.TOTAL] += 1  # the total column still balances; the row sums do not
    problems = check_report(two, three, four)
    assert {p.path for p in problems} == {"table_three/carried-over/total", "table_three/new/total"}


def test_a_table_four_total_that_is_not_the_sum_is_named():
    two, three, four = _balanced()
    four["litigation-direct"]["total"] = 5
    [problem] = check_report(two, three, four)
    assert problem.path == "table_four/litigation-direct/total"
    assert "未经复议直接起诉" in problem.message and "总计" in problem.message


@pytest.mark.parametrize(("value", "code"), [(-1, "negative-figure"), (2.5, "not-a-whole-number"),
                                             ("三", "not-a-number"), (True, "not-a-number"),
                                             (10**10, "figure-too-large")])
def test_a_count_that_is_not_a_non_negative_whole_number_is_refused_at_its_cell(value, code):
    _two, problems = figures.parse_two({"normative-documents": {"repealed": value}})
    [problem] = problems
    assert problem.code == code
    assert problem.path == "table_two/normative-documents/repealed"
    assert "表二「行政规范性文件」行「本年废止件数」列" in problem.message


@pytest.mark.parametrize(("value", "expected"), [("12.3456", Decimal("12.3456")), (0.5, Decimal("0.5")),
                                                 ("1,234.50", Decimal("1234.5")), ("１２", Decimal(12)),
                                                 ("", Decimal(0))])
def test_fee_amounts_in_wan_yuan_keep_up_to_four_decimals(value, expected):
    two, problems = figures.parse_two({"fees": {"amount": value}})
    assert problems == [] and two["fees"]["amount"] == expected


def test_a_fee_amount_with_five_decimals_is_refused():
    _two, [problem] = figures.parse_two({"fees": {"amount": "0.00001"}})
    assert problem.code == "too-many-decimals" and problem.path == "table_two/fees/amount"
    assert "万元" in problem.message


def test_unknown_rows_and_columns_are_named():
    _two, problems = figures.parse_two({"rules": {"issued": 1}, "regulations": {"cancelled": 1}})
    assert [p.path for p in problems] == ["table_two/rules", "table_two/regulations/cancelled"]


def test_table_four_total_is_filled_in_when_not_given_and_checked_when_given():
    four, problems = figures.parse_four({"reconsideration": {"upheld": 1, "pending": 2},
                                         "litigation-direct": {"upheld": 1, "total": 3}})
    assert problems == []
    assert four["reconsideration"]["total"] == 3
    assert [p.path for p in check_report(figures.empty_two(), figures.empty_three(), four)] == [
        "table_four/litigation-direct/total"]


def test_a_stored_figure_of_the_wrong_kind_fails_the_figure_check_before_any_sum():
    two, three, four = _balanced()
    three[t.NEW]["natural-person"] = -3
    [problem] = check_report(two, three, four)
    assert problem.code == "negative-figure" and problem.path == "table_three/new/natural-person"


def test_sums_of_organisations_tables_add_cell_by_cell():
    a, _ = figures.parse_two({"fees": {"amount": "0.0001"}, "licensing": {"decisions": 4}})
    b, _ = figures.parse_two({"fees": {"amount": "1.5"}, "licensing": {"decisions": 6}})
    total = figures.add_tables([a, b], figures.empty_two())
    assert total["fees"]["amount"] == Decimal("1.5001") and total["licensing"]["decisions"] == 10
