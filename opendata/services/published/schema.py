"""The Table Schema a dataset publishes: the one in its published version's own datapackage.json.

A reviewer's ``drop`` and ``mask`` resolutions apply to one version (its files are re-derived
before publication), not to the dataset's registered schema; so the registered schema can list
a column the published files no longer hold. Every view of a dataset's schema (the API, the
page, datapackage.json, CKAN datastore fields, bulk archives, the search index) reads it from the
version's ``datapackage`` artifact. Artifacts never change once written, so the parsed schema is
cached by the artifact's sha256.
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


def version_table_schema(store: ArtifactStore, version: Version) -> dict[str, Any] | None:
    """The Table Schema of a version's files (dropped fields gone, masked ones as strings), if it has them."""
    art = next((a for a in version.artifacts if a.kind == "datapackage"), None)
    if art is None:
        return None
    with _lock:
        if art.sha256 in _cache:
            _cache.move_to_end(art.sha256)
            return copy.deepcopy(_cache[art.sha256])
    if not store.exists(art.path):
        return None
    descriptor = json.loads(store.read_bytes(art.path).decode("utf-8"))
    schema = next((r["schema"] for r in descriptor.get("resources", [])
                   if r.get("name") == "data" and isinstance(r.get("schema"), dict)), None)
    if schema is None:
        return None
    with _lock:
        _cache[art.sha256] = schema
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return copy.deepcopy(schema)


def dataset_table_schema(store: ArtifactStore, ds: Dataset) -> dict[str, Any]:
    """The schema of the dataset's newest published version; before any, the registered schema as it would publish."""
    for version in sorted(ds.versions, key=lambda v: v.number, reverse=True):
        if version.state == lifecycle.PUBLISHED:
            schema = version_table_schema(store, version)
            if schema is not None:
                return schema
    return published_schema(load_table_schema(ds.table_schema.descriptor, name=ds.table_schema.name))
