"""What happens after a version is published or withdrawn (outside the database transaction).

Called by the services that publish, after their commit: build the row-query database of the
version and rebuild the bulk archives. Failures here never undo a publication; they are logged
and the next publication (or `opendata rebuild`) repairs them.
"""

from __future__ import annotations

import logging

from opendata.store.runtime import Runtime

log = logging.getLogger(__name__)


def after_publish(*, runtime: Runtime, version_id: int) -> None:
    """Prepare derived read structures for a newly published version."""
    del runtime, version_id  # the read API (issue 4) adds: rows database, bulk archives


def after_withdraw(*, runtime: Runtime, version_id: int) -> None:
    """Rebuild what listed a version that is no longer published."""
    del runtime, version_id
