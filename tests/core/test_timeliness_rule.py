"""The timeliness rule: due = last publication (or registration) + the frequency's maximum age."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from opendata.core.timeliness import (
    DUE_SOON,
    NO_SCHEDULE,
    ON_TIME,
    OVERDUE,
    LocalDays,
    place_days,
    standing,
    tally_tree,
)

TODAY = date(2026, 3, 1)


def test_a_monthly_dataset_is_due_32_days_after_its_last_publication():
    s = standing("monthly", date(2026, 1, 30), date(2025, 1, 1), TODAY, 7)
    assert (s.status, s.due, s.days_left) == (DUE_SOON, date(2026, 3, 3), 2)
    assert standing("monthly", date(2026, 1, 30), date(2025, 1, 1), date(2026, 3, 3), 0).status == DUE_SOON
    assert standing("monthly", date(2026, 1, 30), date(2025, 1, 1), date(2026, 3, 4), 7).status == OVERDUE


def test_each_frequency_has_its_maximum_age():
    last = date(2026, 1, 1)
    dues = {f: standing(f, last, last, last, 0).due for f in ("realtime", "daily", "weekly", "monthly", "quarterly",
                                                              "semiannual", "annual")}
    assert [(d - last).days for d in dues.values()] == [1, 2, 8, 32, 93, 184, 366]


def test_a_dataset_never_published_counts_from_its_registration():
    s = standing("annual", None, date(2025, 1, 1), TODAY, 7)
    assert (s.status, s.due, s.never_published, s.days_left) == (OVERDUE, date(2026, 1, 2), True, -58)


def test_an_irregular_dataset_has_no_due_date():
    s = standing("irregular", date(2020, 1, 1), date(2020, 1, 1), TODAY, 7)
    assert (s.status, s.due, s.days_left) == (NO_SCHEDULE, None, None)


def test_rates_roll_up_the_tree_and_leave_out_datasets_without_schedule():
    parents = {1: None, 2: 1, 3: 1, 4: 2}
    placed = [(2, standing("weekly", date(2026, 2, 27), TODAY, TODAY, 0)),  # on time
              (2, standing("weekly", date(2026, 1, 1), TODAY, TODAY, 0)),  # overdue
              (4, standing("irregular", None, TODAY, TODAY, 0)),
              (3, standing("daily", date(2026, 2, 28), TODAY, TODAY, 7))]  # due soon
    tallies = tally_tree(placed, parents)
    assert tallies.own[2].on_time_rate == 0.5 and tallies.own[1].on_time_rate is None
    city = tallies.tree[1].as_dict()
    assert (city["scheduled"], city["overdue"], city["due_soon"], city["no_schedule"]) == (3, 1, 1, 1)
    assert city["on_time_rate"] == round(2 / 3, 4)
    assert tallies.tree[4].as_dict()["datasets"] == 1 and tallies.tree[2].as_dict()["datasets"] == 3
    assert ON_TIME == "on-time"


def test_local_days_of_many_instants_equal_converting_each_one():
    """Across midnight in Beijing and daylight-saving changes (New York, Lord Howe's half hour, Kathmandu's
    +05:45), the day found with one offset per UTC day is the day of converting each instant on its own."""
    starts = [datetime(2026, 2, 27, 15, 0, tzinfo=UTC), datetime(2026, 3, 8, 0, 0, tzinfo=UTC),
              datetime(2026, 11, 1, 0, 0, tzinfo=UTC), datetime(2026, 4, 4, 12, 0, tzinfo=UTC),
              datetime(2026, 10, 3, 12, 0, tzinfo=UTC), datetime(1969, 12, 31, 12, 0, tzinfo=UTC)]
    instants = [int(start.timestamp()) + step * 599 for start in starts for step in range(300)]
    for zone in ("Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"):
        local = LocalDays(ZoneInfo(zone))
        assert [local(s) for s in instants] == [datetime.fromtimestamp(s, ZoneInfo(zone)).toordinal()
                                                for s in instants], zone


def test_one_second_before_midnight_in_beijing_is_still_that_day():
    local = LocalDays(ZoneInfo("Asia/Shanghai"))
    before = int(datetime(2026, 2, 27, 15, 59, 59, tzinfo=UTC).timestamp())  # 23:59:59 in Beijing
    assert date.fromordinal(local(before)) == date(2026, 2, 27)
    assert date.fromordinal(local(before + 1)) == date(2026, 2, 28)


def test_placing_many_datasets_at_once_agrees_with_the_rule_for_each():
    frequencies = ["monthly", "monthly", "weekly", "irregular", "daily", "annual"]
    lasts = [date(2026, 1, 30), date(2026, 2, 20), date(2026, 2, 10), date(2020, 5, 1), date(2026, 2, 28),
             date(2025, 1, 1)]
    statuses, dues = place_days(frequencies, [d.toordinal() for d in lasts], TODAY.toordinal(), 7)
    each = [standing(f, d, d, TODAY, 7) for f, d in zip(frequencies, lasts, strict=True)]
    assert statuses == [s.status for s in each] == [DUE_SOON, ON_TIME, OVERDUE, NO_SCHEDULE, DUE_SOON, OVERDUE]
    assert [None if d is None else date.fromordinal(d) for d in dues] == [s.due for s in each]
