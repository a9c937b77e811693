"""A dataset and its versions as /api/v1 and the portal show them, as plain dicts.

Every function takes the :class:`~opendata.services.access.Viewer` and asks the access rules:
a dataset or version the viewer may not see raises the same NotFoundError as a missing one, and
data facts (row counts, files, checksums, validation reports) appear only where the viewer may
receive the data itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from opendata.core import vocab
from opendata.core.errors import NotFoundError
from opendata.core.quality import assess
from opendata.core.report import public_report
from opendata.core.urls import SITE, Links
from opendata.services.access import (
    ANONYMOUS,
    Viewer,
    can_receive_data,
    can_see_dataset,
    can_see_version,
    latest_served_version,
)
from opendata.services.published.entries import contact_of, load_catalog_info, make_entry
from opendata.services.published.schema import dataset_table_schema
from opendata.services.quality import dataset_standing, quality_facts
from opendata.services.runtime import Runtime
from opendata.services.search import (
    dataset_summary,
)
from opendata.services.standards.datajson import schema_org_dataset
from opendata.services.timeliness.policy import TimelinessPolicy, timeliness_policy
from opendata.services.usage import usage_totals
from opendata.store.artifacts import ArtifactStore
from opendata.store.models import Artifact, Dataset, Version

DOWNLOAD_KINDS = tuple(k.key for k in vocab.ARTIFACT_KINDS if k.download_suffix)  # csv, csv-excel, parquet




# -- datasets and versions ------------------------------------------------------------------------
def _get_dataset(session: Session, identifier: str, viewer: Viewer) -> Dataset:
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier).options(
        selectinload(Dataset.organization), selectinload(Dataset.table_schema),
        selectinload(Dataset.versions).selectinload(Version.artifacts)))
    if ds is None or not can_see_dataset(viewer, ds):
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return ds


def _artifact_dict(a: Artifact, links: dict[str, str]) -> dict[str, Any]:
    return {"kind": a.kind, "media_type": a.media_type, "bytes": a.bytes, "sha256": a.sha256,
            "url": links.get(a.kind)}


def _version_links(links: Links, ds: Dataset, v: Version) -> dict[str, str]:
    return {**{k: links.download(ds.identifier, k, v.number) for k in DOWNLOAD_KINDS},
            "rows": links.rows(ds.identifier, v.number)}


def version_dict(ds: Dataset, v: Version, viewer: Viewer, links: Links, *, full: bool = False) -> dict[str, Any]:
    """A version as the viewer may see it; ``full`` adds the validation report and events."""
    out: dict[str, Any] = {"number": v.number, "state": v.state,
                           "published": v.published_at.isoformat() if v.published_at else None,
                           "created": v.created_at.isoformat(), "data_available": can_receive_data(viewer, v)}
    if out["data_available"]:
        version_links = _version_links(links, ds, v)
        out.update({"row_count": v.row_count, "source_format": v.source_format,
                    "source_encoding": v.source_encoding,
                    "files": [_artifact_dict(a, version_links) for a in v.artifacts if a.kind in vocab.PUBLIC_ARTIFACTS],
                    "links": {k: version_links[k] for k in ("csv", "parquet", "csv-excel", "rows")}})
        if full:
            out["report"] = public_report(v.report)
    return out


def _schema_dict(ds: Dataset, store: ArtifactStore) -> dict[str, Any]:
    """The published Table Schema (dropped fields left out, masked ones as strings)."""
    descriptor = dataset_table_schema(store, ds)
    fields = [{k: f[k] for k in ("name", "type", "format", "title", "description", "constraints", "example", "unit")
               if k in f} for f in descriptor.get("fields", [])]
    return {"name": ds.table_schema.name, "fields": fields, "primary_key": descriptor.get("primaryKey")}


def dataset_detail(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS, links: Links = SITE,
                   pending_usage: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """All metadata of a dataset with Chinese vocabulary names, schema, versions, files and usage."""
    with runtime.sessions() as session:
        return _detail(session, runtime.artifacts, _get_dataset(session, identifier, viewer), viewer, links,
                       pending_usage, timeliness_policy(runtime))


@dataclass(frozen=True)
class DatasetView:
    """What a dataset's page shows, read in one session: the detail, its catalogue dates, schema.org."""

    detail: dict[str, Any]
    issued: datetime
    modified: datetime
    jsonld: dict[str, Any] | None  # the public schema.org document; None when not in the public catalogue


