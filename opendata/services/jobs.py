"""Ingest jobs: record an upload as a queued job, run it into a version, fail abandoned ones.

A job is owned by the process that queued it (``owner`` = ``host:pid``), which refreshes
``heartbeat_at`` while it runs. When a process starts (``create_app``, ``opendata init``) it
fails the jobs, and their versions, whose owner is gone: a dead pid on this host, or a
heartbeat older than OPENDATA_INGEST_STALE_SECONDS. The temporary upload of a finished or
failed job is removed; a half-written artifact is never referenced by a row, because
``ingest_file`` adds artifact rows only after every file is durable.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, joinedload

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError, OpendataError, Problem, ValidationError
from opendata.core.limits import IngestLimits
from opendata.core.textcheck import require_text
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.publication import move_version
from opendata.services.runtime import Runtime
from opendata.services.versions import ingest_file
from opendata.store.db import transaction
from opendata.store.jobs import JOB_STATES, IngestJob, UploadSession
from opendata.store.models import Dataset, Version, utcnow

log = logging.getLogger(__name__)
RECOVERY_ACTOR = "system (restart)"
PROGRESS_INTERVAL = 0.5  # seconds between progress writes to the job row
MAX_JOB_PAGE = 200


def process_owner() -> str:
    """This process as a job owner: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


def uploads_dir(runtime: Runtime) -> Path:
    """Where upload bodies wait for their job (same filesystem as the artifact store)."""
    path = runtime.config.folder.uploads
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Submission:
    """An upload on disk, ready to become a job."""

    dataset_id: int
    filename: str
    path: Path
    size: int
    sha256: str
    sheet: str | None = None
    idempotency_key: str | None = None


def job_create(*, session: Session, actor: Viewer, submission: Submission) -> tuple[IngestJob, bool]:
    """Record a queued job, or return the earlier job of the same Idempotency-Key; (job, created).

    The same key with different bytes or another dataset is a client error (422): the key
    names one request, whose answer must not change.
    """
    key = submission.idempotency_key
    if key is not None:
        earlier = job_by_key(session, actor.user or "", key)
        if earlier is not None:
            _check_same_request(earlier, submission)
            return earlier, False
    job = IngestJob(dataset_id=submission.dataset_id, filename=submission.filename, sheet=submission.sheet,
                    source_path=str(submission.path), total_bytes=submission.size, actor=actor.user or "",
                    idempotency_key=key, request_fingerprint=submission.sha256, state="queued",
                    owner=process_owner(), heartbeat_at=utcnow())
    try:
        with session.begin_nested():
            session.add(job)
            session.flush()
    except IntegrityError:  # a concurrent retry with the same key won the race
        earlier = job_by_key(session, actor.user or "", key or "")
        if earlier is None:
            raise
        _check_same_request(earlier, submission)
        return earlier, False
    audit_record(session=session, actor=actor, action="upload-received", target_type="ingest_job",
                 target_id=job.uuid, after={"dataset_id": job.dataset_id, "filename": job.filename,
                                            "bytes": job.total_bytes, "sha256": job.request_fingerprint,
                                            "idempotency_key": key})
    return job, True


def _check_same_request(earlier: IngestJob, submission: Submission) -> None:
    if earlier.dataset_id != submission.dataset_id or earlier.request_fingerprint != submission.sha256:
        raise ValidationError(
            "this Idempotency-Key was already used for a different upload; use a new key for new content",
            problems=[Problem("idempotency-key-reused", "the key names an earlier request with other content",
                              path="Idempotency-Key")])


def job_by_key(session: Session, actor: str, key: str) -> IngestJob | None:
    return session.scalar(select(IngestJob).where(IngestJob.actor == actor, IngestJob.idempotency_key == key))


def job_visible_clause(viewer: Viewer) -> ColumnElement[bool]:
    """SQL filter: jobs the viewer may see (its submitter, its organization's publishers, admins)."""
    if viewer.is_admin:
        return true()
    seen: list[ColumnElement[bool]] = [IngestJob.actor == viewer.user] if viewer.user else []
    if viewer.has_scope("publish") and viewer.publish_organization_ids:
        seen.append(IngestJob.dataset_id.in_(
            select(Dataset.id).where(Dataset.organization_id.in_(sorted(viewer.publish_organization_ids)))))
    return or_(*seen) if seen else false()


