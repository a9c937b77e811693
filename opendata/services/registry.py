"""Register and update datasets and Table Schemas through the API (publishers and administrators).

The metadata rules are those of catalog.yaml (:mod:`opendata.core.registration`); a publisher
acts for their organization and its sub-organizations; every write is audited with before and
after. The disclosure class and legal basis change only through a disclosure change
(:mod:`opendata.services.disclosure`: loosening waits for review), never as a side effect of an update.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.cataloguerules import publisher_codes
from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.core.registration import check_dataset_entry
from opendata.core.tableschema import load_table_schema
from opendata.services.access import PermissionDeniedError, Viewer
from opendata.services.audit import audit_record
from opendata.services.catalog_sync import schema_sha256
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import unit_of_work
from opendata.store.models import ChangeRecord, Dataset, Organization, TableSchemaRecord, utcnow

log = logging.getLogger(__name__)
SCHEMA_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,199}$")
# Properties an update may not change: identity, and disclosure (its own audited action).
FIXED_ON_UPDATE = ("id",)
DISCLOSURE_KEYS = ("disclosure", "legal_basis")


def _invalid(path: str, message: str, code: str = "validation-error") -> ValidationError:
    return ValidationError(f"invalid {path}: {message}", problems=[Problem(code, message, path=path)])


def dataset_entry(ds: Dataset) -> dict[str, Any]:
    """A dataset's metadata in the catalog.yaml / API vocabulary."""
    entry: dict[str, Any] = {
        "id": ds.identifier, "code": ds.code, "title": ds.title, "title_en": ds.title_en,
        "description": ds.description, "description_en": ds.description_en, "publisher": ds.organization.slug,
        "theme": ds.theme,
        "keywords": list(ds.keywords or []), "license": ds.license, "disclosure": ds.disclosure,
        "legal_basis": ds.legal_basis, "frequency": ds.frequency, "spatial": ds.spatial,
        "contact": dict(ds.contact or {}), "schema": ds.table_schema.name, "sheet": ds.source_sheet,
    }
    if ds.temporal_start or ds.temporal_end:
        entry["temporal"] = {k: v.isoformat() for k, v in (("start", ds.temporal_start),
                                                          ("end", ds.temporal_end)) if v}
    return {k: v for k, v in entry.items() if v is not None}


def _check(session: Session, entry: dict[str, Any]):
    orgs = {slug: publisher_codes(credit_code=credit, division_code=division) for slug, credit, division in
            session.execute(select(Organization.slug, Organization.credit_code, Organization.division_code))}
    schemas = {}
    name = entry.get("schema")
    if isinstance(name, str):
        rec = session.scalar(select(TableSchemaRecord).where(TableSchemaRecord.name == name))
        if rec is not None:
            schemas[name] = load_table_schema(rec.descriptor, name=name)
    return check_dataset_entry(entry, organizations=orgs, schemas=schemas)


def _require_publisher(session: Session, actor: Viewer, slug: str) -> Organization:
    org = session.scalar(select(Organization).where(Organization.slug == slug))
    if org is None:
        raise _invalid("publisher", f"publisher '{slug}' is not an organization id")
    actor.require_scope("publish")
    if not actor.can_publish_for(org.id):
        raise PermissionDeniedError(f"you may not publish for organization '{slug}'")
    return org


def _unique(session: Session, ds_id: int | None, *, identifier: str, code: str) -> None:
    for column, value, path in ((Dataset.identifier, identifier, "id"), (Dataset.code, code, "code")):
        other = session.scalar(select(Dataset.id).where(column == value))
        if other is not None and other != ds_id:
            raise _invalid(path, f"'{value}' is already used by another dataset", "duplicate")


def _values(session: Session, spec) -> dict[str, Any]:
    schema_id = session.scalar(select(TableSchemaRecord.id).where(TableSchemaRecord.name == spec.schema_name))
    org_id = session.scalar(select(Organization.id).where(Organization.slug == spec.publisher))
    return {"code": spec.code, "title": spec.title, "title_en": spec.title_en, "description": spec.description,
            "description_en": spec.description_en,
            "organization_id": org_id, "theme": spec.theme, "keywords": list(spec.keywords),
            "license": spec.license, "disclosure": spec.disclosure, "legal_basis": spec.legal_basis,
            "frequency": spec.frequency, "temporal_start": spec.temporal_start, "temporal_end": spec.temporal_end,
            "spatial": spec.spatial, "contact": dict(spec.contact), "schema_id": schema_id,
            "source_sheet": spec.sheet}


def dataset_register(*, session: Session, actor: Viewer, entry: dict[str, Any]) -> Dataset:
    """Create a dataset from catalogue metadata (publishers: own organization and sub-organizations)."""
    actor.require_scope("publish")
    if isinstance(entry.get("publisher"), str):
        _require_publisher(session, actor, entry["publisher"])
    spec = _check(session, entry)
    _require_publisher(session, actor, spec.publisher)
    _unique(session, None, identifier=spec.identifier, code=spec.code)
    ds = Dataset(identifier=spec.identifier, origin="api", state=lifecycle.DATASET_ACTIVE, **_values(session, spec))
    session.add(ds)
    session.flush()
    session.add(ChangeRecord(dataset_id=ds.id, action="dataset-created"))
    audit_record(session=session, actor=actor, action="dataset-registered", target_type="dataset",
                 target_id=ds.identifier, after=dataset_entry(ds))
    return ds


