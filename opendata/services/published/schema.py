"""The Table Schema a dataset publishes: the one in its published version's own datapackage.json.

A reviewer's ``drop`` and ``mask`` resolutions apply to one version (its files are re-derived
before publication), not to the dataset's registered schema; so the registered schema can list
a column the published files no longer hold. Every view of a dataset's schema (the API, the
page, datapackage.json, CKAN datastore fields, bulk archives, the search index) reads it from the
version's ``datapackage`` artifact. Artifacts never change once written, so the parsed schema is
cached by the artifact's sha256 (a registered schema's published form by the schema's sha256).
"""

from __future__ import annotations

import copy
import json
import threading
from collections import OrderedDict
from typing import Any

from opendata.core import lifecycle
from opendata.core.masking import published_schema
from opendata.core.tableschema import load_table_schema
from opendata.store.artifacts import ArtifactStore
from opendata.store.models import Dataset, Version

CACHE_SIZE = 512
_cache: OrderedDict[str, dict[str, Any]] = OrderedDict()
_lock = threading.Lock()


def version_table_schema(store: ArtifactStore, version: Version, *, shared: bool = False
                         ) -> dict[str, Any] | None:
    """The Table Schema of a version's files (dropped fields gone, masked ones as strings), if it has them.

    ``shared`` returns the cached descriptor itself (the caller only reads it) instead of a copy.
    """
    art = next((a for a in version.artifacts if a.kind == "datapackage"), None)
    if art is None:
        return None
    hit = _cached(art.sha256, shared)
    if hit is not None:
        return hit
    if not store.exists(art.path):
        return None
    descriptor = json.loads(store.read_bytes(art.path).decode("utf-8"))
    schema = next((r["schema"] for r in descriptor.get("resources", [])
                   if r.get("name") == "data" and isinstance(r.get("schema"), dict)), None)
    if schema is None:
        return None
    return _keep(art.sha256, schema, shared)


def dataset_table_schema(store: ArtifactStore, ds: Dataset, *, shared: bool = False) -> dict[str, Any]:
    """The schema of the dataset's newest published version; before any, the registered schema as it would publish.

    The registered schema's published form is cached by its name and sha256: a rebuild of the
    search index asks for it once per dataset, and many datasets share one schema.
    """
    for version in sorted(ds.versions, key=lambda v: v.number, reverse=True):
        if version.state == lifecycle.PUBLISHED:
            schema = version_table_schema(store, version, shared=shared)
            if schema is not None:
                return schema
    record = ds.table_schema
    key = f"registered:{record.name}:{record.sha256}"
    hit = _cached(key, shared)
    if hit is not None:
        return hit
    return _keep(key, published_schema(load_table_schema(record.descriptor, name=record.name)), shared)


def _cached(key: str, shared: bool) -> dict[str, Any] | None:
    with _lock:
        hit = _cache.get(key)
        if hit is None:
            return None
        _cache.move_to_end(key)
    return hit if shared else copy.deepcopy(hit)


def _keep(key: str, schema: dict[str, Any], shared: bool) -> dict[str, Any]:
    with _lock:
        _cache[key] = schema
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return schema if shared else copy.deepcopy(schema)