def job_get(*, session: Session, uuid: str, viewer: Viewer) -> IngestJob:
    """A job the viewer may see, else 404 (others' jobs are not even acknowledged)."""
    job = session.scalar(select(IngestJob).where(IngestJob.uuid == uuid, job_visible_clause(viewer)))
    if job is None:
        raise NotFoundError(f"job '{uuid}' does not exist")
    return job


@dataclass(frozen=True)
class JobFilter:
    """Which jobs to list: by dataset identifier, state, only the viewer's own, older than a job."""

    dataset: str | None = None
    state: str | None = None
    mine: bool = False
    before: str | None = None


def job_list(*, session: Session, viewer: Viewer, filters: JobFilter = JobFilter(),
             limit: int = 50) -> list[IngestJob]:
    """The jobs the viewer may see, newest first; ``filters.before`` (a job id) continues a page."""
    # a value with a character no stored text holds cannot match; PostgreSQL would refuse a NUL outright
    require_text(filters.dataset, "dataset", multiline=True)
    require_text(filters.before, "before", multiline=True)
    query = (select(IngestJob).join(Dataset, IngestJob.dataset_id == Dataset.id)
             .where(job_visible_clause(viewer))
             .options(joinedload(IngestJob.dataset),
                      joinedload(IngestJob.version).joinedload(Version.report_record))
             .order_by(IngestJob.id.desc()).limit(max(1, min(limit, MAX_JOB_PAGE))))
    if filters.dataset is not None:
        query = query.where(Dataset.identifier == filters.dataset)
    if filters.state is not None:
        if filters.state not in JOB_STATES:
            raise ValidationError(f"no job state '{filters.state}'", problems=[
                Problem("invalid-value", f"one of {', '.join(JOB_STATES)}", path="state")])
        query = query.where(IngestJob.state == filters.state)
    if filters.mine:
        query = query.where(IngestJob.actor == viewer.user) if viewer.user else query.where(false())
    if filters.before is not None:
        before = session.scalar(select(IngestJob.id).where(IngestJob.uuid == filters.before,
                                                            job_visible_clause(viewer)))
        if before is None:
            raise ValidationError(f"no job '{filters.before}' to continue from", problems=[
                Problem("unknown-job", "pass the id of the last job of the previous page", path="before")])
        query = query.where(IngestJob.id < before)
    return list(session.scalars(query).unique())


def job_dict(job: IngestJob) -> dict[str, Any]:
    """A job as JSON-ready data: state, progress, then the version and its report summary."""
    out: dict[str, Any] = {
        "id": job.uuid, "dataset": job.dataset.identifier, "state": job.state, "filename": job.filename,
        "progress": {"rows": job.progress_rows, "bytes": job.progress_bytes, "total_bytes": job.total_bytes},
        "created_at": job.created_at, "started_at": job.started_at, "finished_at": job.finished_at,
        "error": job.error, "version": None,
    }
    if job.version is not None:
        v = job.version
        summary = v.report_record  # its counts only: the report itself is not read
        out["version"] = {"number": v.number, "state": v.state, "row_count": v.row_count,
                          "report": {"valid": summary.valid if summary else None,
                                     "errors": summary.errors if summary else None,
                                     "warnings": summary.warnings if summary else None},
                          "pii_unresolved": int((v.pii or {}).get("unresolved", 0) or 0)}
    return out


