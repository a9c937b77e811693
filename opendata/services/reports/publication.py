"""Drafts and published versions of annual reports.

A draft is the report computed now (staff only), with the problems the checks find. Publishing
computes it again, refuses it while any check fails (naming table, row and column), and stores the
next version: the canonical JSON and its sha256, and the XLSX and DOCX files in the artifact store
with theirs. Files are written before the row that points to them; the row is a record the
database never changes. Published versions are public.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from opendata.core.errors import ConflictError, NotFoundError, Problem, ValidationError
from opendata.core.reports.checks import check_report
from opendata.core.reports.document import build_document, canonical_bytes, sha256_of
from opendata.core.reports.docx import report_docx
from opendata.core.reports.xlsx import report_workbook
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.org_tree import find_organization, load_org_tree
from opendata.services.reports.assemble import report_parts
from opendata.services.reports.entries import check_year, staff_organization
from opendata.services.reports.policy import ReportPolicy
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading, unit_of_work
from opendata.store.models import Organization, utcnow
from opendata.store.reports import ReportVersion

FILE_KINDS = {"json": "application/json", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
              "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


class ReportCheckError(ValidationError):
    """A report that fails a check of the template cannot be published (each problem names its cell)."""

    code = "report-check-failed"


@dataclass(frozen=True)
class ReportFile:
    """A published report's file: stored bytes (``path``) or the canonical JSON (``data``)."""

    filename: str
    media_type: str
    sha256: str
    size: int
    path: Path | None = None
    data: bytes | None = None


def draft_report(*, runtime: Runtime, policy: ReportPolicy, viewer: Viewer, organization: str, year: int,
                 now: datetime | None = None) -> dict[str, Any]:
    """The report as it would be published now, and the problems that would stop it (staff only)."""
    with reading(runtime) as session:
        node = staff_organization(session, viewer, organization)
        year = check_year(year, policy, now)
        tree = load_org_tree(session)
        parts = report_parts(session, policy, tree, node, year)
        latest = _latest_number(session, node.id, year)
    problems = check_report(parts.two, parts.three, parts.four)
    return {"document": build_document(parts), "problems": [p.to_dict() for p in problems],
            "publishable": not problems, "published_versions": latest}


def publish_report(*, runtime: Runtime, policy: ReportPolicy, viewer: Viewer, organization: str, year: int,
                   now: datetime | None = None) -> dict[str, Any]:
    """Publish the next version of the organisation's report of ``year`` (never an overwrite)."""
    now = now or utcnow()
    with unit_of_work(runtime) as session:
        node = staff_organization(session, viewer, organization)
        year = check_year(year, policy, now)
        tree = load_org_tree(session)
        parts = report_parts(session, policy, tree, node, year)
        problems = check_report(parts.two, parts.three, parts.four)
        if problems:
            raise ReportCheckError(f"the report cannot be published: {problems[0].message}", problems=problems)
        number = _latest_number(session, node.id, year) + 1
        doc = build_document(parts, version=number, published_at=now)
        files = {kind: runtime.artifacts.put_stream(io.BytesIO(data), suffix=f".{kind}")
                 for kind, data in (("xlsx", report_workbook(doc)), ("docx", report_docx(doc)))}
        version = ReportVersion(
            organization_id=node.id, year=year, number=number, document=canonical_bytes(doc).decode("utf-8"),
            sha256=sha256_of(doc), xlsx_path=files["xlsx"][0], xlsx_sha256=files["xlsx"][1],
            xlsx_bytes=files["xlsx"][2], docx_path=files["docx"][0], docx_sha256=files["docx"][1],
            docx_bytes=files["docx"][2], published_by=viewer.user or "anonymous", published_at=now)
        session.add(version)
        try:
            session.flush()
        except IntegrityError:
            raise ConflictError(f"version {number} of {node.slug}'s {year} report was published at the same time; "
                                "look at the versions and publish again if needed") from None
        audit_record(session=session, actor=viewer, action="report-published", target_type="report_version",
                     target_id=f"{node.slug}/{year}/{number}", after={"sha256": version.sha256, "number": number})
        return version_dict(version, node.slug)


def list_published_reports(*, runtime: Runtime, year: int | None = None,
                           organization: str | None = None) -> list[dict[str, Any]]:
    """The latest published version of each report, newest year first (optionally one year or one tree)."""
    with reading(runtime) as session:
        latest = (select(ReportVersion.organization_id, ReportVersion.year,
                         func.max(ReportVersion.number).label("number"))
                  .group_by(ReportVersion.organization_id, ReportVersion.year))
        if year is not None:
            latest = latest.where(ReportVersion.year == year)
        if organization is not None:
            tree = load_org_tree(session)
            latest = latest.where(ReportVersion.organization_id.in_(
                tree.subtree_ids(find_organization(tree, organization).id)))
        latest = latest.subquery()
        rows = session.execute(
            select(ReportVersion, Organization.slug).join(latest, (ReportVersion.organization_id == latest.c.organization_id)
                                                          & (ReportVersion.year == latest.c.year)
                                                          & (ReportVersion.number == latest.c.number))
            .join(Organization, Organization.id == ReportVersion.organization_id)
            .order_by(ReportVersion.year.desc(), Organization.slug)).all()
        return [version_dict(v, slug, with_title=True) for v, slug in rows]