def dataset_view(*, runtime: Runtime, identifier: str, viewer: Viewer, links: Links) -> DatasetView:
    """The dataset as its page shows it, from one load: the detail (site-relative links), the dates of its
    catalogue entry for the viewer, and the schema.org document anyone may fetch (absolute ``links``)."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        detail = _detail(session, runtime.artifacts, ds, viewer, SITE, (0, 0), timeliness_policy(runtime))
        entry = make_entry(viewer, ds, links)
        jsonld = None
        if can_see_dataset(ANONYMOUS, ds):
            publisher = load_catalog_info(runtime.config, session).publisher
            jsonld = schema_org_dataset(make_entry(ANONYMOUS, ds, links), links, publisher)
        return DatasetView(detail, entry.issued, entry.modified, jsonld)


def _detail(session: Session, store: ArtifactStore, ds: Dataset, viewer: Viewer, links: Links,
            pending_usage: tuple[int, int], policy: TimelinessPolicy) -> dict[str, Any]:
    out = dataset_summary(ds, viewer)
    law = vocab.DISCLOSURE_LAW_NAMES.get(ds.disclosure)
    out["disclosure"] = {**out["disclosure"], "law_name": law}
    out.update({
        "legal_basis": ds.legal_basis,
        "license": {"id": ds.license, "url": vocab.LICENSES.get(ds.license)},
        "temporal": {"start": ds.temporal_start.isoformat() if ds.temporal_start else None,
                     "end": ds.temporal_end.isoformat() if ds.temporal_end else None},
        "spatial": ds.spatial, "contact": contact_of(ds),
        "schema": _schema_dict(ds, store),
    })
    visible = sorted((v for v in ds.versions if can_see_version(viewer, v)), key=lambda v: -v.number)
    out["versions"] = [version_dict(ds, v, viewer, links) for v in visible]
    served = latest_served_version(viewer, ds)
    if served is not None:
        out["download"] = {"version": served.number, "row_count": served.row_count,
                           "csv": links.download(ds.identifier, "csv"),
                           "parquet": links.download(ds.identifier, "parquet"),
                           "csv_excel": links.download(ds.identifier, "csv-excel"),
                           "rows": links.rows(ds.identifier),
                           "files": version_dict(ds, served, viewer, links)["files"]}
    else:
        out["download"] = None
    usage = usage_totals(session, ds.id)
    usage["downloads"] += pending_usage[0]
    usage["api_calls"] += pending_usage[1]
    out["usage"] = usage
    today = policy.today()
    out["quality"] = assess(quality_facts(ds, policy, today))
    out["timeliness"] = dataset_standing(ds, policy, today)
    return out


def dataset_id(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS) -> int:
    """The database id of a visible dataset (NotFoundError otherwise)."""
    with runtime.sessions() as session:
        return _get_dataset(session, identifier, viewer).id


def list_versions(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS,
                  links: Links = SITE) -> list[dict[str, Any]]:
    """The versions of a dataset the viewer may see, newest first."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        return [version_dict(ds, v, viewer, links) for v in sorted(ds.versions, key=lambda v: -v.number)
                if can_see_version(viewer, v)]


def version_detail(*, runtime: Runtime, identifier: str, number: int, viewer: Viewer = ANONYMOUS,
                   links: Links = SITE) -> dict[str, Any]:
    """One visible version with its validation report (when the viewer may receive its data)."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        v = _visible_version(ds, number, viewer)
        return version_dict(ds, v, viewer, links, full=True)


def _visible_version(ds: Dataset, number: int, viewer: Viewer) -> Version:
    for v in ds.versions:
        if v.number == number and can_see_version(viewer, v):
            return v
    raise NotFoundError(f"dataset '{ds.identifier}' has no version {number}")