def run_job(*, runtime: Runtime, job_id: int, owner: str,
            transient: Callable[[BaseException], bool] | None = None) -> None:
    """Run one queued job to its end; every outcome is recorded on the job (never raises), except a
    fault ``transient`` accepts: that is raised with the upload kept, for the caller to retry."""
    with transaction(runtime.sessions) as session:
        taken = session.execute(update(IngestJob).where(IngestJob.id == job_id, IngestJob.state == "queued")
                                .values(state="running", owner=owner, started_at=utcnow(),
                                        heartbeat_at=utcnow(), attempts=IngestJob.attempts + 1)).rowcount
        job = session.get(IngestJob, job_id)
        if not taken or job is None:
            return  # another worker took it, or it was failed meanwhile
        identifier, path, filename = job.dataset.identifier, job.source_path, job.filename
        sheet, actor, digest = job.sheet, job.actor, job.request_fingerprint
    progress = _ProgressWriter(runtime, job_id)
    try:
        outcome = ingest_file(sessions=runtime.sessions, store=runtime.artifacts, dataset=identifier, path=path,
                              actor=actor, filename=filename, sheet=sheet, progress=progress, sha256=digest,
                              limits=IngestLimits.from_settings(runtime.config.values),
                              on_version=lambda version_id: _link_version(runtime, job_id, version_id))
    except OpendataError as exc:
        def _named(text: str) -> str:  # the client's file name, never a path of the server
            return public_message(text, path=path, filename=filename, home=runtime.config.home)

        problems = [{k: _named(v) if isinstance(v, str) else v for k, v in p.to_dict().items()} for p in exc.problems]
        end = {"state": "failed", "error": {"code": exc.code, "message": _named(exc.message), "problems": problems}}
    except Exception as exc:  # a bug must still end the job, and never leak into the answer
        if transient is not None and transient(exc):
            raise  # the upload is kept: the next attempt reads it
        log.exception("ingest job %s failed", job_id)
        end = {"state": "failed", "error": {"code": "internal-error", "message": (
            "the job failed because of an internal error; it has been logged "
            f"({type(exc).__name__}, job {job_id})")}}
    else:
        end = {"state": "succeeded", "version_id": outcome.version_id, "rows": outcome.row_count}
    # the upload goes before the job shows its end: whoever reads the end finds no leftover file (a crash
    # in between leaves a running job for recovery, whose version is already linked)
    remove_upload(path)
    _finish(runtime, job_id, **end)


def public_message(text: str, *, path: str | None, filename: str, home: Path) -> str:
    """A message about an upload as its sender may see it: the upload's temporary name becomes the
    name it was sent with, and no folder of the server's data folder is shown."""
    if path:
        text = text.replace(str(path), filename).replace(Path(path).name, filename)
    for folder in (str(home), str(Path(home).resolve())):
        text = text.replace(folder + os.sep, "").replace(folder, "")
    return text


class _ProgressWriter:
    """The pipeline's progress callback: writes rows/bytes and a heartbeat at most every 0.5 s."""

    def __init__(self, runtime: Runtime, job_id: int):
        self.runtime, self.job_id = runtime, job_id
        self.last = 0.0

    def __call__(self, rows: int, nbytes: int) -> None:
        now = time.monotonic()
        if now - self.last < PROGRESS_INTERVAL:
            return
        self.last = now
        with transaction(self.runtime.sessions) as session:
            job = session.get(IngestJob, self.job_id)
            job.progress_rows, job.progress_bytes, job.heartbeat_at = rows, nbytes, utcnow()


def _link_version(runtime: Runtime, job_id: int, version_id: int) -> None:
    """Link the job to its version as soon as ingest_file has made it (committed, so a crash keeps the link)."""
    with transaction(runtime.sessions) as session:
        session.get(IngestJob, job_id).version_id = version_id


def _finish(runtime: Runtime, job_id: int, *, state: str, version_id: int | None = None,
            rows: int | None = None, error: dict[str, Any] | None = None) -> None:
    with transaction(runtime.sessions) as session:
        job = session.get(IngestJob, job_id)
        job.state, job.finished_at, job.heartbeat_at, job.error = state, utcnow(), utcnow(), error
        if version_id is not None:
            job.version_id = version_id
        if rows is not None:
            job.progress_rows = rows
        if job.total_bytes is not None and state == "succeeded":
            job.progress_bytes = job.total_bytes


def latest_version_of(session: Session, dataset_id: int, digest: str) -> int | None:
    """The newest version of these bytes: after a failed attempt, the retry's version, not the failed one."""
    return session.scalar(select(Version.id).where(Version.dataset_id == dataset_id, Version.source_sha256 == digest)
                          .order_by(Version.id.desc()).limit(1))


