"""What the department console shows of a department's own datasets (reads only; writes are registry's).

A user sees the datasets of the organizations they are staff of (publishers and reviewers, with
sub-organizations; administrators see all), in any state, with every version. Any other dataset
reads as missing, exactly as one that does not exist. The list gives each dataset's timeliness
(services.timeliness) and the quality score the public sees (services.quality), so a department
knows what to update and what to describe better before the boards say so.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from opendata.core import lifecycle, vocab
from opendata.core.cataloguerules import publisher_codes
from opendata.core.errors import NotFoundError
from opendata.core.quality import quality_score, rating
from opendata.core.timeliness import STATUS_NAMES
from opendata.services.access import Viewer, is_staff_of, staff_organization_clause
from opendata.services.quality import dataset_standing, quality_facts
from opendata.services.registry import dataset_entry
from opendata.services.review import next_step, parse_review_steps
from opendata.services.runtime import Runtime
from opendata.services.timeliness.policy import timeliness_policy
from opendata.services.unit_of_work import reading
from opendata.store.jobs import IngestJob
from opendata.store.models import Dataset, Organization, TableSchemaRecord, Version
from opendata.store.review import ReviewDecision

_SEQUENCE = re.compile(r"^(?P<prefix>.+)/(?P<n>\d+)$")


def _steps(runtime: Runtime) -> tuple[str, ...]:
    return parse_review_steps(runtime.config.REVIEW_STEPS)


def _version_brief(v: Version | None) -> dict[str, Any] | None:
    if v is None:
        return None
    report = v.report or {}
    stats = report.get("stats") or (report.get("tasks") or [{}])[0].get("stats") or {}
    return {"number": v.number, "state": v.state, "created": v.created_at, "created_by": v.created_by,
            "rows": v.row_count, "valid": report.get("valid"), "errors": stats.get("errors"),
            "pii_unresolved": int((v.pii or {}).get("unresolved", 0) or 0), "filename": v.source_filename}


def _review_state(session: Session, steps: tuple[str, ...], v: Version | None) -> dict[str, Any] | None:
    """Where the latest version stands in review: steps taken and the next one (awaiting review only)."""
    if v is None or v.state != lifecycle.AWAITING_REVIEW:
        return None
    decisions = list(session.scalars(select(ReviewDecision).where(ReviewDecision.version_id == v.id)
                                     .order_by(ReviewDecision.id)))
    done = [d.step for d in decisions if d.outcome == "done"]
    return {"done": done, "next": next_step(steps, decisions), "total": len(steps)}


def my_datasets(*, runtime: Runtime, viewer: Viewer) -> list[dict[str, Any]]:
    """The datasets of the viewer's organizations with their latest version, review state, timeliness and
    quality score, by title."""
    steps = _steps(runtime)
    policy = timeliness_policy(runtime)
    today = policy.today()
    with reading(runtime) as session:
        rows = session.scalars(select(Dataset).where(staff_organization_clause(viewer, Dataset.organization_id))
                               .options(selectinload(Dataset.organization), selectinload(Dataset.table_schema),
                                        selectinload(Dataset.versions).selectinload(Version.artifacts),
                                        selectinload(Dataset.versions).selectinload(Version.report_record))
                               .order_by(Dataset.title, Dataset.identifier))
        out = []
        for ds in rows:
            latest = ds.versions[-1] if ds.versions else None
            published = next((v for v in reversed(ds.versions) if v.state == lifecycle.PUBLISHED), None)
            out.append({"id": ds.identifier, "title": ds.title, "title_en": ds.title_en, "state": ds.state,
                        "organization": {"slug": ds.organization.slug, "name": ds.organization.name},
                        "disclosure": ds.disclosure, "frequency": ds.frequency,
                        "latest": _version_brief(latest),
                        "published": published.number if published else None,
                        "review": _review_state(session, steps, latest),
                        "timeliness": _timeliness(ds, policy, today),
                        "quality": _quality(ds, policy, today)})
        return out


def _timeliness(ds: Dataset, policy, today) -> dict[str, Any] | None:
    """Where the dataset stands on the timeliness board, with the status's Chinese and English names."""
    standing = dataset_standing(ds, policy, today)
    return {**standing, "status_names": STATUS_NAMES[standing["status"]]} if standing else None


def _quality(ds: Dataset, policy, today) -> dict[str, Any] | None:
    """The score the public sees with its rating (None for a withdrawn dataset, which is not scored)."""
    if ds.state != lifecycle.DATASET_ACTIVE:
        return None
    score = quality_score(quality_facts(ds, policy, today))
    key, zh, en = rating(score)
    return {"score": score, "rating": key, "rating_name": (zh, en)}


