"""The reply clock of a disclosure request, in working days (政府信息公开条例 Art. 30, 32, 33).

- Reply due 20 working days after receipt (the day of receipt is not counted; a request received
  after office hours or on a non-working day counts as received on the next working day).
- One extension of at most 20 working days.
- A correction (补正) notice goes out within 7 working days of receipt; the clock restarts when the
  corrected request arrives; no correction within the period set closes the request (六.1).
- Consulting a third party (at most 15 working days) or another agency, and the time between a fee
  notice and its payment, do not count: a pause moves the due date by its working days, never by
  more than its bound.

Pure functions over a :class:`~opendata.core.workdays.WorkCalendar`; the services store each
answer with the calendar version that produced it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from opendata.core.workdays import WorkCalendar, WorkdayAnswer

REPLY_WORKING_DAYS = 20
MAX_EXTENSION_DAYS = 20
CORRECTION_NOTICE_DAYS = 7
THIRD_PARTY_DAYS = 15
DUE_SOON_DAYS = 3


@dataclass(frozen=True)
class ClockInput:
    """What the due date depends on: the receipt day, the extension and the closed pauses."""

    receipt: date
    extension_days: int = 0
    paused_days: int = 0


def reply_due(calendar: WorkCalendar, clock: ClockInput) -> WorkdayAnswer:
    """The day the reply is due: receipt + 20 + extension + paused working days."""
    return calendar.add_workdays(clock.receipt, REPLY_WORKING_DAYS + clock.extension_days + clock.paused_days)


def correction_notice_due(calendar: WorkCalendar, receipt: date) -> WorkdayAnswer:
    """The last day a correction notice may go out (7 working days after receipt)."""
    return calendar.add_workdays(receipt, CORRECTION_NOTICE_DAYS)


def paused_working_days(calendar: WorkCalendar, start: date, end: date, bound: int) -> int:
    """Working days a pause from ``start`` to ``end`` holds the clock: those after start up to end,
    never more than ``bound`` (a consultation that overruns its period counts only the period)."""
    return max(0, min(calendar.count_workdays(start, end).days, bound))


@dataclass(frozen=True)
class Standing:
    """Where a running clock stands on a given day: working days left, overdue, due soon."""

    days_left: int
    overdue: bool
    due_soon: bool


def standing(calendar: WorkCalendar, today: date, due: date) -> Standing:
    """Days left until ``due`` as of ``today`` (negative when overdue) and the queue's two flags.

    Due soon: the due day is today or within the next 3 working days.
    """
    left = calendar.count_workdays(today, due).days
    overdue = today > due
    return Standing(left, overdue, not overdue and left <= DUE_SOON_DAYS)
