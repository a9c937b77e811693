"""Catalogue sync: write a checked catalog.yaml to the database in one transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.catalog_file import CatalogSpec, DatasetSpec, OrganizationSpec
from opendata.services.published.entries import contact_warnings
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
    """What a sync changed; ``changes`` is empty when the database already matched."""

    changes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def schema_sha256(descriptor: dict[str, Any]) -> str:
    """A stable digest of a schema descriptor (key order does not matter)."""
    canonical = json.dumps(descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def sync_catalog(*, session: Session, spec: CatalogSpec) -> SyncResult:
    """Create and update organizations, schemas and datasets; withdraw datasets no longer listed.

    The caller owns the transaction: nothing is committed here, so a failure writes nothing.
    """
    # data.json (DCAT-US) needs a contact email; sync still succeeds without one
    result = SyncResult(warnings=[str(w) for w in spec.warnings] + contact_warnings(spec))
    schema_ids = _sync_schemas(session, spec, result)
    org_ids = _sync_organizations(session, spec.organizations, result)
    _sync_datasets(session, spec.datasets, org_ids, schema_ids, result)
    _sync_catalog_info(session, spec.info, result)
    session.flush()
    return result


def _apply(obj: Any, values: dict[str, Any]) -> list[str]:
    changed = []
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed.append(key)
    return changed


def _sync_schemas(session: Session, spec: CatalogSpec, result: SyncResult) -> dict[str, int]:
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
        elif rec.sha256 != digest:
            rec.descriptor, rec.sha256, rec.modified_at = descriptor, digest, utcnow()
            result.changes.append(f"updated schema {name}")
        ids[name] = rec.id
    return ids


def _org_values(o: OrganizationSpec) -> dict[str, Any]:
    return {"name": o.name, "name_en": o.name_en, "credit_code": o.credit_code, "level": o.level,
            "division_code": o.division_code, "contact": dict(o.contact)}


def _sync_organizations(session: Session, orgs: list[OrganizationSpec], result: SyncResult) -> dict[str, int]:
    existing = {o.slug: o for o in session.scalars(select(Organization))}
    changed: dict[str, list[str]] = {}
    for o in orgs:
        rec = existing.get(o.slug)
        if rec is None:
            rec = Organization(slug=o.slug, origin="catalog", **_org_values(o))
            session.add(rec)
            existing[o.slug] = rec
            result.changes.append(f"created organization {o.slug} ({o.name})")
        else:
            fields = _apply(rec, _org_values(o))
            if fields:
                changed[o.slug] = fields
    session.flush()
    for o in orgs:
        rec = existing[o.slug]
        parent_id = existing[o.parent].id if o.parent else None
        if rec.parent_id != parent_id:
            rec.parent_id = parent_id
            if not any(c.startswith(f"created organization {o.slug} ") for c in result.changes):
                changed.setdefault(o.slug, []).append("parent")
    for slug, fields in changed.items():
        existing[slug].modified_at = utcnow()
        result.changes.append(f"updated organization {slug}: {', '.join(fields)}")
    listed = {o.slug for o in orgs}
    for slug, rec in existing.items():
        if slug not in listed and rec.origin == "catalog":
            result.warnings.append(f"organization {slug} is no longer in the catalogue; kept (it may own datasets)")
    return {slug: rec.id for slug, rec in existing.items()}


def _dataset_values(d: DatasetSpec, org_ids: dict[str, int], schema_ids: dict[str, int]) -> dict[str, Any]:
    return {
        "code": d.code, "title": d.title, "title_en": d.title_en, "description": d.description,
        "description_en": d.description_en,
        "organization_id": org_ids[d.publisher], "theme": d.theme, "keywords": list(d.keywords),
        "license": d.license, "disclosure": d.disclosure, "legal_basis": d.legal_basis,
        "frequency": d.frequency, "temporal_start": d.temporal_start, "temporal_end": d.temporal_end,
        "spatial": d.spatial, "contact": dict(d.contact), "schema_id": schema_ids[d.schema_name],
        "source": d.source, "source_sheet": d.sheet, "state": lifecycle.DATASET_ACTIVE,
    }


def _sync_datasets(session: Session, datasets: list[DatasetSpec], org_ids: dict[str, int],
                   schema_ids: dict[str, int], result: SyncResult) -> None:
    existing = {d.identifier: d for d in session.scalars(select(Dataset))}
    for d in datasets:
        values = _dataset_values(d, org_ids, schema_ids)
        rec = existing.get(d.identifier)
        if rec is None:
            rec = Dataset(identifier=d.identifier, origin="catalog", **values)
            session.add(rec)
            session.flush()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-created"))
            result.changes.append(f"created dataset {d.identifier} ({d.title})")
            continue
        was_withdrawn = rec.state == lifecycle.DATASET_WITHDRAWN
        fields = _apply(rec, values)
        if fields:
            rec.modified_at = utcnow()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-updated"))
            if was_withdrawn:
                result.changes.append(f"restored dataset {d.identifier} (listed again)")
                fields = [f for f in fields if f != "state"]
            if fields:
                result.changes.append(f"updated dataset {d.identifier}: {', '.join(fields)}")
    listed = {d.identifier for d in datasets}
    for ident, rec in sorted(existing.items()):
        if ident not in listed and rec.origin == "catalog" and rec.state != lifecycle.DATASET_WITHDRAWN:
            rec.state = lifecycle.DATASET_WITHDRAWN
            rec.modified_at = utcnow()
            session.add(ChangeRecord(dataset_id=rec.id, action="dataset-withdrawn"))
            result.changes.append(f"withdrew dataset {ident} (no longer in the catalogue)")
            result.warnings.append(
                f"dataset {ident} was removed from the catalogue: withdrawn, its {len(rec.versions)} version(s) kept")



def _sync_catalog_info(session: Session, info: dict[str, Any], result: SyncResult) -> None:
    """Store the ``catalog:`` block, so the exports and pages read it from the database, not from a file."""
    values = {key: str(info[key]) if info.get(key) else None
              for key in ("title", "title_en", "description", "description_en", "publisher", "homepage", "language")}
    rec = session.get(CatalogInfoRecord, 1)
    if rec is None:  # the first sync (or the first since this table exists): the initial state, not a change
        session.add(CatalogInfoRecord(id=1, **values))
    elif _apply(rec, values):
        result.changes.append("updated the catalogue's metadata")
