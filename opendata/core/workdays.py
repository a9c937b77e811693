"""Working days on the official calendar (public holidays and make-up working days, 调休).

The one adapter around the ``chinese-calendar`` package (import name ``chinese_calendar``), which
carries the State Council's yearly holiday notices. A year the installed package does not cover is
never guessed silently: days of such a year count as Monday to Friday, and every answer that
touched one says so (``uncovered_years``), so deadlines built on it carry a visible warning.

Convention of the disclosure deadlines: the start day is not counted. ``add_workdays(d, 20)`` is
the 20th working day after ``d``; ``count_workdays(a, b)`` counts the working days after ``a``
up to and including ``b``, so ``count_workdays(d, add_workdays(d, n).date) == n``.

Both answer from one table of cumulative working-day counts built once per process, so a
deadline costs two binary searches whatever its length.
"""

from __future__ import annotations

import bisect
import importlib.metadata
from array import array
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as _official

from opendata.core.errors import Problem, ValidationError

# The table spans these dates; a date outside them is refused (no deadline reaches that far).
FIRST_DAY = date(1990, 1, 1)
LAST_DAY = date(2100, 12, 31)
MAX_SPAN = 3660  # working days one question may cover (about 14 years): far beyond any legal period


@dataclass(frozen=True)
class WorkdayAnswer:
    """A computed date, the calendar version that produced it and the years it had to guess."""

    date: date
    calendar_version: str
    uncovered_years: tuple[int, ...] = ()

    @property
    def warning(self) -> str | None:
        """The calendar warning to show beside the date, if any year was not covered."""
        return uncovered_warning(self.uncovered_years, self.calendar_version)


@dataclass(frozen=True)
class WorkdayCount:
    """A number of working days between two dates, with the calendar version and guessed years."""

    days: int
    calendar_version: str
    uncovered_years: tuple[int, ...] = ()

    @property
    def warning(self) -> str | None:
        return uncovered_warning(self.uncovered_years, self.calendar_version)


def uncovered_warning(years: tuple[int, ...], version: str) -> str | None:
    """The bilingual warning for years the calendar does not cover (None when all are covered)."""
    if not years:
        return None
    listed = ", ".join(str(y) for y in years)
    return (f"日历 {version} 未收录 {listed} 年的节假日安排，按周一至周五计算工作日，请人工核对。"
            f" The official calendar ({version}) does not cover {listed}: working days were counted as "
            "Monday to Friday; check the date by hand.")


class WorkCalendar:
    """The official working-day calendar of one installed ``chinese-calendar`` version."""

    def __init__(self, holidays: set[date], makeup_workdays: set[date], covered: range, version: str):
        self.version = version
        self.covered_years = covered
        self._base = FIRST_DAY.toordinal()
        total = LAST_DAY.toordinal() - self._base + 1
        # _cum[i]: working days in [FIRST_DAY, FIRST_DAY + i], so counts are differences of two entries
        cum, running = array("l", bytes(8 * total)), 0
        for i in range(total):
            day = date.fromordinal(self._base + i)
            if day in makeup_workdays or (day.weekday() < 5 and day not in holidays):
                running += 1
            cum[i] = running
        self._cum = cum

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is a working day (weekdays outside covered years count as working days)."""
        i = self._index(day)
        return self._cum[i] - (self._cum[i - 1] if i else 0) == 1

    def is_covered(self, year: int) -> bool:
        """True when the installed calendar carries the holiday notice of ``year``."""
        return year in self.covered_years

    def add_workdays(self, start: date, days: int) -> WorkdayAnswer:
        """The ``days``-th working day after ``start`` (the start day is not counted); days >= 0."""
        if not 0 <= days <= MAX_SPAN:
            raise _invalid("days", f"the number of working days must be between 0 and {MAX_SPAN}")
        i = self._index(start)
        if days == 0:
            return WorkdayAnswer(start, self.version, self._uncovered(start, start))
        target = self._cum[i] + days
        j = bisect.bisect_left(self._cum, target, lo=i + 1)
        if j >= len(self._cum):
            raise _invalid("days", f"{days} working days after {start} is past {LAST_DAY}")
        found = date.fromordinal(self._base + j)
        return WorkdayAnswer(found, self.version, self._uncovered(start, found))

    def count_workdays(self, start: date, end: date) -> WorkdayCount:
        """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
        i, j = self._index(start), self._index(end)
        low, high = (start, end) if start <= end else (end, start)
        return WorkdayCount(self._cum[j] - self._cum[i], self.version, self._uncovered(low, high))

    def next_workday(self, day: date) -> date:
        """The first working day after ``day``."""
        return self.add_workdays(day, 1).date

    def _uncovered(self, low: date, high: date) -> tuple[int, ...]:
        if low.year >= self.covered_years.start and high.year < self.covered_years.stop:
            return ()  # the common case, answered without building a range
        return tuple(y for y in range(low.year, high.year + 1) if y not in self.covered_years)

    def _index(self, day: date) -> int:
        if type(day) is not date and (isinstance(day, datetime) or not isinstance(day, date)):
            raise _invalid("date", f"{day!r} is not a calendar date")
        if not FIRST_DAY <= day <= LAST_DAY:
            raise _invalid("date", f"{day.isoformat()} is outside {FIRST_DAY.isoformat()} to {LAST_DAY.isoformat()}")
        return day.toordinal() - self._base


def _invalid(path: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-date", message, path=path)])


@lru_cache(maxsize=1)
def official_calendar() -> WorkCalendar:
    """The calendar of the installed ``chinese-calendar`` package (built once per process)."""
    years = sorted({d.year for d in _official.holidays} | {d.year for d in _official.workdays})
    version = f"chinese-calendar {_package_version()}"
    return WorkCalendar(set(_official.holidays), set(_official.workdays), range(years[0], years[-1] + 1), version)


def _package_version() -> str:
    try:
        return importlib.metadata.version("chinesecalendar")
    except importlib.metadata.PackageNotFoundError:  # installed some other way: the module knows its own
        return str(getattr(chinese_calendar, "__version__", "unknown"))


@dataclass(frozen=True)
class OfficeHours:
    """When a receiving office is open on a working day, in its local time."""

    opens: time
    closes: time

    @classmethod
    def parse(cls, text: str) -> OfficeHours:
        """'09:00-17:00' (24-hour clock); ValidationError naming the setting otherwise."""
        try:
            first, second = (part.strip() for part in text.split("-"))
            opens, closes = time.fromisoformat(first), time.fromisoformat(second)
        except ValueError:
            raise _invalid("office_hours", f"office hours {text!r} must look like 09:00-17:00") from None
        if opens >= closes:
            raise _invalid("office_hours", f"office hours {text!r} must open before they close")
        return cls(opens, closes)


def receipt_date(received: datetime, hours: OfficeHours, calendar: WorkCalendar | None = None) -> date:
    """The day a request counts as received: its own day if a working day before closing time, else
    the next working day. ``received`` is in the office's local time (naive or aware)."""
    calendar = calendar or official_calendar()
    day = received.date()
    if calendar.is_workday(day) and received.time() < hours.closes:
        return day
    return calendar.next_workday(day)


def parse_day(text: str, path: str = "date") -> date:
    """An ISO date (YYYY-MM-DD); ValidationError naming ``path`` otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except (ValueError, AttributeError):
        raise _invalid(path, f"{text!r} is not a date in the form YYYY-MM-DD") from None