def get_dataset_for_write(session: Session, actor: Viewer, identifier: str) -> Dataset:
    """The dataset, if the actor may publish for its organization (403 otherwise, 404 if absent)."""
    actor.require_scope("publish")
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier))
    if ds is None or (ds.state != lifecycle.DATASET_ACTIVE and not actor.is_admin):
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    if not actor.can_publish_for(ds.organization_id):
        raise PermissionDeniedError(f"you may not publish for the organization of dataset '{identifier}'")
    return ds


def dataset_update(*, session: Session, actor: Viewer, identifier: str, changes: dict[str, Any]) -> Dataset:
    """Change catalogue metadata (not the identifier, not the disclosure class)."""
    ds = get_dataset_for_write(session, actor, identifier)
    before = dataset_entry(ds)
    for key in FIXED_ON_UPDATE:
        if key in changes and changes[key] != before.get(key):
            raise _invalid(key, "a dataset's identifier cannot change")
    for key in DISCLOSURE_KEYS:
        if key in changes and changes[key] != before.get(key):
            raise _invalid(key, f"'{key}' changes only through a disclosure change: POST "
                                f"/api/v1/datasets/{identifier}/disclosure (loosening waits for review)")
    merged = {**before, **{k: v for k, v in changes.items() if k != "id"}}
    merged = {k: v for k, v in merged.items() if v is not None}
    if merged.get("publisher") != before["publisher"]:
        _require_publisher(session, actor, str(merged.get("publisher")))
    spec = _check(session, merged)
    _unique(session, ds.id, identifier=ds.identifier, code=spec.code)
    changed = []
    for key, value in _values(session, spec).items():
        if getattr(ds, key) != value:
            setattr(ds, key, value)
            changed.append(key)
    if changed:
        ds.modified_at = utcnow()
        session.add(ChangeRecord(dataset_id=ds.id, action="dataset-updated"))
        session.flush()
        after = dataset_entry(ds)
        audit_record(session=session, actor=actor, action="dataset-updated", target_type="dataset",
                     target_id=ds.identifier, before={k: before.get(k) for k in after if before.get(k) != after[k]},
                     after={k: v for k, v in after.items() if before.get(k) != v})
    return ds


def schema_register(*, session: Session, actor: Viewer, name: str, descriptor: Any) -> TableSchemaRecord:
    """Register a Table Schema under a new name; SchemaError (422) names the wrong property."""
    actor.require_scope("publish")
    if not (actor.is_admin or actor.publish_organization_ids):
        raise PermissionDeniedError("registering schemas is for publishers and administrators")
    if not isinstance(name, str) or not SCHEMA_NAME.match(name):
        raise _invalid("name", "use lowercase letters, digits, '.', '_' and '-' (e.g. budget.json)")
    if not isinstance(descriptor, dict):
        raise _invalid("descriptor", "a Table Schema is a JSON object with 'fields'")
    schema = load_table_schema(descriptor, name=name, incoming=True)
    if session.scalar(select(TableSchemaRecord.id).where(TableSchemaRecord.name == name)) is not None:
        raise _invalid("name", f"a schema named '{name}' is already registered", "duplicate")
    clean = schema.to_dict()
    rec = TableSchemaRecord(name=name, descriptor=clean, sha256=schema_sha256(clean))
    session.add(rec)
    session.flush()
    audit_record(session=session, actor=actor, action="schema-registered", target_type="table_schema",
                 target_id=name, after={"sha256": rec.sha256, "fields": [f["name"] for f in clean["fields"]]})
    return rec


def after_dataset_change(*, runtime: Runtime, dataset_id: int) -> None:
    """Bring the search index and bulk archives up to date (after commit; failures only logged)."""
    from opendata.services.search import reindex_search
    from opendata.services.standards.bulk import rebuild_bulk_soon

    try:
        reindex_search(runtime=runtime, dataset_ids=[dataset_id])
        rebuild_bulk_soon(runtime=runtime)
    except Exception:
        log.exception("could not refresh derived data after a change to dataset %s", dataset_id)


# -- the use cases as the HTTP layer calls them: each owns its transaction, then refreshes derived data --
def register_dataset(*, runtime: Runtime, actor: Viewer, entry: dict[str, Any]) -> dict[str, Any]:
    """Register a dataset; returns its catalogue entry."""
    return write_then_refresh(runtime, dataset_register, actor=actor, entry=entry)


def update_dataset(*, runtime: Runtime, actor: Viewer, identifier: str, changes: dict[str, Any]) -> dict[str, Any]:
    """Change a dataset's catalogue metadata; returns its entry."""
    return write_then_refresh(runtime, dataset_update, actor=actor, identifier=identifier, changes=changes)


def register_schema(*, runtime: Runtime, actor: Viewer, name: str, descriptor: Any) -> dict[str, Any]:
    """Register a Table Schema; returns its name, digest and descriptor."""
    with unit_of_work(runtime) as session:
        rec = schema_register(session=session, actor=actor, name=name, descriptor=descriptor)
        return {"name": rec.name, "sha256": rec.sha256, "descriptor": rec.descriptor}


def write_then_refresh(runtime: Runtime, write, **kwargs: Any) -> dict[str, Any]:
    """Run a dataset write in its own transaction, then bring search and bulk archives up to date."""
    with unit_of_work(runtime) as session:
        ds = write(session=session, **kwargs)
        out, dataset_pk = dataset_entry(ds), ds.id
    after_dataset_change(runtime=runtime, dataset_id=dataset_pk)
    return out
