"""What staff enter for a year's report: the texts of sections 一, 五 and 六 and tables 二 and 四.

Entered through the API or the command line, or imported from a CSV/XLSX laid out as the template.
Every figure is checked on the way in; one bad cell refuses the whole change, naming the cell, and
nothing stored changes. Each change is in the audit log.
"""

from __future__ import annotations

import tempfile
from datetime import datetime
from decimal import Decimal
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import InputError, Problem, ValidationError
from opendata.core.reports import figures
from opendata.core.reports import template as t
from opendata.core.reports.checks import check_four
from opendata.core.reports.importing import MAX_BYTES, import_tables, read_sheets
from opendata.core.textcheck import text_problem
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.org_tree import find_organization, load_org_tree, require_staff_of
from opendata.services.reports.policy import ReportPolicy
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading, unit_of_work
from opendata.store.models import utcnow
from opendata.store.reports import ReportEntry

SECTION_MAX = 50_000
FIRST_YEAR = 2008  # the disclosure regulation took effect on 1 May 2008


def check_year(year: Any, policy: ReportPolicy, now: datetime | None = None) -> int:
    """A report year: 2008 to this year (a report is drafted during its year and published after)."""
    today = policy.today(now)
    if isinstance(year, bool) or not isinstance(year, int) or not FIRST_YEAR <= year <= today.year:
        message = f"year must be a calendar year from {FIRST_YEAR} to {today.year}, not {year!r}"
        raise ValidationError(message, problems=[Problem("invalid-year", message, path="year")])
    return year


def check_sections(sections: Any) -> dict[str, str]:
    """The staff texts: an object with any of overview (一), problems (五), other (六)."""
    if not isinstance(sections, dict):
        raise _invalid("sections", "sections must be an object with overview, problems and other")
    unknown = sorted(set(sections) - set(t.TEXT_SECTIONS))
    if unknown:
        raise _invalid(f"sections/{unknown[0]}", f"unknown section {unknown[0]!r}; staff write "
                       f"{', '.join(t.TEXT_SECTIONS)} (一, 五 and 六)")
    out = {}
    for key, text in sections.items():
        where = f"sections/{key}"
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise _invalid(where, f"section {t.SECTION_BY_KEY[key].zh} must be text")
        text = text.replace("\r\n", "\n").strip()
        if len(text) > SECTION_MAX:
            raise _invalid(where, f"section {t.SECTION_BY_KEY[key].zh} has {len(text):,} characters; at most "
                           f"{SECTION_MAX:,}")
        if (problem := text_problem(text, multiline=True)) is not None:
            raise _invalid(where, f"section {t.SECTION_BY_KEY[key].zh} {problem}")
        out[key] = text
    return out


def report_entry(*, runtime: Runtime, policy: ReportPolicy, viewer: Viewer, organization: str,
                 year: int) -> dict[str, Any]:
    """What staff entered for the organisation and year (empty texts and zero tables if nothing yet)."""
    with reading(runtime) as session:
        node = staff_organization(session, viewer, organization)
        year = check_year(year, policy)
        return entry_dict(node.slug, year, _entry(session, node.id, year))


