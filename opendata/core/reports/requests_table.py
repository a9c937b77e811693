"""Table 三 from disclosure requests: which rows a request counts in for a calendar year.

The rule, for year Y (dates are local days in the receiving body's time zone):

- a request first received in Y counts in 一 (本年新收); one received before Y and not decided before
  1 January of Y counts in 二 (上年结转). A request received after Y, or decided before Y, is not
  in Y's table.
- a counted request decided during Y counts in the row of its outcome (and so in （七）总计); one
  still undecided on 31 December of Y counts in 四 (结转下年度继续办理), and so in next year's 二.

"First received" is the day it was first counted as received: a correction (补正) restarts the
reply clock but not the year the request arrived in. Every request lands in exactly one intake row
and one result row, so 一 + 二 = 三（七） + 四 holds in every column by construction; the column is
the applicant type, and 总计 their sum.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from opendata.core.reports import figures
from opendata.core.reports import template as t

Placement = tuple[str, str]  # (intake row, result row)


@dataclass(frozen=True)
class RequestFacts:
    """What the report needs of one request."""

    applicant_type: str
    received_on: date
    decided_on: date | None = None
    outcome: str | None = None


def placement(request: RequestFacts, year: int) -> Placement | None:
    """The intake and result rows of ``request`` in ``year``'s table 三, or None when it is not counted."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    if request.received_on > last:
        return None
    if request.decided_on is not None and request.decided_on < first:
        return None
    intake = t.NEW if request.received_on >= first else t.CARRIED_IN
    if request.decided_on is not None and request.decided_on <= last:
        if request.outcome not in t.OUTCOME_KEYS:
            raise ValueError(f"a decided request needs one of the template's outcomes, not {request.outcome!r}")
        return intake, request.outcome
    return intake, t.CARRIED_OVER


def count_requests(requests: Iterable[RequestFacts], year: int) -> figures.Table:
    """Table 三 of ``year`` from the requests themselves (the reference the database query must equal)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for request in requests:
        placed = placement(request, year)
        if placed is not None:
            counts[(*placed, request.applicant_type)] += 1
    return table_three(counts)


def table_three(counts: Mapping[tuple[str, str, str], int]) -> figures.Table:
    """Table 三 from counts per (intake row, result row, applicant type), with （七） and 总计 filled in."""
    table = figures.empty_three()
    applicants = {c.key for c in t.APPLICANT_COLUMNS}
    for (intake, result, applicant), n in counts.items():
        if applicant not in applicants:
            raise ValueError(f"unknown applicant type {applicant!r}")
        if intake not in (t.NEW, t.CARRIED_IN) or result not in (*t.OUTCOME_KEYS, t.CARRIED_OVER):
            raise ValueError(f"unknown placement {(intake, result)!r}")
        table[intake][applicant] += n
        table[result][applicant] += n
        if result != t.CARRIED_OVER:
            table[t.DECIDED_TOTAL][applicant] += n
    for row in table.values():
        row[t.TOTAL] = sum(row[c.key] for c in t.APPLICANT_COLUMNS)
    return table
