"""Catalogue sync: write a checked catalog.yaml to the database in one transaction, every change audited.

Each change a sync makes to schemas, organizations and datasets (created, updated, code changed,
withdrawn from the catalogue, restored, disclosure class changed) is an audit entry whose source
is the catalogue file's sha256 (``catalog.yaml@sha256:<hex>``), so the file that made it can be
found again. A disclosure class that loosens access is not written: it becomes a pending change
(:mod:`opendata.services.disclosure`) that the review steps must approve, and the sync reports the
dataset as held for review; a tightening is written at once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import disclosure as rules
from opendata.core import lifecycle
from opendata.core.catalog_file import CatalogSpec, DatasetSpec, OrganizationSpec
from opendata.services.access import Viewer, system_viewer
from opendata.services.audit import audit_record
from opendata.services.disclosure import (
    after_disclosure_applied,
    open_disclosure_change,
    pending_change,
    rejected_change,
)
from opendata.services.published.entries import contact_warnings
from opendata.services.runtime import Runtime
from opendata.store.models import (
    CatalogInfoRecord,
    ChangeRecord,
    Dataset,
    Organization,
    TableSchemaRecord,
    utcnow,
)

CATALOG_ACTOR = "catalog.yaml (administrator)"


@dataclass
class SyncResult:
    """What a sync changed; ``changes`` is empty when the database already matched.

    ``held`` names the datasets whose disclosure class catalog.yaml loosens: they keep their class
    until the pending change passes review. ``applied_disclosure`` are the ids of datasets whose
    class changed at once (tightened), for the after-commit refresh.
    """

    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    applied_disclosure: list[int] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class _Context:
    session: Session
    actor: Viewer
    source: str
    result: SyncResult

    def audit(self, action: str, target_type: str, target_id: str, before: dict[str, Any] | None = None,
              after: dict[str, Any] | None = None) -> None:
        audit_record(session=self.session, actor=self.actor, action=action, target_type=target_type,
                     target_id=target_id, before=before, after=after, source=self.source)


def schema_sha256(descriptor: dict[str, Any]) -> str:
    """A stable digest of a schema descriptor (key order does not matter)."""
    canonical = json.dumps(descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sync_catalog(*, session: Session, spec: CatalogSpec, actor: Viewer | None = None) -> SyncResult:
    """Create and update organizations, schemas and datasets; withdraw datasets no longer listed.

    ``actor`` is who runs the sync (the command line's operator; default: the catalogue itself as
    administrator). The caller owns the transaction: nothing is committed here, so a failure writes
    nothing; after commit, call :func:`after_sync` for the datasets whose class changed at once.
    """
    # data.json (DCAT-US) needs a contact email; sync still succeeds without one
    result = SyncResult(warnings=[str(w) for w in spec.warnings] + contact_warnings(spec))
    ctx = _Context(session, actor or system_viewer(CATALOG_ACTOR), spec.source, result)
    schema_ids = _sync_schemas(ctx, spec)
    org_ids = _sync_organizations(ctx, spec.organizations)
    _sync_datasets(ctx, spec, org_ids, schema_ids)
    _sync_catalog_info(ctx, spec.info)
    session.flush()
    return result


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


def _sync_schemas(ctx: _Context, spec: CatalogSpec) -> dict[str, int]:
    session, result = ctx.session, ctx.result
    existing = {r.name: r for r in session.scalars(select(TableSchemaRecord))}
    ids = {}
    for name, schema in sorted(spec.schemas.items()):
        descriptor = schema.to_dict()
        digest = schema_sha256(descriptor)
        rec = existing.get(name)
        if rec is None:
            rec = TableSchemaRecord(name=name, descriptor=descriptor, sha256=digest)
            session.add(rec)
            session.flush()
            result.changes.append(f"created schema {name}")
            ctx.audit("schema-registered", "table_schema", name, after={"sha256": digest})
        elif rec.sha256 != digest:
            ctx.audit("schema-updated", "table_schema", name, before={"sha256": rec.sha256}, after={"sha256": digest})
            rec.descriptor, rec.sha256, rec.modified_at = descriptor, digest, utcnow()
            result.changes.append(f"updated schema {name}")
        ids[name] = rec.id
    return ids


def _org_values(o: OrganizationSpec) -> dict[str, Any]:
    return {"name": o.name, "name_en": o.name_en, "credit_code": o.credit_code, "level": o.level,
            "division_code": o.division_code, "contact": dict(o.contact)}


def _org_snapshot(rec: Organization, slugs: dict[int, str]) -> dict[str, Any]:
    return {**{k: getattr(rec, k) for k in ("name", "name_en", "credit_code", "level", "division_code")},
            "contact": dict(rec.contact or {}), "parent": slugs.get(rec.parent_id) if rec.parent_id else None}


def _sync_organizations(ctx: _Context, orgs: list[OrganizationSpec]) -> dict[str, int]:
    session, result = ctx.session, ctx.result
    existing = {o.slug: o for o in session.scalars(select(Organization))}
    slugs = {rec.id: slug for slug, rec in existing.items()}
    before = {slug: _org_snapshot(rec, slugs) for slug, rec in existing.items()}
    created: set[str] = set()
    for o in orgs:
        rec = existing.get(o.slug)
        if rec is None:
            rec = Organization(slug=o.slug, origin="catalog", **_org_values(o))
            session.add(rec)
            existing[o.slug] = rec
            created.add(o.slug)
            result.changes.append(f"created organization {o.slug} ({o.name})")
        else:
            _apply(rec, _org_values(o))
    session.flush()
    slugs = {rec.id: slug for slug, rec in existing.items()}
    for o in orgs:
        rec = existing[o.slug]
        rec.parent_id = existing[o.parent].id if o.parent else None
        after = _org_snapshot(rec, slugs)
        if o.slug in created:
            ctx.audit("organization-created", "organization", o.slug, after=after)
            continue
        fields = [k for k in after if after[k] != before[o.slug][k]]
        if fields:
            rec.modified_at = utcnow()
            result.changes.append(f"updated organization {o.slug}: {', '.join(fields)}")
            ctx.audit("organization-updated", "organization", o.slug, before={k: before[o.slug][k] for k in fields},
                      after={k: after[k] for k in fields})
    listed = {o.slug for o in orgs}
    for slug, rec in existing.items():
        if slug not in listed and rec.origin == "catalog":
            result.warnings.append(f"organization {slug} is no longer in the catalogue; kept (it may own datasets)")
    return {slug: rec.id for slug, rec in existing.items()}


def _dataset_values(d: DatasetSpec, org_ids: dict[str, int], schema_ids: dict[str, int]) -> dict[str, Any]:
    """Everything but the disclosure class and legal basis, which change only through a disclosure change."""
    return {
        "code": d.code, "title": d.title, "title_en": d.title_en, "description": d.description,
        "description_en": d.description_en,
        "organization_id": org_ids[d.publisher], "theme": d.theme, "keywords": list(d.keywords),
        "license": d.license, "frequency": d.frequency, "temporal_start": d.temporal_start,
        "temporal_end": d.temporal_end, "spatial": d.spatial, "contact": dict(d.contact),
        "schema_id": schema_ids[d.schema_name], "source": d.source, "source_sheet": d.sheet,
        "state": lifecycle.DATASET_ACTIVE,
    }


# Audit entries speak catalog.yaml's vocabulary: the publisher's and schema's names, not row ids.
_AUDIT_KEYS = {"organization_id": "publisher", "schema_id": "schema", "source_sheet": "sheet"}


def _audit_values(values: dict[str, Any], keys: list[str] | None, names: dict[str, dict[int, str]]) -> dict[str, Any]:
    out = {}
    for key in keys if keys is not None else list(values):
        value = values[key]
        if key in names:
            value = names[key].get(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat()
        out[_AUDIT_KEYS.get(key, key)] = value
    return out


def _sync_datasets(ctx: _Context, spec: CatalogSpec, org_ids: dict[str, int], schema_ids: dict[str, int]) -> None:
    session, result = ctx.session, ctx.result
    names = {"organization_id": {v: k for k, v in org_ids.items()}, "schema_id": {v: k for k, v in schema_ids.items()}}
    existing = {d.identifier: d for d in session.scalars(select(Dataset))}
    for d in spec.datasets:
        values = _dataset_values(d, org_ids, schema_ids)
        rec = existing.get(d.identifier)
        if rec is None:  # a new entry has no data yet: its class is simply its first one
            rec = Dataset(identifier=d.identifier, origin="catalog", disclosure=d.disclosure,
                          legal_basis=d.legal_basis, **values)
            session.add(rec)
            session.flush()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-created"))
            result.changes.append(f"created dataset {d.identifier} ({d.title})")
            ctx.audit("dataset-registered", "dataset", d.identifier, after={
                **_audit_values(values, None, names), "disclosure": d.disclosure, "legal_basis": d.legal_basis})
            continue
        was_withdrawn = rec.state == lifecycle.DATASET_WITHDRAWN
        old = {k: getattr(rec, k) for k in values}
        fields = _apply(rec, values)
        if fields:
            rec.modified_at = utcnow()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-updated"))
            _record_dataset_update(ctx, d.identifier, fields, old, values, names, was_withdrawn)
        _sync_disclosure(ctx, spec, rec, d)
    listed = {d.identifier for d in spec.datasets}
    for ident, rec in sorted(existing.items()):
        if ident not in listed and rec.origin == "catalog" and rec.state != lifecycle.DATASET_WITHDRAWN:
            rec.state = lifecycle.DATASET_WITHDRAWN
            rec.modified_at = utcnow()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-withdrawn"))
            result.changes.append(f"withdrew dataset {ident} (no longer in the catalogue)")
            result.warnings.append(
                f"dataset {ident} was removed from the catalogue: withdrawn, its {len(rec.versions)} version(s) kept")
            ctx.audit("dataset-withdrawn", "dataset", ident, before={"state": lifecycle.DATASET_ACTIVE},
                      after={"state": lifecycle.DATASET_WITHDRAWN})


def _record_dataset_update(ctx: _Context, ident: str, fields: list[str], old: dict[str, Any],
                           new: dict[str, Any], names: dict[str, dict[int, str]], was_withdrawn: bool) -> None:
    """One line and one audit entry per kind of change: restored, code changed, other fields updated."""
    result = ctx.result
    if was_withdrawn:
        result.changes.append(f"restored dataset {ident} (listed again)")
        ctx.audit("dataset-restored", "dataset", ident, before={"state": lifecycle.DATASET_WITHDRAWN},
                  after={"state": lifecycle.DATASET_ACTIVE})
    if "code" in fields:  # the catalogue code identifies the entry in the national catalogue: its own entry
        result.changes.append(f"changed the code of dataset {ident}: {old['code']} → {new['code']}")
        ctx.audit("dataset-code-changed", "dataset", ident, before={"code": old["code"]}, after={"code": new["code"]})
    other = [f for f in fields if f not in ("state", "code")]
    if other:
        result.changes.append(f"updated dataset {ident}: {', '.join(other)}")
        ctx.audit("dataset-updated", "dataset", ident, before=_audit_values(old, other, names),
                  after=_audit_values(new, other, names))


def _sync_disclosure(ctx: _Context, spec: CatalogSpec, rec: Dataset, d: DatasetSpec) -> None:
    """The entry's class: tightened at once, loosened only through review (held), never silently."""
    result, ident = ctx.result, d.identifier
    wanted = (d.disclosure, d.legal_basis)
    pending = pending_change(ctx.session, rec.id)
    if wanted == (rec.disclosure, rec.legal_basis) and (pending is None or not pending.source.startswith(
            f"{spec.file_name}@")):
        if pending is not None:  # asked for through the API or the command line: the catalogue does not object
            result.warnings.append(
                f"dataset {ident} has a pending disclosure change {pending.id} to {pending.to_disclosure} "
                f"(from {pending.source}) that {spec.file_name} does not make: once approved, the next sync "
                f"sets the class of {spec.file_name} again; change the file too")
        return
    rejected = rejected_change(ctx.session, rec, *wanted)
    if rejected is not None:
        result.warnings.append(
            f"dataset {ident}: the disclosure change to {d.disclosure} was rejected (change {rejected.id}: "
            f"{rejected.decision_note}); it stays {rec.disclosure}. Restore the class in {spec.file_name}, or ask "
            f"again with `opendata disclosure request`")
        return
    before = rec.disclosure
    change = open_disclosure_change(
        session=ctx.session, actor=ctx.actor, dataset=rec, disclosure=d.disclosure, legal_basis=d.legal_basis,
        reason=f"{spec.file_name} (sha256 {spec.sha256}) gives this class", source=ctx.source)
    if change is None:
        return
    if change.state == rules.PENDING:
        result.held.append(f"held for review: dataset {ident} stays {before}; its change to {change.to_disclosure} "
                           f"(disclosure change {change.id}) waits for the review steps "
                           f"(opendata disclosure show {change.id})")
    elif change.state == rules.APPLIED:
        result.applied_disclosure.append(rec.id)
        what = "disclosure" if change.from_disclosure != change.to_disclosure else "legal_basis"
        result.changes.append(f"updated dataset {ident}: {what} ({change.from_disclosure} → {change.to_disclosure}"
                              ", in force at once)")
    else:  # superseded: the file went back to the class in force
        result.changes.append(f"withdrew the pending disclosure change {change.id} of dataset {ident} "
                              f"({spec.file_name} keeps it {rec.disclosure})")


def after_sync(*, runtime: Runtime, result: SyncResult) -> None:
    """After commit: refresh derived data of the datasets whose class changed at once."""
    for dataset_id in result.applied_disclosure:
        after_disclosure_applied(runtime=runtime, dataset_id=dataset_id)


def _sync_catalog_info(ctx: _Context, info: dict[str, Any]) -> None:
    """Store the ``catalog:`` block, so the exports and pages read it from the database, not from a file."""
    values = {key: str(info[key]) if info.get(key) else None
              for key in ("title", "title_en", "description", "description_en", "publisher", "homepage", "language")}
    rec = ctx.session.get(CatalogInfoRecord, 1)
    if rec is None:  # the first sync (or the first since this table exists): the initial state, not a change
        ctx.session.add(CatalogInfoRecord(id=1, **values))
        return
    old = {key: getattr(rec, key) for key in values}
    fields = _apply(rec, values)
    if fields:
        ctx.result.changes.append("updated the catalogue's metadata")
        ctx.audit("catalog-info-updated", "catalog", "catalog", before={k: old[k] for k in fields},
                  after={k: values[k] for k in fields})
