"""`opendata workdays`: the date N working days on, or the working days between two dates."""

from __future__ import annotations

import json

from opendata.core.workdays import official_calendar


def test_twenty_working_days_after_the_friday_before_national_day(run_cli):
    assert run_cli("workdays", "2025-09-26", "20").output.strip() == "2025-10-30"


def test_the_working_days_between_two_dates(run_cli):
    assert run_cli("workdays", "2025-09-26", "2025-10-30").output.strip() == "20"


def test_json_names_the_calendar_version(run_cli):
    data = json.loads(run_cli("workdays", "2025-09-26", "20", "--json").output)
    assert data["date"] == "2025-10-30" and data["calendar"] == official_calendar().version
    assert data["warning"] is None


def test_an_uncovered_year_prints_the_date_and_a_warning(run_cli):
    year = official_calendar().covered_years.stop
    result = run_cli("workdays", f"{year}-03-02", "5")
    assert result.stdout.strip() == f"{year}-03-09"
    assert "warning:" in result.stderr and str(year) in result.stderr


def test_bad_dates_exit_two_with_the_argument_named(run_cli):
    result = run_cli("workdays", "2025-02-30", "3", code=2)
    assert "2025-02-30" in result.stderr and "YYYY-MM-DD" in result.stderr
    assert "'soon' is not a date" in run_cli("workdays", "2025-02-01", "soon", code=2).stderr