def _get(session: Session, viewer: Viewer, identifier: str) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier)
                        .options(selectinload(Dataset.organization), selectinload(Dataset.versions)))
    if ds is None or not is_staff_of(viewer, ds.organization_id):
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return ds


def dataset_workspace(*, runtime: Runtime, viewer: Viewer, identifier: str, max_jobs: int = 10) -> dict[str, Any]:
    """One dataset as its department works on it: metadata, schema fields, every version, recent jobs."""
    steps = _steps(runtime)
    with reading(runtime) as session:
        ds = _get(session, viewer, identifier)
        jobs = session.scalars(select(IngestJob).where(IngestJob.dataset_id == ds.id)
                               .order_by(IngestJob.id.desc()).limit(max_jobs))
        latest = ds.versions[-1] if ds.versions else None
        return {
            "entry": dataset_entry(ds), "state": ds.state,
            "organization": {"slug": ds.organization.slug, "name": ds.organization.name},
            "disclosure_name": _term("disclosure", ds.disclosure),
            "schema": {"name": ds.table_schema.name, "fields": list(ds.table_schema.descriptor.get("fields", []))},
            "versions": [_version_brief(v) for v in reversed(ds.versions)],
            "review": _review_state(session, steps, latest),
            "jobs": [{"id": j.uuid, "state": j.state, "filename": j.filename, "created": j.created_at,
                      "version": j.version.number if j.version is not None else None,
                      "error": (j.error or {}).get("message")} for j in jobs],
            "may_publish": viewer.can_publish_for(ds.organization_id),
        }


def dataset_for_edit(*, runtime: Runtime, viewer: Viewer, identifier: str) -> dict[str, Any]:
    """A dataset's catalogue metadata as the edit form starts from it (its organization's publishers)."""
    with reading(runtime) as session:
        ds = _get(session, viewer, identifier)
        viewer.require_scope("publish")
        if not viewer.can_publish_for(ds.organization_id):
            raise NotFoundError(f"dataset '{identifier}' does not exist")
        return dataset_entry(ds)


def _term(vocabulary: str, key: str) -> dict[str, str]:
    term = vocab.lookup(vocabulary, key)
    return {"key": key, "zh": term.zh if term else key, "en": term.en if term else key}


def registration_choices(*, runtime: Runtime, viewer: Viewer) -> dict[str, Any]:
    """What a registration form offers: the organizations the viewer publishes for (with the catalogue
    code each would use next), the registered schemas, and the vocabularies."""
    viewer.require_scope("publish")
    with reading(runtime) as session:
        orgs = session.scalars(select(Organization).order_by(Organization.name))
        publishers = []
        for org in orgs:
            if not viewer.can_publish_for(org.id):
                continue
            prefixes = publisher_codes(credit_code=org.credit_code, division_code=org.division_code)
            publishers.append({"slug": org.slug, "name": org.name, "prefixes": list(prefixes),
                               "next_code": _next_code(session, prefixes)})
        schemas = [{"name": name, "fields": len(descriptor.get("fields", []))} for name, descriptor in
                   session.execute(select(TableSchemaRecord.name, TableSchemaRecord.descriptor)
                                   .order_by(TableSchemaRecord.name))]
    return {"publishers": publishers, "schemas": schemas,
            "themes": [_term("theme", k) for k in vocab.keys("theme")],
            "frequencies": [_term("frequency", k) for k in vocab.keys("frequency")],
            "disclosures": [_term("disclosure", k) for k in vocab.keys("disclosure")],
            "licenses": list(vocab.LICENSES)}


def _next_code(session: Session, prefixes: list[str] | tuple[str, ...]) -> str | None:
    """The first free catalogue code after the highest in use under the publisher's first code."""
    if not prefixes:
        return None
    prefix = prefixes[0]
    used = session.scalars(select(Dataset.code).where(Dataset.code.like(f"{prefix}/%")))
    highest, width = 0, 5
    for code in used:
        found = _SEQUENCE.match(code)
        if found and found["prefix"] == prefix:
            highest, width = max(highest, int(found["n"])), max(width, len(found["n"]))
    return f"{prefix}/{highest + 1:0{width}d}"


def dataset_count(*, runtime: Runtime, viewer: Viewer) -> int:
    """How many datasets the viewer's organizations have."""
    with reading(runtime) as session:
        return session.scalar(select(func.count(Dataset.id))
                              .where(staff_organization_clause(viewer, Dataset.organization_id))) or 0
