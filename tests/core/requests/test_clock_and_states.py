"""The reply clock (extension, pauses with a bound, correction notice) and the request state machine."""

from __future__ import annotations

from datetime import date

import pytest

from opendata.core.errors import ConflictError
from opendata.core.requests import states
from opendata.core.requests.clock import (
    ClockInput,
    correction_notice_due,
    paused_working_days,
    reply_due,
    standing,
)
from opendata.core.workdays import official_calendar

CAL = official_calendar()
FRIDAY = date(2025, 9, 26)


def test_reply_is_due_twenty_working_days_after_receipt():
    assert reply_due(CAL, ClockInput(FRIDAY)).date == date(2025, 10, 30)


def test_an_extension_and_paused_days_move_the_due_date_by_working_days():
    base = reply_due(CAL, ClockInput(FRIDAY)).date
    extended = reply_due(CAL, ClockInput(FRIDAY, extension_days=20)).date
    assert CAL.count_workdays(base, extended).days == 20
    paused = reply_due(CAL, ClockInput(FRIDAY, extension_days=20, paused_days=5)).date
    assert CAL.count_workdays(extended, paused).days == 5


def test_a_pause_counts_its_working_days_up_to_its_bound():
    start = date(2025, 9, 30)
    assert paused_working_days(CAL, start, date(2025, 10, 10), 15) == 2  # 9 and 10 October
    assert paused_working_days(CAL, start, date(2025, 12, 31), 15) == 15
    assert paused_working_days(CAL, start, start, 15) == 0


def test_the_correction_notice_is_due_seven_working_days_after_receipt():
    # counted by hand: 28 (make-up Sunday), 29, 30 Sep; 9, 10, 11 (make-up Saturday), 13 Oct
    assert correction_notice_due(CAL, FRIDAY).date == date(2025, 10, 13)


@pytest.mark.parametrize(("today", "left", "overdue", "soon"), [
    (date(2025, 10, 24), 4, False, False),
    (date(2025, 10, 27), 3, False, True),
    (date(2025, 10, 30), 0, False, True),
    (date(2025, 10, 31), -1, True, False),
])
def test_standing_gives_days_left_and_the_queue_flags(today, left, overdue, soon):
    s = standing(CAL, today, date(2025, 10, 30))
    assert (s.days_left, s.overdue, s.due_soon) == (left, overdue, soon)


def test_every_action_leads_from_its_states_and_is_refused_elsewhere():
    for action, (allowed, target) in states.TRANSITIONS.items():
        for state in states.STATES:
            if state in allowed:
                assert states.next_state(state, action) == (target or state)
            else:
                with pytest.raises(ConflictError) as err:
                    states.next_state(state, action)
                assert state in err.value.message and err.value.problems[0].path == "state"


def test_a_closed_request_takes_notes_and_nothing_else():
    allowed = [a for a, (starts, _t) in states.TRANSITIONS.items() if states.CLOSED in starts]
    assert allowed == ["note"]
