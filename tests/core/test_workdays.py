"""Working days on the official calendar: holidays, make-up days (调休), office hours, uncovered years."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

import pytest

from opendata.core.errors import ValidationError
from opendata.core.workdays import OfficeHours, WorkCalendar, official_calendar, receipt_date

CAL = official_calendar()
HOURS = OfficeHours.parse("09:00-17:00")


def _weekdays_after(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= day.weekday() < 5
    return day


def test_the_issue_example_friday_before_national_day_is_due_thursday_october_30():
    answer = CAL.add_workdays(date(2025, 9, 26), 20)
    assert answer.date == date(2025, 10, 30)
    assert answer.uncovered_years == () and answer.warning is None
    assert answer.calendar_version.startswith("chinese-calendar ")


def test_national_day_2025_make_up_days_work_and_the_golden_week_does_not():
    assert CAL.is_workday(date(2025, 9, 28)) and CAL.is_workday(date(2025, 10, 11))  # Sunday, Saturday
    assert not any(CAL.is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert CAL.is_workday(date(2025, 10, 9))


def test_spring_festival_2025_with_its_two_make_up_days():
    # holiday 28 Jan to 4 Feb; Sunday 26 Jan and Saturday 8 Feb are working days
    assert CAL.is_workday(date(2025, 1, 26)) and CAL.is_workday(date(2025, 2, 8))
    assert not any(CAL.is_workday(date(2025, 1, 28) + timedelta(days=i)) for i in range(8))
    # counted by hand: 26, 27 Jan; 5, 6, 7, 8 Feb; then weekdays 10 Feb to 27 Feb
    assert CAL.add_workdays(date(2025, 1, 24), 20).date == date(2025, 2, 27)
    assert CAL.add_workdays(date(2025, 1, 27), 1).date == date(2025, 2, 5)


def test_counting_is_the_inverse_of_adding_across_random_dates_and_lengths():
    rnd = random.Random(42)
    for _ in range(500):
        start = date(2010, 1, 1) + timedelta(days=rnd.randrange(6000))
        n = rnd.randrange(0, 60)
        end = CAL.add_workdays(start, n).date
        assert CAL.count_workdays(start, end).days == n
        assert n == 0 or CAL.is_workday(end)
        assert CAL.count_workdays(end, start).days == -n


def test_the_start_day_is_not_counted():
    monday = date(2025, 3, 3)
    assert CAL.add_workdays(monday, 1).date == date(2025, 3, 4)
    assert CAL.count_workdays(monday, monday).days == 0


def test_an_uncovered_year_counts_weekdays_and_says_so():
    year = CAL.covered_years.stop  # the first year the installed calendar does not carry
    start = date(year, 3, 2)
    answer = CAL.add_workdays(start, 20)
    assert answer.date == _weekdays_after(start, 20)
    assert answer.uncovered_years == (year,)
    assert str(year) in answer.warning and "Monday to Friday" in answer.warning
    spanning = CAL.add_workdays(date(year - 1, 12, 20), 20)
    assert spanning.uncovered_years == (year,)
    assert CAL.count_workdays(date(year - 1, 12, 1), date(year, 1, 10)).uncovered_years == (year,)


def test_a_calendar_built_from_other_notices_moves_the_same_deadline():
    extra_holiday = date(2025, 10, 20)
    changed = WorkCalendar({*_official_holidays(), extra_holiday}, _official_workdays(), CAL.covered_years, "test 2")
    assert changed.add_workdays(date(2025, 9, 26), 20).date == date(2025, 10, 31)
    assert CAL.add_workdays(date(2025, 9, 26), 20).date == date(2025, 10, 30)


def _official_holidays():
    from chinese_calendar import constants

    return set(constants.holidays)


def _official_workdays():
    from chinese_calendar import constants

    return set(constants.workdays)


@pytest.mark.parametrize(("received", "expected"), [
    (datetime(2025, 9, 26, 10, 0), date(2025, 9, 26)),   # a working day, office open
    (datetime(2025, 9, 26, 8, 0), date(2025, 9, 26)),    # before opening still counts as that day
    (datetime(2025, 9, 26, 17, 0), date(2025, 9, 28)),   # at closing time: the next working day (a make-up Sunday)
    (datetime(2025, 9, 27, 11, 0), date(2025, 9, 28)),   # a Saturday
    (datetime(2025, 10, 3, 11, 0), date(2025, 10, 9)),   # in the golden week
])
def test_receipt_after_hours_or_on_a_non_working_day_moves_to_the_next_working_day(received, expected):
    assert receipt_date(received, HOURS) == expected


@pytest.mark.parametrize("text", ["9-17", "17:00-09:00", "09:00", "", "25:00-26:00"])
def test_office_hours_must_be_a_valid_range(text):
    with pytest.raises(ValidationError) as err:
        OfficeHours.parse(text)
    assert err.value.problems[0].path == "office_hours"


@pytest.mark.parametrize(("start", "days"), [(date(2025, 1, 1), -1), (date(2025, 1, 1), 99999), (date(1900, 1, 1), 3)])
def test_impossible_questions_are_refused_with_the_field_named(start, days):
    with pytest.raises(ValidationError) as err:
        CAL.add_workdays(start, days)
    assert err.value.problems[0].path in ("days", "date")


def test_datetimes_are_not_dates():
    with pytest.raises(ValidationError):
        CAL.add_workdays(datetime(2025, 1, 1, 12, 0), 3)
