"""Read-side use cases of the catalogue, returning plain dicts: organizations, datasets, versions.

Every function takes the :class:`~opendata.services.access.Viewer` and asks the access rules:
a dataset or version the viewer may not see raises the same NotFoundError as a missing one, and
data facts (row counts, files, checksums, validation reports) appear only where the viewer may
receive the data itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, null, select
from sqlalchemy.orm import Session, aliased, selectinload

from opendata.core import lifecycle, vocab
from opendata.core.errors import NotFoundError
from opendata.core.masking import published_schema
from opendata.core.report import public_report
from opendata.core.tableschema import load_table_schema
from opendata.services.access import (
    ANONYMOUS,
    Viewer,
    can_receive_data,
    can_see_dataset,
    can_see_version,
    data_served_clause,
    dataset_listed_clause,
    latest_served_version,
)
from opendata.services.published import contact_of
from opendata.services.runtime import Runtime
from opendata.services.search import (  # noqa: F401  (search_datasets is part of this module's API)
    dataset_summary,
    reindex_search,
    search_datasets,
    term,
)
from opendata.services.usage import usage_totals
from opendata.store.models import Artifact, Dataset, Organization, Version, VersionEvent

DOWNLOAD_KINDS = {"csv": "csv", "parquet": "parquet", "excel": "csv-excel"}
PUBLIC_ARTIFACTS = ("csv", "csv-excel", "parquet", "datapackage")


# -- organizations --------------------------------------------------------------------------------
def _org_counts(session: Session, viewer: Viewer) -> tuple[dict[int, int], dict[int, int]]:
    """Per organization: datasets the viewer may see, and those whose data the viewer may receive."""
    listed = dict(session.execute(select(Dataset.organization_id, func.count()).where(
        dataset_listed_clause(viewer)).group_by(Dataset.organization_id)).all())
    open_counts: dict[int, int] = {}
    for ds in session.scalars(select(Dataset).where(dataset_listed_clause(viewer)).options(
            selectinload(Dataset.versions))):
        if latest_served_version(viewer, ds) is not None:
            open_counts[ds.organization_id] = open_counts.get(ds.organization_id, 0) + 1
    return listed, open_counts


def _org_dict(o: Organization, listed: dict[int, int], open_counts: dict[int, int]) -> dict[str, Any]:
    level = vocab.lookup("level", o.level)
    return {"id": o.slug, "name": o.name, "name_en": o.name_en, "credit_code": o.credit_code,
            "level": {"key": o.level, "name": level.zh if level else o.level},
            "division_code": o.division_code, "parent": o.parent.slug if o.parent else None,
            "datasets": listed.get(o.id, 0), "open_datasets": open_counts.get(o.id, 0)}


def list_organizations(*, runtime: Runtime, viewer: Viewer = ANONYMOUS) -> list[dict[str, Any]]:
    """Every organization with counts of the datasets the viewer may see, parents first."""
    with runtime.sessions() as session:
        listed, open_counts = _org_counts(session, viewer)
        orgs = session.scalars(select(Organization).options(selectinload(Organization.parent))
                               .order_by(Organization.id)).all()
        return [_org_dict(o, listed, open_counts) for o in _tree_order(orgs)]


def _tree_order(orgs: list[Organization]) -> list[Organization]:
    by_parent: dict[int | None, list[Organization]] = {}
    for o in orgs:
        by_parent.setdefault(o.parent_id, []).append(o)
    out: list[Organization] = []

    def walk(parent: int | None) -> None:
        for o in sorted(by_parent.get(parent, []), key=lambda x: x.slug):
            out.append(o)
            walk(o.id)

    walk(None)
    return out


def organization_tree(*, runtime: Runtime, viewer: Viewer = ANONYMOUS) -> list[dict[str, Any]]:
    """Organizations nested under their parents; ``datasets_total`` includes descendants."""
    flat = list_organizations(runtime=runtime, viewer=viewer)
    nodes = {o["id"]: {**o, "children": []} for o in flat}
    roots = []
    for o in flat:
        (nodes[o["parent"]]["children"] if o["parent"] in nodes else roots).append(nodes[o["id"]])

    def total(node: dict[str, Any]) -> int:
        node["datasets_total"] = node["datasets"] + sum(total(c) for c in node["children"])
        return node["datasets_total"]

    for r in roots:
        total(r)
    return roots


def organization_detail(*, runtime: Runtime, slug: str, viewer: Viewer = ANONYMOUS) -> dict[str, Any]:
    """One organization: its fields, contact, counts, children and the themes of its datasets."""
    with runtime.sessions() as session:
        org = session.scalar(select(Organization).where(Organization.slug == slug))
        if org is None:
            raise NotFoundError(f"organization '{slug}' does not exist")
        listed, open_counts = _org_counts(session, viewer)
        out = _org_dict(org, listed, open_counts)
        out["contact"] = dict(org.contact or {})
        out["children"] = [{"id": c.slug, "name": c.name} for c in sorted(org.children, key=lambda c: c.slug)]
        themes = session.execute(select(Dataset.theme, func.count()).where(
            Dataset.organization_id == org.id, dataset_listed_clause(viewer)).group_by(Dataset.theme)).all()
        out["themes"] = [{**term("theme", t), "count": n} for t, n in sorted(themes, key=lambda x: -x[1])]
        return out


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


def _version_links(base: str, ds: Dataset, v: Version) -> dict[str, str]:
    root = f"{base}/api/v1/datasets/{ds.identifier}/versions/{v.number}"
    return {"csv": f"{root}/download.csv", "parquet": f"{root}/download.parquet",
            "csv-excel": f"{root}/download.excel.csv", "rows": f"{root}/rows"}


def version_dict(ds: Dataset, v: Version, viewer: Viewer, base: str, *, full: bool = False) -> dict[str, Any]:
    """A version as the viewer may see it; ``full`` adds the validation report and events."""
    out: dict[str, Any] = {"number": v.number, "state": v.state,
                           "published": v.published_at.isoformat() if v.published_at else None,
                           "created": v.created_at.isoformat(), "data_available": can_receive_data(viewer, v)}
    if out["data_available"]:
        links = _version_links(base, ds, v)
        out.update({"row_count": v.row_count, "source_format": v.source_format,
                    "source_encoding": v.source_encoding,
                    "files": [_artifact_dict(a, links) for a in v.artifacts if a.kind in PUBLIC_ARTIFACTS],
                    "links": {k: links[k] for k in ("csv", "parquet", "csv-excel", "rows")}})
        if full:
            out["report"] = public_report(v.report)
    return out


def _schema_dict(ds: Dataset) -> dict[str, Any]:
    """The published Table Schema (dropped fields left out, masked ones as strings)."""
    descriptor = published_schema(load_table_schema(ds.table_schema.descriptor, name=ds.table_schema.name))
    fields = [{k: f[k] for k in ("name", "type", "format", "title", "description", "constraints", "example", "unit")
               if k in f} for f in descriptor.get("fields", [])]
    return {"name": ds.table_schema.name, "fields": fields, "primary_key": descriptor.get("primaryKey")}


def dataset_detail(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS, base_url: str = "",
                   pending_usage: tuple[int, int] = (0, 0)) -> dict[str, Any]:
    """All metadata of a dataset with Chinese vocabulary names, schema, versions, files and usage."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        out = dataset_summary(ds, viewer)
        law = vocab.DISCLOSURE_LAW_NAMES.get(ds.disclosure)
        out["disclosure"] = {**out["disclosure"], "law_name": law}
        out.update({
            "legal_basis": ds.legal_basis,
            "license": {"id": ds.license, "url": vocab.LICENSES.get(ds.license)},
            "temporal": {"start": ds.temporal_start.isoformat() if ds.temporal_start else None,
                         "end": ds.temporal_end.isoformat() if ds.temporal_end else None},
            "spatial": ds.spatial, "contact": contact_of(ds),
            "schema": _schema_dict(ds),
        })
        visible = sorted((v for v in ds.versions if can_see_version(viewer, v)), key=lambda v: -v.number)
        out["versions"] = [version_dict(ds, v, viewer, base_url) for v in visible]
        served = latest_served_version(viewer, ds)
        if served is not None:
            root = f"{base_url}/api/v1/datasets/{ds.identifier}"
            out["download"] = {"version": served.number, "row_count": served.row_count,
                               "csv": f"{root}/download.csv", "parquet": f"{root}/download.parquet",
                               "csv_excel": f"{root}/download.excel.csv", "rows": f"{root}/rows",
                               "files": version_dict(ds, served, viewer, base_url)["files"]}
        else:
            out["download"] = None
        usage = usage_totals(session, ds.id)
        usage["downloads"] += pending_usage[0]
        usage["api_calls"] += pending_usage[1]
        out["usage"] = usage
        return out