def touch_heartbeats(*, runtime: Runtime, owner: str) -> None:
    """Refresh the heartbeat of every running or queued job this process owns."""
    with transaction(runtime.sessions) as session:
        session.execute(update(IngestJob).where(IngestJob.owner == owner,
                                                IngestJob.state.in_(["queued", "running"]))
                        .values(heartbeat_at=utcnow()))


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def owner_is_gone(owner: str | None, heartbeat_at, *, stale_after: float, live_owners: set[str]) -> bool:
    """True when the process that owns a job can no longer be running it."""
    if owner is None:
        return True
    if owner in live_owners:
        return False
    host, _, pid = owner.rpartition(":")
    if owner == process_owner():
        return True  # our own pid, but not a live runner of ours: an earlier process with the same pid
    if host == socket.gethostname() and pid.isdigit() and not _pid_alive(int(pid)):
        return True
    return heartbeat_at is None or (utcnow() - heartbeat_at) > timedelta(seconds=stale_after)


def recover_abandoned(*, runtime: Runtime, stale_after: float, live_owners: set[str] = frozenset(),
                      queued: bool = False) -> list[str]:
    """Fail jobs whose owner is gone, and their versions; remove their uploads; returns job uuids.
    ``queued`` (scale-out mode): jobs belong to the queue, whose workers retry or fail them."""
    failed: list[str] = []
    with transaction(runtime.sessions) as session:
        open_jobs = [] if queued else session.scalars(
            select(IngestJob).where(IngestJob.state.in_(["queued", "running"])))
        for job in open_jobs:
            if not owner_is_gone(job.owner, job.heartbeat_at, stale_after=stale_after, live_owners=live_owners):
                continue
            if job.version_id is None and job.request_fingerprint:
                # killed between the version's commit and _link_version's: the only place the bytes find it
                job.version_id = latest_version_of(session, job.dataset_id, job.request_fingerprint)
            if job.version is not None:
                fail_version(session, job.version, f"interrupted: the process {job.owner} stopped during ingest")
            job.state, job.finished_at = "failed", utcnow()
            job.error = {"code": "interrupted", "message": f"the process running this job ({job.owner}) stopped"}
            remove_upload(job.source_path)
            failed.append(job.uuid)
        horizon = utcnow() - timedelta(seconds=stale_after)
        jobless = select(Version).where(
            Version.state.in_([lifecycle.RECEIVED, lifecycle.VALIDATING]), Version.created_at < horizon,
            ~Version.id.in_(select(IngestJob.version_id).where(IngestJob.version_id.is_not(None))))
        for version in session.scalars(jobless):  # e.g. a command-line ingest that was killed
            fail_version(session, version, "interrupted: no process finished this ingest")
        for upload in session.scalars(select(UploadSession).where(
                UploadSession.completed_at.is_(None), UploadSession.expires_at < utcnow())):
            remove_upload(upload.temp_path)
    return failed


def fail_version(session: Session, version: Version, note: str) -> None:
    """Fail a version an interrupted ingest left received or validating (others are left as they are)."""
    if version.state in (lifecycle.RECEIVED, lifecycle.VALIDATING):
        move_version(session, version, lifecycle.FAILED, RECOVERY_ACTOR, note)


UPLOAD_PATTERNS = ("*.upload", "tus-*.part")


def clean_uploads(*, runtime: Runtime, stale_after: float, dry_run: bool = False) -> list[str]:
    """Remove upload files no queued/running job or open resumable upload needs (``opendata clean``).

    Files younger than ``stale_after`` seconds are kept: a live server may still be receiving them.
    """
    with runtime.sessions() as session:
        needed = set(session.scalars(select(IngestJob.source_path).where(
            IngestJob.state.in_(["queued", "running"]), IngestJob.source_path.is_not(None))))
        needed |= set(session.scalars(select(UploadSession.temp_path).where(
            UploadSession.completed_at.is_(None), UploadSession.expires_at >= utcnow())))
    horizon = time.time() - stale_after
    folder = uploads_dir(runtime)
    removed = []
    for pattern in UPLOAD_PATTERNS:
        for path in sorted(folder.glob(pattern)):
            if str(path) not in needed and path.stat().st_mtime < horizon:
                removed.append(f"uploads/{path.name}")
                if not dry_run:
                    path.unlink(missing_ok=True)
    return removed


def remove_upload(path: str | None) -> None:
    """Remove an upload's temporary file (gone already is fine)."""
    if path:
        Path(path).unlink(missing_ok=True)

