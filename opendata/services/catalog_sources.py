"""`opendata sync --ingest`: ingest and publish each dataset's declared source file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from opendata.core import lifecycle
from opendata.core.catalog_file import CatalogSpec
from opendata.core.errors import OpendataError
from opendata.core.limits import IngestLimits
from opendata.services.catalog_sync import CATALOG_ACTOR
from opendata.services.publication import publish_if_clean
from opendata.services.runtime import Runtime
from opendata.services.versions import ingest_file


def ingest_catalog_sources(*, runtime: Runtime, spec: CatalogSpec, echo: Callable[[str], None]) -> list[str]:
    """Ingest and publish each dataset's declared source file; returns the identifiers that failed."""
    failures: list[str] = []
    for d in spec.datasets:
        if not d.source:
            continue
        path = spec.base_dir / d.source
        try:
            outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset=d.identifier,
                                  path=Path(path), actor=CATALOG_ACTOR, filename=Path(d.source).name, sheet=d.sheet,
                                  limits=IngestLimits.from_settings(runtime.config.values))
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