def dataset_id(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS) -> int:
    """The database id of a visible dataset (NotFoundError otherwise)."""
    with runtime.sessions() as session:
        return _get_dataset(session, identifier, viewer).id


def list_versions(*, runtime: Runtime, identifier: str, viewer: Viewer = ANONYMOUS,
                  base_url: str = "") -> list[dict[str, Any]]:
    """The versions of a dataset the viewer may see, newest first."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        return [version_dict(ds, v, viewer, base_url) for v in sorted(ds.versions, key=lambda v: -v.number)
                if can_see_version(viewer, v)]


def version_detail(*, runtime: Runtime, identifier: str, number: int, viewer: Viewer = ANONYMOUS,
                   base_url: str = "") -> dict[str, Any]:
    """One visible version with its validation report (when the viewer may receive its data)."""
    with runtime.sessions() as session:
        ds = _get_dataset(session, identifier, viewer)
        v = _visible_version(ds, number, viewer)
        return version_dict(ds, v, viewer, base_url, full=True)


def _visible_version(ds: Dataset, number: int, viewer: Viewer) -> Version:
    for v in ds.versions:
        if v.number == number and can_see_version(viewer, v):
            return v
    raise NotFoundError(f"dataset '{ds.identifier}' has no version {number}")


# -- downloads ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class DownloadFile:
    """A file the viewer may download, with what the HTTP layer needs for its headers."""

    dataset_id: int
    identifier: str
    title: str
    version_id: int
    number: int
    kind: str
    path: Path
    bytes: int
    sha256: str
    media_type: str
    last_modified: datetime | None
    """The version's publication time; for the latest version, the later of that and the last time a
    newer version was withdrawn (the latest file went back to an older one): never earlier than a
    date this URL has given before, so If-Modified-Since / If-Range with an older file's date never matches."""


