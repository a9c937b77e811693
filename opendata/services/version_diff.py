"""What changed between two versions of a dataset, under the access rules (the API's diff and the page).

Both versions must be ones whose data the viewer may receive (the same rule as downloads): a
version the viewer may not have is NotFoundError, exactly like a missing one. Each version's own
schema is read from its Data Package descriptor, so schema changes are those actually published.
Results are kept in memory: published versions never change.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from opendata.core.errors import NotFoundError, Problem, ValidationError
from opendata.core.version_diff import diff_tables
from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.published.detail import list_versions
from opendata.services.published.downloads import resolve_download
from opendata.services.runtime import Runtime

_CACHE: dict[tuple[str, str], dict[str, Any]] = {}  # (sha256 of old parquet, of new) -> diff
_LOCK = threading.Lock()


def _schema(runtime: Runtime, identifier: str, number: int, viewer: Viewer) -> tuple[list, list | None]:
    found = resolve_download(runtime=runtime, identifier=identifier, kind="datapackage", number=number,
                             viewer=viewer)
    if found is None:
        return [], None
    schema = json.loads(found.path.read_text(encoding="utf-8"))["resources"][0].get("schema", {})
    key = schema.get("primaryKey")
    return schema.get("fields", []), [key] if isinstance(key, str) else key


def previous_number(*, runtime: Runtime, identifier: str, number: int, viewer: Viewer = ANONYMOUS) -> int | None:
    """The newest version before ``number`` whose data the viewer may receive, if any."""
    numbers = [v["number"] for v in list_versions(runtime=runtime, identifier=identifier, viewer=viewer)
               if v.get("data_available") and v["number"] < number]
    return max(numbers) if numbers else None


def diff_versions(*, runtime: Runtime, identifier: str, number: int, against: int | None = None,
                  viewer: Viewer = ANONYMOUS) -> dict[str, Any]:
    """Rows added, removed and changed (by primary key) and schema changes from ``against`` to ``number``.

    ``against`` defaults to the previous version the viewer may receive; a version compared with
    itself has every row unchanged.
    """
    new = resolve_download(runtime=runtime, identifier=identifier, kind="parquet", number=number, viewer=viewer)
    if against is None:
        against = previous_number(runtime=runtime, identifier=identifier, number=number, viewer=viewer)
        if against is None:
            raise ValidationError("no earlier version", problems=[Problem(
                "invalid-parameter", f"version {number} has no earlier version to compare with", path="against")])
    old = resolve_download(runtime=runtime, identifier=identifier, kind="parquet", number=against, viewer=viewer)
    if new is None or old is None:
        raise NotFoundError(f"dataset '{identifier}' has no comparable versions {number} and {against}")
    key = (old.sha256, new.sha256)
    with _LOCK:
        found = _CACHE.get(key)
    if found is None:
        old_fields, old_key = _schema(runtime, identifier, against, viewer)
        new_fields, new_key = _schema(runtime, identifier, number, viewer)
        found = diff_tables(old.path, new.path, old_fields, new_fields, old_key, new_key)
        with _LOCK:
            if len(_CACHE) > 256:
                _CACHE.clear()
            _CACHE[key] = found
    return {"dataset": identifier, "version": number, "against": against, **found}
