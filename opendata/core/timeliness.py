"""Timeliness (栏目不逾期): when each dataset is next due, and who is overdue.

The rule: a dataset's data was last updated on the local day its newest published version was
published (a withdrawn version does not count); a dataset never published counts from the day it
was registered. It is due ``max_age_days`` of its update frequency later (core/vocab.FREQUENCIES:
daily 2 days, weekly 8, monthly 32, quarterly 93, semi-annual 184, annual 366, real time 1), and
overdue from the day after. Datasets updated irregularly (不定期) have no due date and are not
counted in rates. Closed datasets (不予开放) publish no data and are left out by the callers.

The publication date is used rather than the declared temporal coverage: the board asks whether the
column was updated on time (栏目不逾期), and a dataset whose data lags by design (an annual table
published in March for the year before) is still due once a year from its last publication.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo

from opendata.core import vocab

OVERDUE, DUE_SOON, ON_TIME, NO_SCHEDULE = "overdue", "due-soon", "on-time", "no-schedule"
STATUS_NAMES = {OVERDUE: ("已逾期", "Overdue"), DUE_SOON: ("即将到期", "Due soon"), ON_TIME: ("按时", "On time"),
                NO_SCHEDULE: ("不定期", "No schedule")}
MAX_AGE = {f.key: f.max_age_days for f in vocab.FREQUENCIES}
EPOCH_DAY = date(1970, 1, 1).toordinal()
_FIELD = {OVERDUE: "overdue", DUE_SOON: "due_soon", ON_TIME: "on_time", NO_SCHEDULE: "no_schedule"}
_UNKNOWN = object()


@dataclass(frozen=True)
class Standing:
    """Where one dataset stands on ``today``."""

    status: str
    last_update: date
    due: date | None
    days_left: int | None  # negative: days overdue
    never_published: bool


def standing(frequency: str, last_published: date | None, registered: date, today: date, within: int) -> Standing:
    """The dataset's status: overdue, due within ``within`` days, on time, or without a schedule."""
    last = last_published or registered
    max_age = MAX_AGE.get(frequency)
    if max_age is None:
        return Standing(NO_SCHEDULE, last, None, None, last_published is None)
    due = last + timedelta(days=max_age)
    left = (due - today).days
    status = OVERDUE if left < 0 else DUE_SOON if left <= within else ON_TIME
    return Standing(status, last, due, left, last_published is None)


class LocalDays:
    """The local calendar day (a date ordinal) of UTC instants given as whole seconds since 1970.

    For many instants at once (a board of 50,000 datasets): the zone's UTC offset is looked up once
    per UTC day and reused; on a day when the zone changes its offset (daylight saving) each instant
    is converted on its own. The result is ``datetime.fromtimestamp(seconds, zone).date()``.
    """

    def __init__(self, zone: tzinfo):
        self.zone = zone
        self._offsets: dict[int, object] = {}  # UTC day number -> offset in seconds, or None if it changes

    def __call__(self, seconds: int) -> int:
        day = seconds // 86400
        offset = self._offsets.get(day, _UNKNOWN)
        if offset is _UNKNOWN:
            offset = self._offsets[day] = self._offset_of_day(day)
        if offset is None:
            return datetime.fromtimestamp(seconds, self.zone).toordinal()
        return (seconds + offset) // 86400 + EPOCH_DAY

    def _offset_of_day(self, day: int) -> int | None:
        first, last = (datetime.fromtimestamp(day * 86400 + s, UTC).astimezone(self.zone).utcoffset()
                       for s in (0, 86399))
        return int(first.total_seconds()) if first == last else None


def place_days(frequencies: Sequence[str], last_days: Sequence[int], today: int,
               within: int) -> tuple[list[str], list[int | None]]:
    """:func:`standing` of many datasets at once, on date ordinals: each one's status and due day."""
    statuses: list[str] = []
    dues: list[int | None] = []
    soon = today + within
    for frequency, last in zip(frequencies, last_days, strict=True):
        max_age = MAX_AGE.get(frequency)
        if max_age is None:
            statuses.append(NO_SCHEDULE)
            dues.append(None)
            continue
        due = last + max_age
        statuses.append(OVERDUE if due < today else DUE_SOON if due <= soon else ON_TIME)
        dues.append(due)
    return statuses, dues


@dataclass
class Tally:
    """Counts of one organisation (or tree): datasets by status, and the on-time rate."""

    overdue: int = 0
    due_soon: int = 0
    on_time: int = 0
    no_schedule: int = 0
    never_published: int = 0

    def add(self, s: Standing, n: int = 1) -> None:
        """Count ``n`` datasets standing as ``s`` stands."""
        self.count(s.status, s.never_published, n)

    def count(self, status: str, never_published: bool, n: int = 1) -> None:
        """Count ``n`` datasets of ``status`` (never published or not)."""
        name = _FIELD[status]
        setattr(self, name, getattr(self, name) + n)
        self.never_published += n if never_published else 0

    def merge(self, other: Tally) -> None:
        for name in ("overdue", "due_soon", "on_time", "no_schedule", "never_published"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def scheduled(self) -> int:
        """Datasets with a due date (the rate's denominator)."""
        return self.overdue + self.due_soon + self.on_time

    @property
    def on_time_rate(self) -> float | None:
        """Share of scheduled datasets not overdue (None when there are none)."""
        return None if not self.scheduled else (self.scheduled - self.overdue) / self.scheduled

    def as_dict(self) -> dict:
        rate = self.on_time_rate
        return {"datasets": self.scheduled + self.no_schedule, "scheduled": self.scheduled, "overdue": self.overdue,
                "due_soon": self.due_soon, "on_time": self.on_time, "no_schedule": self.no_schedule,
                "never_published": self.never_published,
                "on_time_rate": None if rate is None else round(rate, 4)}


@dataclass
class TreeTallies:
    """Each organisation's own tally and its tree's (itself and everything under it)."""

    own: dict[int, Tally] = field(default_factory=dict)
    tree: dict[int, Tally] = field(default_factory=dict)


def tally_tree(standings: Iterable[tuple[int, Standing]], parents: dict[int, int | None]) -> TreeTallies:
    """Tallies per organisation from (organisation id, standing) pairs, rolled up to every ancestor."""
    pairs = list(standings)
    return tally_columns([org for org, _s in pairs], [s.status for _o, s in pairs],
                         [s.never_published for _o, s in pairs], parents)


def tally_columns(organizations: Sequence[int], statuses: Sequence[str], never_published: Sequence[bool],
                  parents: dict[int, int | None]) -> TreeTallies:
    """:func:`tally_tree` of many datasets given as columns (row i: one dataset's organisation, status, flag)."""
    out = TreeTallies({org: Tally() for org in parents}, {org: Tally() for org in parents})
    for (org, status, never), n in Counter(zip(organizations, statuses, never_published, strict=True)).items():
        out.own.setdefault(org, Tally()).count(status, never, n)
    for org, tally in out.own.items():
        seen: set[int] = set()
        node: int | None = org
        while node is not None and node not in seen:
            seen.add(node)
            out.tree.setdefault(node, Tally()).merge(tally)
            node = parents.get(node)
    return out