def resolve_download(*, runtime: Runtime, identifier: str, kind: str, number: int | None = None,
                     viewer: Viewer = ANONYMOUS) -> DownloadFile | None:
    """The file of ``kind`` (csv, parquet, csv-excel, duckdb) of a version whose data the viewer may receive.

    ``number`` None means the latest served version. Raises NotFoundError, the same for a missing
    dataset and one whose data may not be served; returns None when the version has no such file.
    ``last_modified`` is when the URL's file last changed (see :class:`DownloadFile`).
    This is the download hot path: one prebuilt Core statement with the rules of ``can_receive_data``,
    its answer kept in the runtime's read cache until the next commit to the database.
    """
    key = ("download", viewer, identifier, kind, number)
    found, cached = runtime.read_cache.lookup(key)
    if found:
        row = cached
    else:
        row = None
        if number is None or 0 < number < 2**63:  # a number SQL cannot hold names no version
            with runtime.engine.connect() as conn:
                row = conn.execute(_served_statement(viewer, number is not None),
                                   {"identifier": identifier, "kind": kind, "number": number}).first()
        runtime.read_cache.store(key, row, cached)
    if row is None:
        raise NotFoundError(f"dataset '{identifier}' has no downloadable version"
                            + (f" {number}" if number is not None else ""))
    version_id, version_number, published_at, dataset_pk, title, rel, size, sha256, media_type, withdrawn = row
    if rel is None:
        return None
    changed = published_at if withdrawn is None or published_at is None else max(published_at, withdrawn)
    return DownloadFile(dataset_pk, identifier, title, version_id, version_number, kind,
                        runtime.artifacts.path(rel), size, sha256, media_type, changed)


def _served_statement(viewer: Viewer, numbered: bool) -> Any:
    """The newest served version (or the one numbered), with its artifact of the kind asked for, if any.

    The last column, for the latest version only, is when a newer published version was last withdrawn
    (None for a numbered version, whose file never changes). Built once per kind of caller and cached:
    building a statement costs more than running it.
    """
    key = (viewer, numbered)
    stmt = _SERVED.get(key)
    if stmt is None:
        stmt = (select(Version.id, Version.number, Version.published_at, Dataset.id, Dataset.title,
                       Artifact.path, Artifact.bytes, Artifact.sha256, Artifact.media_type,
                       null() if numbered else _newer_withdrawn())
                .join(Dataset, Dataset.id == Version.dataset_id)
                .outerjoin(Artifact, (Artifact.version_id == Version.id) & (Artifact.kind == bindparam("kind")))
                .where(Dataset.identifier == bindparam("identifier"), data_served_clause(viewer),
                       Dataset.disclosure != "closed")
                .order_by(Version.number.desc()).limit(1))
        if numbered:
            stmt = stmt.where(Version.number == bindparam("number"))
        if len(_SERVED) > 256:
            _SERVED.clear()
        _SERVED[key] = stmt
    return stmt


def _newer_withdrawn() -> Any:
    """When a published version newer than the selected one was last withdrawn (correlated to it).

    Withdrawn is final and only publication or withdrawal changes which version is the newest
    published one, so this and the publication time together say when the latest file last changed.
    """
    newer = aliased(Version)
    return (select(func.max(VersionEvent.at)).join(newer, newer.id == VersionEvent.version_id)
            .where(newer.dataset_id == Version.dataset_id, newer.number > Version.number,
                   VersionEvent.from_state == lifecycle.PUBLISHED, VersionEvent.to_state == lifecycle.WITHDRAWN)
            .scalar_subquery())


_SERVED: dict[tuple[Viewer, bool], Any] = {}
