"""Column profiles and chart series of a published version: computed once, kept as an artifact.

``prepare_profile`` runs after publication (opendata.services.publication.after_publish) and stores the result of
:func:`opendata.core.profile.profile_table` as the version's ``profile`` artifact (JSON). A version
published before profiles existed, or whose outputs were re-derived, gets it on first use. Loaded
profiles are kept in memory by checksum: a published version's files never change.
"""

from __future__ import annotations

import json
import logging
import shutil
import threading
from typing import Any

from sqlalchemy import select

from opendata.core import profile
from opendata.core.childprocess import run_in_child
from opendata.core.limits import IngestLimits
from opendata.core.masking import published_schema
from opendata.core.tableschema import load_table_schema
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import Artifact, Version

log = logging.getLogger(__name__)
PROFILE_KIND = "profile"
_LOCK = threading.Lock()
_LOADED: dict[str, dict[str, Any]] = {}  # sha256 of the stored JSON -> the profile


def prepare_profile(*, runtime: Runtime, version_id: int) -> dict[str, Any] | None:
    """Compute and record the profile of a version with a Parquet file (idempotent); the profile."""
    with _LOCK:
        with runtime.sessions() as session:
            version = session.get(Version, version_id)
            if version is None:
                return None
            arts = {a.kind: a for a in version.artifacts}
            stored = arts.get(PROFILE_KIND)
            if stored is not None and runtime.artifacts.exists(stored.path):
                found = _read(runtime, stored.path, stored.sha256)
                if found.get("format") == profile.FORMAT:
                    return found
            if "parquet" not in arts:
                return None
            parquet = runtime.artifacts.local_path(arts["parquet"].path)
            descriptor = published_schema(load_table_schema(version.dataset.table_schema.descriptor,
                                                            name=version.dataset.table_schema.name))
        primary_key = descriptor.get("primaryKey")
        # in a child with the ingest's memory limit: counting distinct values of a large version is
        # DuckDB work that must not grow the server
        limits = IngestLimits.from_settings(runtime.config.values)
        result = run_in_child(profile.profile_table, parquet, descriptor.get("fields", []),
                              [primary_key] if isinstance(primary_key, str) else primary_key,
                              memory_limit_mb=limits.duckdb_memory_mb, memory_bytes=limits.memory_bytes,
                              what=f"profiling version {version_id}")
        workdir = runtime.artifacts.new_workdir(prefix="profile-")
        try:
            path = workdir / "profile.json"
            path.write_text(json.dumps(result, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
            rel, sha, nbytes = runtime.artifacts.adopt(path, suffix=".json")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        with transaction(runtime.sessions) as session:
            existing = session.scalar(select(Artifact).where(Artifact.version_id == version_id,
                                                             Artifact.kind == PROFILE_KIND))
            if existing is None:
                session.add(Artifact(version_id=version_id, kind=PROFILE_KIND, path=rel, bytes=nbytes,
                                     sha256=sha, media_type="application/json"))
            else:
                existing.path, existing.bytes, existing.sha256 = rel, nbytes, sha
        _LOADED[sha] = result
        return result


def load_profile(*, runtime: Runtime, version_id: int) -> dict[str, Any] | None:
    """The stored profile of a version (computed now if it is missing or outdated); None without data."""
    with runtime.sessions() as session:
        stored = session.execute(select(Artifact.path, Artifact.sha256).where(
            Artifact.version_id == version_id, Artifact.kind == PROFILE_KIND)).first()
    if stored is not None:
        found = _LOADED.get(stored.sha256)
        if found is None and runtime.artifacts.exists(stored.path):
            found = _read(runtime, stored.path, stored.sha256)
        if found is not None and found.get("format") == profile.FORMAT:
            return found
    try:
        return prepare_profile(runtime=runtime, version_id=version_id)
    except Exception:  # a page must still render without its charts
        log.exception("could not profile version %s", version_id)
        return None


def _read(runtime: Runtime, rel: str, sha256: str) -> dict[str, Any]:
    found = json.loads(runtime.artifacts.read_bytes(rel).decode("utf-8"))
    if len(_LOADED) > 512:
        _LOADED.clear()
    _LOADED[sha256] = found
    return found
