"""What happens after a version is published or withdrawn (outside the database transaction).

Called by the services that publish, after their commit: build the row-query database of the
version and its column profiles, bring the search index up to date and rebuild the bulk archives. Failures here never
undo a publication; they are logged and the next publication (or `opendata rebuild`) repairs
them (the row database is also built on first use when it is missing).
"""

from __future__ import annotations

import logging

from opendata.services.runtime import Runtime
from opendata.store.models import Version

log = logging.getLogger(__name__)


def _dataset_of(runtime: Runtime, version_id: int) -> int | None:
    with runtime.sessions() as session:
        version = session.get(Version, version_id)
        return version.dataset_id if version is not None else None


def after_publish(*, runtime: Runtime, version_id: int) -> None:
    """Prepare derived read structures for a newly published version."""
    from opendata.services.profiles import prepare_profile
    from opendata.services.rows import prepare_rows

    try:
        prepare_rows(runtime=runtime, version_id=version_id)
    except Exception:
        log.exception("could not prepare the row database of version %s", version_id)
    try:  # column profiles and chart series for the dataset page, computed once
        prepare_profile(runtime=runtime, version_id=version_id)
    except Exception:
        log.exception("could not profile version %s", version_id)
    _reindex(runtime, version_id)
    _rebuild_bulk(runtime, version_id)


def after_withdraw(*, runtime: Runtime, version_id: int) -> None:
    """Rebuild what listed a version that is no longer published."""
    _reindex(runtime, version_id)
    _rebuild_bulk(runtime, version_id)


def _reindex(runtime: Runtime, version_id: int) -> None:
    """Search shows each dataset's latest served version: re-index the version's dataset."""
    from opendata.services.search import reindex_search

    try:
        dataset_id = _dataset_of(runtime, version_id)
        if dataset_id is not None:
            reindex_search(runtime=runtime, dataset_ids=[dataset_id])
    except Exception:
        log.exception("could not re-index the dataset of version %s", version_id)


def _rebuild_bulk(runtime: Runtime, version_id: int) -> None:
    """Bulk archives hold only what anonymous callers may receive: rebuild after any change."""
    from opendata.services.standards.bulk import rebuild_bulk

    try:
        rebuild_bulk(runtime=runtime)
    except Exception:
        log.exception("could not rebuild the bulk archives after version %s", version_id)
