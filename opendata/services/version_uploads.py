"""Upload use cases: a whole body, or a resumable (tus 1.0) upload, becomes an ingest job.

Each function owns its units of work (opendata.services.unit_of_work) and submits the job to this
process's runner only after the commit that created it. The HTTP layer parses headers and writes
the answer; everything between is here.
"""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from opendata.core.errors import Problem, ValidationError
from opendata.core.files import sha256_file
from opendata.services.access import Viewer
from opendata.services.jobrunner import job_runner
from opendata.services.jobs import Submission, job_create, job_dict, uploads_dir
from opendata.services.registry import get_dataset_for_write
from opendata.services.runtime import Runtime
from opendata.services.unit_of_work import unit_of_work
from opendata.services.uploads import (
    locked_upload,
    receive_upload,
    safe_filename,
    too_large,
    tus_append,
    tus_complete,
    tus_create,
    tus_get,
    tus_terminate,
)


@dataclass(frozen=True)
class UploadRequest:
    """A whole-body upload as it arrives: the stream and what the request says about it."""

    stream: BinaryIO
    content_length: int | None
    filename: str | None = None
    sheet: str | None = None
    idempotency_key: str | None = None


def upload_version(*, runtime: Runtime, actor: Viewer, dataset: str, upload: UploadRequest) -> tuple[dict[str, Any], bool]:
    """Write the body to disk as it arrives and queue its ingest job: (the job as a dict, created).

    A retry with the same Idempotency-Key returns the first job (created False) and drops its bytes.
    """
    limit = int(runtime.config.MAX_UPLOAD_BYTES)
    if upload.content_length is not None and upload.content_length > limit:
        raise too_large(limit)  # before a single byte is read
    with unit_of_work(runtime) as session:
        dataset_pk = get_dataset_for_write(session, actor, dataset).id
    dest = uploads_dir(runtime) / f"{uuidlib.uuid4().hex}.upload"
    size, digest = receive_upload(upload.stream, dest, limit=limit, expected=upload.content_length)
    if size == 0:
        dest.unlink(missing_ok=True)
        raise ValidationError("the upload is empty", problems=[Problem("empty-upload", "no bytes", path="body")])
    filename = safe_filename(upload.filename or f"{dataset}-upload")
    try:
        with unit_of_work(runtime) as session:
            job, created = job_create(session=session, actor=actor, submission=Submission(
                dataset_id=dataset_pk, filename=filename, path=dest, size=size, sha256=digest,
                sheet=upload.sheet, idempotency_key=upload.idempotency_key))
            out, job_pk = job_dict(job), job.id
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    if created:
        job_runner(runtime).submit(job_pk)
    else:
        dest.unlink(missing_ok=True)  # a retry: the first request's bytes are the ones ingested
    return out, created


@dataclass(frozen=True)
class TusState:
    """Where a resumable upload stands (what the tus headers say)."""

    uuid: str
    offset: int
    length: int
    expires_at: datetime
    job_uuid: str | None


def _state(upload) -> TusState:
    return TusState(upload.uuid, upload.upload_offset, upload.upload_length, upload.expires_at,
                    upload.job.uuid if upload.job is not None else None)


def _open(session, actor: Viewer, dataset: str, uuid: str):
    return tus_get(session=session, actor=actor, identifier=dataset, uuid=uuid)


def tus_open(*, runtime: Runtime, actor: Viewer, dataset: str, length: int, metadata: dict[str, str]) -> TusState:
    """Open a resumable upload of ``length`` bytes."""
    with unit_of_work(runtime) as session:
        ds = get_dataset_for_write(session, actor, dataset)
        upload = tus_create(session=session, actor=actor, dataset=ds, length=length, metadata=metadata,
                            folder=uploads_dir(runtime), limit=int(runtime.config.MAX_UPLOAD_BYTES),
                            expiry_hours=int(runtime.config.UPLOAD_EXPIRY_HOURS))
        return _state(upload)


def tus_status(*, runtime: Runtime, actor: Viewer, dataset: str, uuid: str) -> TusState:
    """Where an upload stands: its offset, length, expiry and, once complete, its job."""
    with unit_of_work(runtime) as session:
        return _state(_open(session, actor, dataset, uuid))


def tus_patch(*, runtime: Runtime, actor: Viewer, dataset: str, uuid: str, offset: int, stream: BinaryIO,
              content_length: int | None, checksum: str | None) -> TusState:
    """Append one PATCH body at ``offset``; the last one queues the ingest job (after its commit)."""
    with unit_of_work(runtime) as session:
        path = _open(session, actor, dataset, uuid).temp_path
    with locked_upload(path) as out:
        with unit_of_work(runtime) as session:  # the offset as committed, read under the file lock
            upload = _open(session, actor, dataset, uuid)
        new_offset = tus_append(upload=upload, out=out, offset=offset, stream=stream,
                                content_length=content_length, checksum=checksum)
        # the whole file's hash before the transaction, which holds the database's write lock once it
        # records the offset (SQLite has one for every writer)
        digest = sha256_file(Path(path))[0] if new_offset == upload.upload_length else None
        with unit_of_work(runtime) as session:
            upload = _open(session, actor, dataset, uuid)
            upload.upload_offset = new_offset
            job_pk, job_uuid = None, None
            if upload.upload_offset == upload.upload_length:
                job, created = tus_complete(session=session, actor=actor, upload=upload, sha256=digest)
                job_pk, job_uuid = (job.id if created else None), job.uuid
            state = TusState(upload.uuid, new_offset, upload.upload_length, upload.expires_at, job_uuid)
    if job_pk is not None:
        job_runner(runtime).submit(job_pk)
    return state


def tus_cancel(*, runtime: Runtime, actor: Viewer, dataset: str, uuid: str) -> None:
    """Terminate an unfinished upload and delete its bytes."""
    with unit_of_work(runtime) as session:
        tus_terminate(session=session, actor=actor, upload=_open(session, actor, dataset, uuid))
