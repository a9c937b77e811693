"""The Frictionless Data Package of a dataset's latest served version.

Served at ``/datasets/{id}/datapackage.json`` with absolute download URLs, and written into the
bulk archives with paths relative to the descriptor. The Table Schema is the published one the
ingest pipeline wrote into the version's own ``datapackage.json`` (dropped fields removed,
masked fields as strings); without that artifact the registered schema is used.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from opendata.core import vocab
from opendata.core.errors import NotFoundError
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.published.entries import DatasetEntry, get_entry
from opendata.services.published.schema import dataset_table_schema, version_table_schema
from opendata.store.artifacts import ArtifactStore

_RESOURCE = {
    # kind: (resource name, type, format, encoding); Parquet is a "file" resource because
    # frictionless-py cannot count a Parquet table's bytes, so its bytes/hash checks would fail
    "csv": ("data", "table", "csv", "utf-8"),
    "parquet": ("data-parquet", "file", "parquet", None),
}
PROFILE = "data-package"


def published_table_schema(entry: DatasetEntry, store: ArtifactStore) -> dict[str, Any]:
    """The Table Schema of the served version's files (from its datapackage.json artifact)."""
    schema = version_table_schema(store, entry.version) if entry.version is not None else None
    return schema if schema is not None else dataset_table_schema(store, entry.dataset)


def package_descriptor(entry: DatasetEntry, schema: dict[str, Any], paths: dict[str, str],
                       links: Links) -> dict[str, Any]:
    """A Data Package descriptor whose resources are at ``paths`` (kind -> URL or relative path)."""
    ds = entry.dataset
    if not entry.distributions:
        raise NotFoundError(f"dataset '{ds.identifier}' has no data that may be served")
    resources = []
    for dist in entry.distributions:
        name, rtype, fmt, encoding = _RESOURCE[dist.kind]
        resource: dict[str, Any] = {"name": name, "type": rtype, "path": paths[dist.kind], "format": fmt,
                                    "mediatype": dist.media_type}
        if encoding:
            resource["encoding"] = encoding
        resource.update({"bytes": dist.bytes, "hash": f"sha256:{dist.sha256}",
                         "schema": json.loads(json.dumps(schema))})
        resources.append(resource)
    license_url = vocab.LICENSES.get(ds.license)
    descriptor: dict[str, Any] = {
        "profile": PROFILE,
        "name": ds.identifier,
        "id": links.dataset_page(ds.identifier),
        "title": ds.title,
        "description": ds.description or ds.title,
        "homepage": links.dataset_page(ds.identifier),
        "version": str(entry.distributions[0].version_number),
        "created": entry.issued.isoformat(),
        "keywords": list(ds.keywords or []),
        "licenses": [{"name": ds.license, **({"path": license_url} if license_url else {}), "title": ds.license}],
        "contributors": [{"title": ds.organization.name, "role": "publisher"}],
        "resources": resources,
    }
    return descriptor


def served_datapackage(*, session: Session, store: ArtifactStore, viewer: Viewer, links: Links,
                       identifier: str) -> dict[str, Any]:
    """The Data Package of ``identifier`` with absolute download URLs, or NotFoundError."""
    entry = get_entry(session, viewer, links, identifier)
    paths = {d.kind: d.url for d in entry.distributions}
    return package_descriptor(entry, published_table_schema(entry, store), paths, links)
