"""Usage statistics over any period: downloads and API calls by month, per dataset, organisation and platform.

The daily counts in ``usage_daily`` are kept forever; this module rolls them up into calendar months
(UTC days, as they are counted) on demand. Only totals per dataset and day are stored: no address,
user or token is ever recorded with a hit, so the statistics cannot tell who downloaded what.
Organisations count their own datasets and those of the organisations under them; withdrawn
datasets keep counting in the months they were used (their use happened) but are not listed by name.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.models import Dataset, UsageDaily

DEFAULT_MONTHS = 12
MAX_MONTHS = 120  # ten years per answer
TOP = 10  # datasets listed by use in an organisation's or the platform's statistics
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def month_range(first: str | None, last: str | None, today: date | None = None) -> tuple[date, date]:
    """The first days of the first and last month asked for (default: the last 12 months, this one included)."""
    today = today or datetime.now(UTC).date()
    end = _month(last, "to") if last else today.replace(day=1)
    start = _month(first, "from") if first else _shift(end, -(DEFAULT_MONTHS - 1))
    if start > end:
        raise _invalid("from", f"from ({start:%Y-%m}) is after to ({end:%Y-%m})")
    if _months_between(start, end) > MAX_MONTHS:
        raise _invalid("from", f"at most {MAX_MONTHS} months per answer")
    return start, end


def usage_statistics(*, runtime: Runtime, organization: str | None = None, dataset: str | None = None,
                     first: str | None = None, last: str | None = None) -> dict[str, Any]:
    """Downloads and API calls by month for a dataset, an organisation's tree or the platform, with totals and
    (for an organisation or the platform) the most used datasets of the period."""
    start, end = month_range(first, last)
    with reading(runtime) as session:
        scope, ids, names = _scope(session, organization, dataset)
        query = (select(UsageDaily.dataset_id, UsageDaily.day, UsageDaily.downloads, UsageDaily.api_calls)
                 .where(UsageDaily.day >= start, UsageDaily.day < _shift(end, 1)))
        if ids is not None:
            query = query.where(UsageDaily.dataset_id.in_(ids))
        rows = session.execute(query).all()
    months = {m: [0, 0] for m in _months(start, end)}
    per_dataset: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for ds, day, downloads, api_calls in rows:
        bucket = months[f"{day:%Y-%m}"]
        bucket[0] += downloads
        bucket[1] += api_calls
        per_dataset[ds][0] += downloads
        per_dataset[ds][1] += api_calls
    top = sorted((i for i in per_dataset if i in names), key=lambda i: (-per_dataset[i][0], -per_dataset[i][1], i))
    return {"scope": scope, "organization": organization, "dataset": dataset,
            "from": f"{start:%Y-%m}", "to": f"{end:%Y-%m}",
            "totals": {"downloads": sum(v[0] for v in months.values()), "api_calls": sum(v[1] for v in months.values())},
            "months": [{"month": m, "downloads": v[0], "api_calls": v[1]} for m, v in months.items()],
            "datasets": [] if scope == "dataset" else [
                {"dataset": names[i][0], "title": names[i][1], "downloads": per_dataset[i][0],
                 "api_calls": per_dataset[i][1]} for i in top[:TOP]]}


def usage_csv(*, runtime: Runtime, organization: str | None = None, dataset: str | None = None,
              first: str | None = None, last: str | None = None) -> str:
    """One row per month and listed dataset with any use: month, dataset, title, organisation, downloads, api_calls."""
    start, end = month_range(first, last)
    with reading(runtime) as session:
        _scope_name, ids, names = _scope(session, organization, dataset)
        query = (select(UsageDaily.dataset_id, UsageDaily.day, UsageDaily.downloads, UsageDaily.api_calls)
                 .where(UsageDaily.day >= start, UsageDaily.day < _shift(end, 1)))
        if ids is not None:
            query = query.where(UsageDaily.dataset_id.in_(ids))
        rows = session.execute(query).all()
    cells: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for ds, day, downloads, api_calls in rows:
        if ds in names:
            cell = cells[(f"{day:%Y-%m}", ds)]
            cell[0] += downloads
            cell[1] += api_calls
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["month", "dataset", "title", "organization", "downloads", "api_calls"])
    for (month, ds), (downloads, api_calls) in sorted(cells.items(), key=lambda kv: (kv[0][0], names[kv[0][1]][0])):
        identifier, title, org = names[ds]
        writer.writerow([month, identifier, _cell(title), org, downloads, api_calls])
    return out.getvalue()


def _scope(session, organization: str | None, dataset: str | None):
    """A dataset (of the organisation's tree when both are given), an organisation's tree or the platform:
    (scope name, dataset ids or None for all, {id: (identifier, title, organisation slug)} of listed datasets)."""
    listed = (select(Dataset.id, Dataset.identifier, Dataset.title, Dataset.organization_id)
              .where(Dataset.state == lifecycle.DATASET_ACTIVE))
    tree = load_org_tree(session)
    if dataset is not None:
        found = session.execute(listed.where(Dataset.identifier == dataset)).first()
        if found is None:
            raise NotFoundError(f"dataset '{dataset}' does not exist")
        if organization is not None and found[3] not in tree.subtree_ids(find_organization(tree, organization).id):
            raise NotFoundError(f"dataset '{dataset}' is not published by '{organization}' or those under it")
        return "dataset", [found[0]], {found[0]: (found[1], found[2], tree.nodes[found[3]].slug)}
    if organization is not None:
        orgs = tree.subtree_ids(find_organization(tree, organization).id)
        ids = list(session.scalars(select(Dataset.id).where(Dataset.organization_id.in_(orgs))))
        rows = session.execute(listed.where(Dataset.organization_id.in_(orgs))).all()
        return "organization", ids, {r[0]: (r[1], r[2], tree.nodes[r[3]].slug) for r in rows}
    rows = session.execute(listed).all()
    return "platform", None, {r[0]: (r[1], r[2], tree.nodes[r[3]].slug) for r in rows}


def _cell(text: str) -> str:
    """Text that a spreadsheet opening the CSV will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _month(raw: str, name: str) -> date:
    found = _MONTH.match(str(raw))
    if not found or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2000:
        raise _invalid(name, f"{name} must be a month as YYYY-MM, not {str(raw)[:20]!r}")
    return date(int(found.group(1)), int(found.group(2)), 1)


def _shift(first: date, months: int) -> date:
    index = first.year * 12 + first.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _months(start: date, end: date) -> list[str]:
    return [f"{_shift(start, i):%Y-%m}" for i in range(_months_between(start, end))]


def _invalid(path: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-parameter", message, path=path)])
