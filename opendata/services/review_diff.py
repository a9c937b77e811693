"""What a version waiting for review changes, compared with the dataset's newest published version.

For reviewers and the organization's staff only (the version is not public yet): rows added,
removed and changed (by primary key when both have the same one) and schema changes, from the two
versions' Parquet files and Data Package descriptors, by the same comparison as the published diff
(:func:`opendata.core.version_diff.diff_tables`). Columns that are masked or dropped in either
version are left out of the row comparison: a hashed column differs in every row from the raw one
waiting for review, which says nothing about what changed.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from opendata.core import lifecycle
from opendata.core.version_diff import diff_tables
from opendata.services.access import Viewer
from opendata.services.review import get_review_version
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import reading
from opendata.store.models import Version
from opendata.store.review import PiiResolution


def _files(version: Version) -> dict[str, str]:
    return {a.kind: a.path for a in version.artifacts}


def pending_diff(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int) -> dict[str, Any] | None:
    """The changes from the newest published version before ``number``; None when there is none to compare."""
    with reading(runtime) as session:
        version = get_review_version(session, viewer, identifier, number)
        earlier = session.scalar(select(Version).where(
            Version.dataset_id == version.dataset_id, Version.number < number,
            Version.state == lifecycle.PUBLISHED).order_by(Version.number.desc()).limit(1))
        if earlier is None:
            return None
        new, old = _files(version), _files(earlier)
        if "parquet" not in new or "parquet" not in old:
            return None
        hidden = set(session.scalars(select(PiiResolution.field_name).where(
            PiiResolution.version_id.in_([version.id, earlier.id]), PiiResolution.action != "confirm")))
        against = earlier.number
        paths = {k: runtime.artifacts.local_path(v) for k, v in (("new", new["parquet"]), ("old", old["parquet"]))}
        packages = {k: runtime.artifacts.local_path(files["datapackage"]) if "datapackage" in files else None
                    for k, files in (("new", new), ("old", old))}
    new_fields, new_key = _schema(packages["new"])
    old_fields, old_key = _schema(packages["old"])
    found = diff_tables(paths["old"], paths["new"], old_fields, new_fields, old_key, new_key, ignore=hidden)
    return {"against": against, "ignored": sorted(hidden), **found}


def _schema(path) -> tuple[list[dict[str, Any]], list[str] | None]:
    if path is None or not path.exists():
        return [], None
    schema = json.loads(path.read_text(encoding="utf-8"))["resources"][0].get("schema", {})
    key = schema.get("primaryKey")
    return schema.get("fields", []), [key] if isinstance(key, str) else key



