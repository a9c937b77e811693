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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from opendata.core import vocab

OVERDUE, DUE_SOON, ON_TIME, NO_SCHEDULE = "overdue", "due-soon", "on-time", "no-schedule"
STATUS_NAMES = {OVERDUE: ("已逾期", "Overdue"), DUE_SOON: ("即将到期", "Due soon"), ON_TIME: ("按时", "On time"),
                NO_SCHEDULE: ("不定期", "No schedule")}
MAX_AGE = {f.key: f.max_age_days for f in vocab.FREQUENCIES}


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


@dataclass
class Tally:
    """Counts of one organisation (or tree): datasets by status, and the on-time rate."""

    overdue: int = 0
    due_soon: int = 0
    on_time: int = 0
    no_schedule: int = 0
    never_published: int = 0

    def add(self, s: Standing) -> None:
        if s.status == OVERDUE:
            self.overdue += 1
        elif s.status == DUE_SOON:
            self.due_soon += 1
        elif s.status == ON_TIME:
            self.on_time += 1
        else:
            self.no_schedule += 1
        self.never_published += s.never_published

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
    out = TreeTallies({org: Tally() for org in parents}, {org: Tally() for org in parents})
    for org, s in standings:
        out.own.setdefault(org, Tally()).add(s)
    for org, tally in out.own.items():
        seen: set[int] = set()
        node: int | None = org
        while node is not None and node not in seen:
            seen.add(node)
            out.tree.setdefault(node, Tally()).merge(tally)
            node = parents.get(node)
    return out
