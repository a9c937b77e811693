"""The timeliness rule: due = last publication (or registration) + the frequency's maximum age."""

from __future__ import annotations

from datetime import date

from opendata.core.timeliness import DUE_SOON, NO_SCHEDULE, ON_TIME, OVERDUE, standing, tally_tree

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
