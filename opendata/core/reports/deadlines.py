"""Who must publish a year's report by when (政府信息公开条例 Art. 49), and whether they did.

Departments (部门) publish the previous year's report by 31 January; governments (人民政府) at
county level and above by 31 March. A township government (乡镇) reports to its county as
departments do, by 31 January: the regulation's 31 March is for 县级以上 governments.

The catalogue has no separate flag for governments: an organisation is a government when it has
no parent or its parent is at another administrative level (a county government under a city), and
a department when its parent is at the same level (a city bureau under the city government).
"""

from __future__ import annotations

from datetime import date

DEPARTMENT, GOVERNMENT = "department", "government"
KIND_NAMES = {DEPARTMENT: ("部门", "Department"), GOVERNMENT: ("人民政府", "Government")}
ON_TIME, LATE, MISSING, NOT_DUE = "on-time", "late", "missing", "not-due"
STATUS_NAMES = {ON_TIME: ("按时发布", "Published on time"), LATE: ("逾期发布", "Published late"),
                MISSING: ("逾期未发布", "Overdue, not published"), NOT_DUE: ("未到期", "Not yet due")}
_MARCH_LEVELS = frozenset({"province", "city", "county"})


def organization_kind(level: str, parent_level: str | None, has_parent: bool) -> str:
    """``government`` or ``department`` from the organisation's place in the tree."""
    if not has_parent or parent_level != level:
        return GOVERNMENT
    return DEPARTMENT


def publication_deadline(kind: str, level: str, year: int) -> date:
    """The last day to publish the report of ``year``."""
    if kind == GOVERNMENT and level in _MARCH_LEVELS:
        return date(year + 1, 3, 31)
    return date(year + 1, 1, 31)


def publication_status(deadline: date, first_published_on: date | None, today: date) -> str:
    """on-time, late, missing (deadline passed, nothing published) or not-due."""
    if first_published_on is not None:
        return ON_TIME if first_published_on <= deadline else LATE
    return MISSING if today > deadline else NOT_DUE