def save_report_entry(*, runtime: Runtime, policy: ReportPolicy, viewer: Viewer, organization: str, year: int,
                      sections: Any = None, table_two: Any = None, table_four: Any = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """Replace the parts given (texts, table 二, table 四); every figure checked first."""
    with reading(runtime) as session:  # strangers hear 401/403 before anything about their input
        staff_organization(session, viewer, organization)
    year = check_year(year, policy, now)
    problems: list[Problem] = []
    two = four = None
    if table_two is not None:
        two, found = figures.parse_two(table_two)
        problems += found
    if table_four is not None:
        four, found = figures.parse_four(table_four)
        problems += found
    if four is not None and not problems:
        problems += check_four(four)
    if problems:
        raise ValidationError(f"the report's figures cannot be taken: {problems[0].message}", problems=problems)
    texts = check_sections(sections) if sections is not None else None
    return _store(runtime, viewer, organization, year, texts, two, four, now, action="report-entry-saved")


def import_report_tables(*, runtime: Runtime, policy: ReportPolicy, viewer: Viewer, organization: str, year: int,
                         stream: BinaryIO, filename: str, now: datetime | None = None) -> dict[str, Any]:
    """Tables 二 and/or 四 from a CSV or XLSX in the template's layout; the tables found replace the stored."""
    with reading(runtime) as session:  # refuse strangers before reading their file
        staff_organization(session, viewer, organization)
    year = check_year(year, policy, now)
    filename = (filename or "upload").replace("\\", "/").rsplit("/", 1)[-1][:200] or "upload"
    with tempfile.NamedTemporaryFile(prefix="report-import-") as spool:
        copied = 0
        while chunk := stream.read(1 << 16):
            copied += len(chunk)
            if copied > MAX_BYTES:
                raise InputError(f"{filename}: larger than {MAX_BYTES:,} bytes; an import file holds two tables")
            spool.write(chunk)
        spool.flush()
        imported = import_tables(read_sheets(spool.name, filename), filename)
    if imported.four is not None and (problems := check_four(imported.four)):
        raise ValidationError(f"{filename}: {problems[0].message}", problems=[
            Problem(p.code, p.message, file=filename, path=p.path) for p in problems])
    return _store(runtime, viewer, organization, year, None, imported.two, imported.four, now,
                  action="report-tables-imported", note=filename)


def staff_organization(session: Session, viewer: Viewer, organization: str):
    """The organisation, when the viewer is its staff: 401 for anonymous callers first, then 404, then 403."""
    if viewer.is_anonymous:
        require_staff_of(viewer, None)
    node = find_organization(load_org_tree(session), organization)
    require_staff_of(viewer, node)
    return node


def entry_dict(slug: str, year: int, entry: ReportEntry | None) -> dict[str, Any]:
    """An entry as the API shows it."""
    two, four = entry_tables(entry)
    return {"organization": slug, "year": year,
            "sections": {k: (entry.sections or {}).get(k, "") if entry else "" for k in t.TEXT_SECTIONS},
            "table_two": figures.jsonable(two), "table_four": figures.jsonable(four),
            "modified_at": entry.modified_at if entry else None, "modified_by": entry.modified_by if entry else None}


def entry_tables(entry: ReportEntry | None) -> tuple[figures.Table, figures.Table]:
    """Tables 二 and 四 as stored (zero tables when nothing was entered)."""
    if entry is None:
        return figures.empty_two(), figures.empty_four()
    two, _ = figures.parse_two(entry.table_two or {})
    four, _ = figures.parse_four(entry.table_four or {})
    return two, four


def _entry(session: Session, organization_id: int, year: int) -> ReportEntry | None:
    return session.scalar(select(ReportEntry).where(ReportEntry.organization_id == organization_id,
                                                    ReportEntry.year == year))


def _store(runtime: Runtime, viewer: Viewer, organization: str, year: int, texts: dict[str, str] | None,
           two: figures.Table | None, four: figures.Table | None, now: datetime | None, *, action: str,
           note: str | None = None) -> dict[str, Any]:
    now = now or utcnow()
    with unit_of_work(runtime) as session:
        node = find_organization(load_org_tree(session), organization)
        require_staff_of(viewer, node)
        entry = _entry(session, node.id, year)
        before = entry_dict(node.slug, year, entry) if entry else None
        if entry is None:
            entry = ReportEntry(organization_id=node.id, year=year, sections={}, table_two={}, table_four={},
                                modified_by=viewer.user or "anonymous", created_at=now, modified_at=now)
            session.add(entry)
        if texts is not None:
            entry.sections = {**(entry.sections or {}), **texts}
        if two is not None:
            entry.table_two = _stored(two)
        if four is not None:
            entry.table_four = _stored(four)
        entry.modified_by, entry.modified_at = viewer.user or "anonymous", now
        session.flush()
        after = entry_dict(node.slug, year, entry)
        audit_record(session=session, actor=viewer, action=action, target_type="report_entry",
                     target_id=f"{node.slug}/{year}", before=before and _audited(before),
                     after={**_audited(after), **({"file": note} if note else {})})
        return after


def _stored(table: figures.Table) -> dict[str, Any]:
    """JSON for the database: amounts as decimal strings, so no float ever rounds them."""
    return {row: {col: (format(v, "f") if isinstance(v, Decimal) else v) for col, v in cols.items()}
            for row, cols in table.items()}


def _audited(entry: dict[str, Any]) -> dict[str, Any]:
    return {"table_two": entry["table_two"], "table_four": entry["table_four"],
            "sections": {k: len(v) for k, v in entry["sections"].items()}}


def _invalid(path: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-section", message, path=path)])
