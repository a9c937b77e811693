"""Publishing in one module: the one state-transition function of a version, publish and withdraw,
the administrator's publish path, and what follows a publication outside its transaction.

:func:`move_version` is the only way a version changes state: it refuses a move that
opendata.core.lifecycle does not allow and records the event. After the commit, :func:`after_publish`
builds the row-query database of the version, brings the search index up to date and rebuilds the
bulk archives (in the scale-out mode a worker builds the row database, the profile and the archives); failures there never undo a publication; they are logged and the next publication
(or `opendata rebuild`) repairs them (the row database is also built on first use when missing).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.errors import ConflictError, NotFoundError
from opendata.services.access import Viewer, system_viewer
from opendata.services.audit import audit_record
from opendata.services.profiles import prepare_profile
from opendata.services.review_outputs import (
    PreparedOutputs,
    check_files_read_back,
    prepare_outputs,
    replace_artifacts,
)
from opendata.services.rows import prepare_rows
from opendata.services.runtime import Runtime
from opendata.services.search import reindex_search
from opendata.services.standards.bulk import rebuild_bulk_soon
from opendata.services.taskqueue import PREPARE_PUBLISHED, queue_enabled, send_task
from opendata.store.db import transaction
from opendata.store.models import ChangeRecord, Version, VersionEvent, utcnow

log = logging.getLogger(__name__)


def lock_version(session: Session, version: Version) -> None:
    """Hold the version's row until the transaction ends, and refuse if another one moved it meanwhile.

    PostgreSQL runs two reviewers' (or two administrators') transactions at once: each would check
    the state and the steps taken, find them as before the other's commit, and act twice. The row
    lock makes the second wait for the first; what it reads after the lock is what the first
    committed. SQLite takes one writer at a time already (FOR UPDATE is not rendered there).
    """
    current = session.scalar(select(Version.state).where(Version.id == version.id).with_for_update())
    if current is not None and current != version.state:
        raise ConflictError(f"version {version.number} of {version.dataset.identifier} became {current} "
                            f"meanwhile (it was {version.state}); look again and retry")


def move_version(session: Session, version: Version, target: str, actor: str, note: str | None = None) -> None:
    """Move a version to ``target``: ConflictError when the lifecycle forbids it, else record the event."""
    lock_version(session, version)
    lifecycle.check_transition(version.state, target)
    session.add(VersionEvent(version_id=version.id, from_state=version.state, to_state=target,
                             actor=actor, note=note))
    version.state = target


def unresolved_pii(version: Version) -> int:
    """How many personal-information findings still block publishing."""
    return int((version.pii or {}).get("unresolved", 0) or 0)


def publish_version(*, session: Session, version_id: int, actor: str, note: str | None = None) -> Version:
    """Publish a version awaiting review; refuses while personal-information findings are unresolved."""
    version = session.get(Version, version_id)
    if version is None:
        raise NotFoundError(f"version {version_id} does not exist")
    lifecycle.check_transition(version.state, lifecycle.PUBLISHED)
    if unresolved_pii(version):
        raise ConflictError(
            f"version {version.number} of {version.dataset.identifier} has {unresolved_pii(version)} unresolved "
            "personal-information finding(s); a reviewer must mask, drop or confirm them before publishing")
    if version.dataset.state != lifecycle.DATASET_ACTIVE:
        raise ConflictError(f"dataset {version.dataset.identifier} is withdrawn; restore it before publishing")
    move_version(session, version, lifecycle.PUBLISHED, actor, note)
    version.published_at = utcnow()
    version.dataset.modified_at = version.published_at
    session.add(ChangeRecord(dataset_id=version.dataset_id, version_id=version.id, action="version-published"))
    return version


def withdraw_version(*, session: Session, version_id: int, actor: str, reason: str) -> Version:
    """Withdraw a published or waiting version (its files stay for the record)."""
    version = session.get(Version, version_id)
    if version is None:
        raise NotFoundError(f"version {version_id} does not exist")
    lifecycle.check_transition(version.state, lifecycle.WITHDRAWN)
    was_published = version.state == lifecycle.PUBLISHED
    move_version(session, version, lifecycle.WITHDRAWN, actor, reason)
    if was_published:
        session.add(ChangeRecord(dataset_id=version.dataset_id, version_id=version.id, action="version-withdrawn"))
    return version




def _dataset_of(runtime: Runtime, version_id: int) -> int | None:
    with runtime.sessions() as session:
        version = session.get(Version, version_id)
        return version.dataset_id if version is not None else None


def publish_prepared(*, runtime: Runtime, viewer: Viewer, version_id: int, prepared: PreparedOutputs | None,
                     note: str, before: Callable[[Session, Version], None] | None = None) -> None:
    """Check the files read back; then in one transaction: ``before`` (re-checks), swap in the prepared
    outputs, publish, audit; then hooks."""
    check_files_read_back(runtime=runtime, version_id=version_id, prepared=prepared)
    with transaction(runtime.sessions) as session:
        version = session.get(Version, version_id)
        if before is not None:
            before(session, version)
        lifecycle.check_transition(version.state, lifecycle.PUBLISHED)  # never rewrite a published version
        if prepared is not None:
            replace_artifacts(session, viewer, version, prepared)
        state = version.state
        publish_version(session=session, version_id=version_id, actor=viewer.user or "anonymous", note=note)
        audit_record(session=session, actor=viewer, action="version-published", target_type="version",
                     target_id=f"{version.dataset.identifier}/{version.number}", before={"state": state},
                     after={"state": version.state, "note": note})
    after_publish(runtime=runtime, version_id=version_id)


def publish_if_clean(*, runtime: Runtime, version_id: int, actor: str) -> str:
    """Publish a version awaiting review; say why not when it cannot be published."""
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


def after_publish(*, runtime: Runtime, version_id: int) -> None:
    """Prepare derived read structures for a newly published version: here, or in the scale-out mode
    by a worker (the search index is this process's own, so it is brought up to date here)."""
    if queue_enabled(runtime):
        send_task(runtime, PREPARE_PUBLISHED, version_id)
        _reindex(runtime, version_id)
        _rebuild_bulk(runtime, version_id)
        return
    # The bulk archives read only the published CSV and Parquet files: they are compressed on a
    # thread of this process (zlib lets go of the GIL) while the row database and the profile are
    # built in a child, so the two cores share the work. Those two stay one after the other, so
    # that at most one memory-limited child runs at a time.
    bulk = threading.Thread(target=_rebuild_bulk, args=(runtime, version_id), name="bulk-rebuild", daemon=True)
    bulk.start()
    try:
        prepare_published(runtime=runtime, version_id=version_id, transient=None)
        _reindex(runtime, version_id)
    finally:
        bulk.join()


def prepare_published(*, runtime: Runtime, version_id: int,
                      transient: Callable[[BaseException], bool] | None) -> None:
    """The row database and the profile of a published version (both idempotent); a failure is logged,
    as a read builds the row database when missing, except a fault ``transient`` accepts: raised, to retry."""
    for what, prepare in (("prepare the row database of", prepare_rows),
                          ("profile", prepare_profile)):  # column profiles and chart series, computed once
        try:
            prepare(runtime=runtime, version_id=version_id)
        except Exception as exc:
            if transient is not None and transient(exc):
                raise
            log.exception("could not %s version %s", what, version_id)


def after_withdraw(*, runtime: Runtime, version_id: int) -> None:
    """Rebuild what listed a version that is no longer published."""
    _reindex(runtime, version_id)
    _rebuild_bulk(runtime, version_id)


def _reindex(runtime: Runtime, version_id: int) -> None:
    """Search shows each dataset's latest served version: re-index the version's dataset."""
    try:
        dataset_id = _dataset_of(runtime, version_id)
        if dataset_id is not None:
            reindex_search(runtime=runtime, dataset_ids=[dataset_id])
    except Exception:
        log.exception("could not re-index the dataset of version %s", version_id)


def _rebuild_bulk(runtime: Runtime, version_id: int) -> None:
    """Bulk archives hold only what anonymous callers may receive: rebuild after any change (by a worker
    in the scale-out mode)."""
    try:
        rebuild_bulk_soon(runtime=runtime)
    except Exception:
        log.exception("could not rebuild the bulk archives after version %s", version_id)
