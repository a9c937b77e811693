"""Table 三 of 2024 and 2025, counted from stored requests, against hand-counted expectations.

The requests (see conftest.two_years), by applicant column:
  2024  A1 自然人 received 03-04, 予以公开 03-20        A2 自然人 05-06, 部分公开 05-20
        A3 商业企业 06-03, 不予公开 4 (第三方) 06-25    A4 科研机构 09-02, 无法提供 1 09-10
        A5 自然人 12-16, 予以公开 2025-01-08           A6 法律服务机构 12-20, never decided
        A7 社会公益组织 12-23, correction asked 12-25, corrected 2025-01-06, 不予处理 2 (重复) 2025-01-20
        A8 自然人 11-04, correction asked 11-06, none came: 其他处理 1 by the sweep of 11-29
        A9 其他 07-01, 不予处理 1 (信访) 07-15
  2025  B1 自然人 02-10, 予以公开 02-20     B2 商业企业 03-03, 不予公开 1 (国家秘密) 03-10
        B3 商业企业 04-07, 其他处理 3 04-30   B4 自然人 12-22, 予以公开 2026-01-05
        B5 科研机构 06-09, 无法提供 2 06-16   B6 自然人 12-29, 予以公开 12-31 23:30 (Shanghai)
        B7 自然人 12-30, 予以公开 2026-01-01 00:30 (Shanghai; 2025-12-31 UTC)
        B8 自然人 sent 12-31 18:00, after office hours: received in 2026
        C1 商业企业 to the city government 05-12, 予以公开 05-20
"""

from __future__ import annotations

from opendata.core.reports import figures
from opendata.core.reports import template as t
from opendata.core.reports.checks import check_report
from opendata.core.reports.requests_table import RequestFacts, count_requests
from opendata.services.reports.publication import draft_report
from opendata.store.requests import DisclosureRequest
from tests.report_fixtures import ADMIN

NP, CE, RI, PI, LS, OO = ("natural-person", "commercial-enterprise", "research-institution",
                          "public-interest-organization", "legal-services", "other-organization")


def _table(cells: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """A full table 三 from the hand-counted non-zero cells (总计 counted by hand too)."""
    table = figures.empty_three()
    for row, cols in cells.items():
        table[row].update(cols)
    return table


EXPECTED_FINANCE_2024 = _table({
    "new": {NP: 4, CE: 1, RI: 1, PI: 1, LS: 1, OO: 1, "total": 9},
    "disclosed": {NP: 1, "total": 1},
    "partial": {NP: 1, "total": 1},
    "withheld-third-party": {CE: 1, "total": 1},
    "unavailable-not-held": {RI: 1, "total": 1},
    "not-processed-petition": {OO: 1, "total": 1},
    "other-no-correction": {NP: 1, "total": 1},
    "decided-total": {NP: 3, CE: 1, RI: 1, OO: 1, "total": 6},
    "carried-over": {NP: 1, PI: 1, LS: 1, "total": 3},
})
EXPECTED_FINANCE_2025 = _table({
    "new": {NP: 4, CE: 2, RI: 1, "total": 7},
    "carried-in": {NP: 1, PI: 1, LS: 1, "total": 3},
    "disclosed": {NP: 3, "total": 3},
    "withheld-state-secret": {CE: 1, "total": 1},
    "unavailable-needs-creation": {RI: 1, "total": 1},
    "not-processed-repeat": {PI: 1, "total": 1},
    "other": {CE: 1, "total": 1},
    "decided-total": {NP: 3, CE: 2, RI: 1, PI: 1, "total": 7},
    "carried-over": {NP: 2, LS: 1, "total": 3},
})


def _three(runtime, policy, organization: str, year: int) -> dict:
    return draft_report(runtime=runtime, policy=policy, viewer=ADMIN, organization=organization,
                        year=year)["document"]["table_three"]


def test_every_cell_of_2024_equals_the_hand_count(two_years, report_policy):
    assert _three(two_years, report_policy, "finance", 2024) == EXPECTED_FINANCE_2024


def test_every_cell_of_2025_equals_the_hand_count_with_2024_carried_in(two_years, report_policy):
    assert _three(two_years, report_policy, "finance", 2025) == EXPECTED_FINANCE_2025


def test_what_2024_carries_over_is_what_2025_carries_in(two_years, report_policy):
    carried = _three(two_years, report_policy, "finance", 2024)[t.CARRIED_OVER]
    assert carried == _three(two_years, report_policy, "finance", 2025)[t.CARRIED_IN]


def test_both_years_pass_every_check_of_the_template(two_years, report_policy):
    for year in (2024, 2025):
        draft = draft_report(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance",
                             year=year)
        assert draft["problems"] == [] and draft["publishable"]
        three = draft["document"]["table_three"]
        assert check_report(figures.empty_two(), three, figures.empty_four()) == []


def test_a_government_report_sums_the_organisations_under_it(two_years, report_policy):
    city = _three(two_years, report_policy, "city", 2025)
    expected = {row: dict(cols) for row, cols in EXPECTED_FINANCE_2025.items()}
    for row in ("new", "disclosed", "decided-total"):
        expected[row][CE] += 1
        expected[row]["total"] += 1
    assert city == expected


def test_a_corrected_request_keeps_the_year_it_arrived_in(two_years):
    with two_years.sessions() as session:
        a7 = session.query(DisclosureRequest).filter(DisclosureRequest.subject == "申请事项 A7").one()
        assert a7.receipt_date.year == 2025 and a7.first_receipt_date.isoformat() == "2024-12-23"


def test_the_database_count_equals_the_pure_rule_over_the_same_requests(two_years, report_policy):
    with two_years.sessions() as session:
        finance = [r for r in session.query(DisclosureRequest) if r.organization.slug == "finance"]
        facts = [RequestFacts(r.applicant_type, r.first_receipt_date,
                              r.decided_at.astimezone(report_policy.timezone).date() if r.decided_at else None,
                              r.outcome) for r in finance]
    for year in (2024, 2025, 2026):
        assert _three(two_years, report_policy, "finance", year) == count_requests(facts, year)


def test_a_year_without_requests_is_zeros_with_a_note(seeded, report_policy):
    draft = draft_report(runtime=seeded, policy=report_policy, viewer=ADMIN, organization="finance", year=2023)
    assert draft["document"]["table_three"] == figures.empty_three()
    assert any("没有记录到相关申请" in note for note in draft["document"]["notes"])
