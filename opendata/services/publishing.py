"""Administrator publishing paths: `sync --ingest` and `ingest --publish`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opendata.core import lifecycle
from opendata.core.catalog_file import CatalogSpec
from opendata.core.errors import ConflictError, OpendataError
from opendata.services.catalog_sync import CATALOG_ACTOR
from opendata.services.runtime import Runtime
from opendata.services.versions import ingest_file
from opendata.store.db import transaction
from opendata.store.models import Version


def publish_if_clean(*, runtime: Runtime, version_id: int, actor: str) -> str:
    """Publish a version awaiting review; say why not when it cannot be published."""
    from opendata.services.access import system_viewer
    from opendata.services.review_outputs import prepare_outputs, publish_prepared

    try:
        with transaction(runtime.sessions) as session:
            version = session.get(Version, version_id)
            if version.state == lifecycle.PUBLISHED:
                return f"version {version.number} is already published"
            number = version.number
        # A waiting version may carry reviewers' mask and drop resolutions: apply them to the outputs first.
        prepared = prepare_outputs(runtime=runtime, version_id=version_id)
        publish_prepared(runtime=runtime, viewer=system_viewer(actor), version_id=version_id, prepared=prepared,
                         note="published by a trusted administrator")
    except ConflictError as exc:
        return f"not published: {exc}"
    return f"published version {number}"


def ingest_catalog_sources(*, runtime: Runtime, spec: CatalogSpec, echo: Callable[[str], None]) -> list[str]:
    """Ingest and publish each dataset's declared source file; returns the identifiers that failed."""
    failures: list[str] = []
    for d in spec.datasets:
        if not d.source:
            continue
        path = spec.base_dir / d.source
        try:
            outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset=d.identifier,
                                  path=Path(path), actor=CATALOG_ACTOR, filename=Path(d.source).name, sheet=d.sheet)
        except OpendataError as exc:
            echo(f"{d.identifier}: ingest failed: {exc}")
            failures.append(d.identifier)
            continue
        if outcome.state == lifecycle.INVALID:
            echo(f"{d.identifier}: version {outcome.number} is invalid; see `opendata versions {d.identifier}`")
            failures.append(d.identifier)
            continue
        status = publish_if_clean(runtime=runtime, version_id=outcome.version_id, actor=CATALOG_ACTOR)
        prefix = "ingested" if outcome.created else "unchanged"
        echo(f"{d.identifier}: {prefix} version {outcome.number} ({outcome.row_count} rows); {status}")
        if status.startswith("not published"):
            failures.append(d.identifier)
    return failures