def published_report(*, runtime: Runtime, organization: str, year: int, number: int | None = None) -> dict[str, Any]:
    """A published version (the latest when ``number`` is None) with its document; 404 when there is none."""
    with reading(runtime) as session:
        node, version = _version(session, organization, year, number)
        return {**version_dict(version, node.slug), "report": json.loads(version.document)}


def report_with_versions(*, runtime: Runtime, organization: str, year: int,
                         number: int | None = None) -> dict[str, Any]:
    """A published version with its document, and every published version of the report (the report's page)."""
    with reading(runtime) as session:
        node, version = _version(session, organization, year, number)
        versions = session.scalars(select(ReportVersion).where(
            ReportVersion.organization_id == node.id, ReportVersion.year == year).order_by(ReportVersion.number))
        return {**version_dict(version, node.slug), "report": json.loads(version.document),
                "versions": [version_dict(v, node.slug) for v in versions]}


def report_versions(*, runtime: Runtime, organization: str, year: int) -> list[dict[str, Any]]:
    """Every published version of a report, oldest first (an empty list when none)."""
    with reading(runtime) as session:
        node = find_organization(load_org_tree(session), organization)
        versions = session.scalars(select(ReportVersion).where(
            ReportVersion.organization_id == node.id, ReportVersion.year == year).order_by(ReportVersion.number))
        return [version_dict(v, node.slug) for v in versions]


def report_file(*, runtime: Runtime, organization: str, year: int, number: int, kind: str) -> ReportFile:
    """One file of a published version: its JSON (the hashed bytes), XLSX or DOCX."""
    if kind not in FILE_KINDS:
        raise NotFoundError(f"no {kind!r} file; a report has {', '.join(FILE_KINDS)}")
    with reading(runtime) as session:
        node, v = _version(session, organization, year, number)
    name = f"{node.slug}-{year}-annual-report-v{v.number}.{kind}"
    if kind == "json":
        data = v.document.encode("utf-8")
        return ReportFile(name, FILE_KINDS[kind], v.sha256, len(data), data=data)
    path, sha, size = (v.xlsx_path, v.xlsx_sha256, v.xlsx_bytes) if kind == "xlsx" else \
        (v.docx_path, v.docx_sha256, v.docx_bytes)
    return ReportFile(name, FILE_KINDS[kind], sha, size, path=runtime.artifacts.path(path))


def version_dict(v: ReportVersion, slug: str, *, with_title: bool = False) -> dict[str, Any]:
    """A published version's facts (no document)."""
    out = {"organization": slug, "year": v.year, "version": v.number, "published_at": v.published_at,
           "published_by": v.published_by, "sha256": v.sha256,
           "files": {"json": {"sha256": v.sha256, "bytes": len(v.document.encode("utf-8"))},
                     "xlsx": {"sha256": v.xlsx_sha256, "bytes": v.xlsx_bytes},
                     "docx": {"sha256": v.docx_sha256, "bytes": v.docx_bytes}}}
    if with_title:
        doc = json.loads(v.document)
        out["title"], out["organization_name"] = doc["title"], doc["organization"]["name"]
    return out


def report_paths(session: Session) -> set[str]:
    """Artifact paths published reports point to (kept by `opendata clean`)."""
    rows = session.execute(select(ReportVersion.xlsx_path, ReportVersion.docx_path)).all()
    return {p for row in rows for p in row}


def _latest_number(session: Session, organization_id: int, year: int) -> int:
    return session.scalar(select(func.coalesce(func.max(ReportVersion.number), 0)).where(
        ReportVersion.organization_id == organization_id, ReportVersion.year == year)) or 0


def _version(session: Session, organization: str, year: int, number: int | None):
    node = find_organization(load_org_tree(session), organization)
    query = select(ReportVersion).where(ReportVersion.organization_id == node.id, ReportVersion.year == year)
    query = query.where(ReportVersion.number == number) if number is not None else \
        query.order_by(ReportVersion.number.desc()).limit(1)
    version = session.scalar(query)
    if version is None:
        which = f"version {number} of " if number is not None else ""
        raise NotFoundError(f"{which}{node.name}'s {year} report has not been published",
                            problems=[Problem("not-published", f"no published {year} report for {node.slug}")])
    return node, version
