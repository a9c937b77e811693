"""Access grants: a requester (a user or an organization) may receive a conditional dataset's data
for a stated purpose until the grant expires or is revoked. Administrators grant and revoke.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.core.requests.vocab import GRANTING_OUTCOMES
from opendata.core.textcheck import require_text
from opendata.services.access import Viewer, staff_organization_clause
from opendata.services.accounts import user_get
from opendata.services.audit import audit_record
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.accounts import AccessGrant
from opendata.store.models import Dataset, Organization, utcnow
from opendata.store.requests import DisclosureRequest

MAX_LISTED = 500  # grants shown on the console's page, newest first


def grant_snapshot(grant: AccessGrant) -> dict:
    """A grant as audit and API data."""
    return {"id": grant.id, "dataset": grant.dataset.identifier,
            "user": grant.user.username if grant.user else None,
            "organization": grant.organization.slug if grant.organization else None,
            "purpose": grant.purpose, "granted_by": grant.granted_by, "created_at": grant.created_at,
            "expires_at": grant.expires_at, "revoked_at": grant.revoked_at, "revoked_by": grant.revoked_by,
            "withheld_columns": grant.withheld_columns}


def grant_is_active(grant: AccessGrant, now: datetime | None = None) -> bool:
    """True while the grant is neither revoked nor expired."""
    return grant.revoked_at is None and grant.expires_at > (now or utcnow())


def grant_create(*, session: Session, actor: Viewer, dataset: str, purpose: str, expires_at: datetime,
                 username: str | None = None, organization: str | None = None,
                 now: datetime | None = None) -> AccessGrant:
    """Grant a user or an organization access to a conditional dataset's data (administrators only)."""
    actor.require_admin()
    now = now or utcnow()
    ds = _dataset(session, dataset)
    if ds.disclosure != "conditional":
        raise ConflictError(f"dataset {dataset!r} is {ds.disclosure}; grants are for conditional datasets")
    if (username is None) == (organization is None):
        raise ValidationError("grant to exactly one of a user or an organization")
    if not (purpose or "").strip():
        raise ValidationError("a grant states its purpose")
    require_text(purpose, "purpose", multiline=True)
    if expires_at.tzinfo is None or expires_at <= now:
        raise ValidationError("a grant expires at a time in the future (with a time zone)")
    grant = AccessGrant(dataset=ds, purpose=purpose.strip(), expires_at=expires_at, granted_by=actor.user or "?",
                        created_at=now)
    if username is not None:
        grant.user = user_get(session=session, username=username)
    else:
        grant.organization = _organization(session, organization)
    session.add(grant)
    session.flush()
    audit_record(session=session, actor=actor, action="grant-created", target_type="access_grant",
                 target_id=grant.id, after=grant_snapshot(grant))
    return grant


def grant_for_application(*, session: Session, actor: Viewer, request_id: int, expires_at: datetime,
                          now: datetime | None = None, withheld: list[str] | None = None) -> AccessGrant:
    """The grant of a decided data-access application, to the applicant's account, for the period asked.

    ``withheld``: the columns a partial decision (部分公开) withholds; the grant reaches the others
    through row queries only (opendata.core.rowquery.withhold).

    Called by the request decision in its transaction. The application itself is the authority:
    it must be a data-access application for a conditional dataset, submitted by a signed-in user,
    closed as disclosed or partly disclosed, and decided by the caller (staff of the receiving
    organisation, or an administrator), with no grant yet.
    """
    now = now or utcnow()
    application = session.get(DisclosureRequest, request_id)
    if application is None or application.kind != "data-access" or application.dataset is None:
        raise NotFoundError(f"no data-access application {request_id}")
    if application.outcome not in GRANTING_OUTCOMES or application.grant_id is not None:
        raise ConflictError("only a disclosed or partly disclosed application without a grant receives one")
    if application.user_id is None:
        raise ConflictError("the application was not made by a signed-in user; nobody can receive the grant")
    if application.dataset.disclosure != "conditional":
        raise ConflictError(f"dataset {application.dataset.identifier!r} is {application.dataset.disclosure}; "
                            "grants are for conditional datasets")
    if expires_at.tzinfo is None or expires_at <= now:
        raise ValidationError("a grant expires at a time in the future (with a time zone)")
    grant = AccessGrant(dataset=application.dataset, user_id=application.user_id, created_at=now,
                        purpose=f"{application.purpose} (application {application.code})", expires_at=expires_at,
                        granted_by=actor.user or "?", withheld_columns=list(withheld) if withheld else None)
    session.add(grant)
    session.flush()
    application.grant_id = grant.id
    audit_record(session=session, actor=actor, action="grant-created", target_type="access_grant",
                 target_id=grant.id, after={**grant_snapshot(grant), "application": application.code})
    return grant


def grant_revoke(*, session: Session, actor: Viewer, grant_id: int, dataset: str | None = None,
                 now: datetime | None = None) -> AccessGrant:
    """Revoke a grant at once (administrators only); revoking twice changes nothing."""
    actor.require_admin()
    grant = session.get(AccessGrant, grant_id)
    if grant is None or (dataset is not None and grant.dataset.identifier != dataset):
        raise NotFoundError(f"no grant {grant_id}" + (f" on dataset {dataset!r}" if dataset else ""))
    if grant.revoked_at is None:
        before = grant_snapshot(grant)
        grant.revoked_at = now or utcnow()
        grant.revoked_by = actor.user
        audit_record(session=session, actor=actor, action="grant-revoked", target_type="access_grant",
                     target_id=grant.id, before=before, after=grant_snapshot(grant))
    return grant


def grant_list(*, session: Session, actor: Viewer, dataset: str | None = None,
               active_only: bool = False, now: datetime | None = None) -> list[AccessGrant]:
    """Grants, optionally of one dataset and only the active ones (administrators only)."""
    actor.require_admin()
    now = now or utcnow()
    query = select(AccessGrant).order_by(AccessGrant.id)
    if dataset is not None:
        query = query.where(AccessGrant.dataset_id == _dataset(session, dataset).id)
    if active_only:
        query = query.where(AccessGrant.revoked_at.is_(None), AccessGrant.expires_at > now)
    return list(session.scalars(query))


def _dataset(session: Session, identifier: str) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier))
    if ds is None:
        raise NotFoundError(f"no dataset {identifier!r}")
    return ds


def _organization(session: Session, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise NotFoundError(f"no organization {slug!r}")
    return org


def grants_of_staff(*, runtime: Runtime, viewer: Viewer, now: datetime | None = None) -> list[dict]:
    """The grants on datasets of the organizations the viewer is staff of (administrators: every grant),
    newest first, as plain data (read-only: granting and revoking stay with administrators)."""
    now = now or utcnow()
    with reading(runtime) as session:
        query = (select(AccessGrant).join(Dataset, Dataset.id == AccessGrant.dataset_id)
                 .where(staff_organization_clause(viewer, Dataset.organization_id))
                 .order_by(AccessGrant.id.desc()).limit(MAX_LISTED))
        return [{**grant_snapshot(g), "active": grant_is_active(g, now)} for g in session.scalars(query)]
