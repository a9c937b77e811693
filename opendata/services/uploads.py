"""Upload bodies written straight to disk, and resumable uploads (tus 1.0).

Bytes are copied from the request stream in 1 MiB chunks through one buffer reused for the whole
body, counted against the size limit and hashed on the way, so memory stays flat whatever the size
(see copy_stream). A tus upload appends each PATCH at
the offset the database records; a crash between the write and the commit is repaired by
truncating the file back to that offset on the next PATCH.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import (
    ConflictError,
    NotFoundError,
    OpendataError,
    Problem,
    ValidationError,
    room_for,
)
from opendata.core.files import sha256_file
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.services.jobs import Submission, job_create
from opendata.services.registry import get_dataset_for_write
from opendata.store.jobs import IngestJob, UploadSession
from opendata.store.models import Dataset, utcnow

CHUNK = 1024 * 1024
CHECKSUM_ALGORITHMS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "md5": hashlib.md5}


class PayloadTooLargeError(OpendataError):
    """The upload is larger than OPENDATA_MAX_UPLOAD_BYTES."""

    code = "payload-too-large"


class IncompleteUploadError(OpendataError):
    """The request ended before the announced number of bytes arrived."""

    code = "incomplete-upload"


class ChecksumMismatchError(OpendataError):
    """A tus chunk does not match its Upload-Checksum."""

    code = "checksum-mismatch"


def too_large(limit: int) -> PayloadTooLargeError:
    return PayloadTooLargeError(f"uploads are limited to {limit} bytes (OPENDATA_MAX_UPLOAD_BYTES)")


def copy_stream(stream: BinaryIO, out: BinaryIO, *, limit: int, expected: int | None = None,
                hashers: tuple[Any, ...] = ()) -> int:
    """Copy ``stream`` to ``out`` in chunks, stopping with 413 past ``limit``; returns the bytes copied.

    The chunks are read into one buffer (``readinto``) instead of a new bytes object each, which
    saves two 1 MiB allocations and copies per chunk made with the interpreter lock held (every
    other request thread of the process waits meanwhile). The buffers of the server's own readers
    are kept for reuse by opendata.core.allocator. Streams without ``readinto`` are read as before.
    """
    buffer = memoryview(bytearray(CHUNK))
    readinto = getattr(stream, "readinto", None)
    size = 0
    while True:
        want = CHUNK if expected is None else min(CHUNK, expected - size)
        if want <= 0:
            break
        chunk = buffer[:readinto(buffer[:want]) or 0] if readinto is not None else stream.read(want)
        if not chunk:
            break
        size += len(chunk)
        if size > limit:
            raise too_large(limit)
        for h in hashers:
            h.update(chunk)
        out.write(chunk)
    if expected is not None and size < expected:
        raise IncompleteUploadError(f"the request ended after {size} of {expected} bytes")
    return size


def receive_upload(stream: BinaryIO, dest: Path, *, limit: int, expected: int | None) -> tuple[int, str]:
    """Write a request body to ``dest`` (fsynced); (bytes, sha256). Removes the file on any error."""
    if expected is not None and expected > limit:
        raise too_large(limit)
    digest = hashlib.sha256()
    try:
        with room_for("the uploaded file"), open(dest, "xb") as out:
            size = copy_stream(stream, out, limit=limit, expected=expected, hashers=(digest,))
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        dest.unlink(missing_ok=True)
        raise
    return size, digest.hexdigest()


# -- tus ---------------------------------------------------------------------------------------

def parse_tus_metadata(header: str | None) -> dict[str, str]:
    """``Upload-Metadata: key base64value,key2 base64value2`` as a dict (values decoded as UTF-8)."""
    out: dict[str, str] = {}
    for pair in filter(None, (p.strip() for p in (header or "").split(","))):
        key, _, value = pair.partition(" ")
        try:
            out[key] = base64.b64decode(value.strip(), validate=True).decode("utf-8") if value else ""
        except (ValueError, UnicodeDecodeError):
            raise ValidationError("Upload-Metadata values must be base64 of UTF-8 text", problems=[
                Problem("invalid-metadata", f"value of '{key}' is not base64 UTF-8", path="Upload-Metadata")]) from None
    return out


def tus_create(*, session: Session, actor: Viewer, dataset: Dataset, length: int, metadata: dict[str, str],
               folder: Path, limit: int, expiry_hours: int) -> UploadSession:
    """Open a resumable upload of ``length`` bytes (an empty file on disk until PATCHes arrive)."""
    if length > limit:
        raise too_large(limit)
    if length == 0:
        raise ValidationError("an upload needs at least one byte", problems=[
            Problem("empty-upload", "Upload-Length is 0", path="Upload-Length")])
    upload = UploadSession(dataset_id=dataset.id, actor=actor.user or "", upload_length=length,
                           upload_offset=0, metadata_=metadata, temp_path="",
                           expires_at=utcnow() + timedelta(hours=expiry_hours))
    session.add(upload)
    session.flush()
    upload.temp_path = str(folder / f"tus-{upload.uuid}.part")
    Path(upload.temp_path).touch()
    audit_record(session=session, actor=actor, action="upload-created", target_type="upload_session",
                 target_id=upload.uuid, after={"dataset": dataset.identifier, "length": length,
                                               "filename": metadata.get("filename")})
    return upload


def tus_get(*, session: Session, actor: Viewer, identifier: str, uuid: str) -> UploadSession:
    """The actor's own open upload of the dataset, else NotFoundError.

    An upload is its creator's alone: anyone else, another organization's publisher or an
    administrator, is answered as if it did not exist (ownership is checked before the right to
    publish, so the answer says nothing about the dataset either). Its creator is still refused
    (403) once they may no longer publish for the dataset's organization.
    """
    upload = session.scalar(select(UploadSession).join(Dataset, Dataset.id == UploadSession.dataset_id).where(
        UploadSession.uuid == uuid, Dataset.identifier == identifier))
    if upload is None or actor.user is None or upload.actor != actor.user or (
            upload.completed_at is None and upload.expires_at < utcnow()):
        raise NotFoundError(f"upload '{uuid}' does not exist (or has expired)")
    get_dataset_for_write(session, actor, identifier)
    return upload


@contextmanager
def locked_upload(path: str) -> Iterator[BinaryIO]:
    """The upload's file, opened for writing and locked against any other writer (any process).

    A second PATCH of the same upload while one is running answers 409 instead of waiting.
    """
    with open(path, "r+b") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ConflictError("another PATCH of this upload is in progress; retry after it ends") from None
        try:
            yield fh
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def tus_append(*, upload: UploadSession, out: BinaryIO, offset: int, stream: BinaryIO,
               content_length: int | None, checksum: str | None) -> int:
    """Write one PATCH body at ``offset`` into the locked file ``out``; returns the new offset.

    The caller commits the offset afterwards, outside the transaction that read it, so no
    database transaction stays open while bytes arrive.
    """
    if upload.completed_at is not None or offset != upload.upload_offset:
        raise ConflictError(f"Upload-Offset {offset} does not match the upload's offset {upload.upload_offset}",
                            problems=[Problem("offset-mismatch", "send the offset HEAD returns", path="Upload-Offset")])
    remaining = upload.upload_length - offset
    if content_length is not None and content_length > remaining:
        raise PayloadTooLargeError(f"this upload needs only {remaining} more bytes")
    algo, expected = _checksum(checksum)
    hasher = CHECKSUM_ALGORITHMS[algo]() if algo else None
    out.seek(offset)
    out.truncate()  # drop bytes a crashed earlier PATCH wrote but never committed
    try:
        with room_for("this part of the upload"):
            written = copy_stream(stream, out, limit=remaining, hashers=(hasher,) if hasher else ())
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        out.truncate(offset)
        raise
    if hasher is not None and hasher.digest() != expected:
        out.truncate(offset)
        raise ChecksumMismatchError(f"the chunk does not match its {algo} Upload-Checksum")
    return offset + written


def _checksum(header: str | None) -> tuple[str | None, bytes | None]:
    if not header:
        return None, None
    algo, _, value = header.strip().partition(" ")
    if algo not in CHECKSUM_ALGORITHMS:
        raise ValidationError(f"unsupported checksum algorithm '{algo}' (use {', '.join(CHECKSUM_ALGORITHMS)})",
                              problems=[Problem("bad-checksum-algorithm", algo, path="Upload-Checksum")])
    try:
        return algo, base64.b64decode(value.strip(), validate=True)
    except ValueError:
        raise ValidationError("Upload-Checksum value must be base64", problems=[
            Problem("bad-checksum", "not base64", path="Upload-Checksum")]) from None


def tus_complete(*, session: Session, actor: Viewer, upload: UploadSession,
                 sha256: str | None = None) -> tuple[IngestJob, bool]:
    """A fully received upload becomes a queued ingest job (once). ``sha256``: the file's, hashed by a
    caller before its transaction began (a gigabyte takes seconds, which no write lock should wait)."""
    if upload.job is not None:
        return upload.job, False
    path = Path(upload.temp_path)
    meta = upload.metadata_ or {}
    job, created = job_create(session=session, actor=actor, submission=Submission(
        dataset_id=upload.dataset_id, filename=safe_filename(meta.get("filename") or path.name), path=path,
        size=upload.upload_length, sha256=sha256 or sha256_file(path)[0], sheet=meta.get("sheet") or None))
    upload.completed_at, upload.job_id = utcnow(), job.id
    return job, created


def tus_terminate(*, session: Session, actor: Viewer, upload: UploadSession) -> None:
    """Delete an unfinished upload and its bytes (tus termination)."""
    if upload.completed_at is not None:
        raise ConflictError("this upload is complete; its ingest job cannot be terminated here")
    Path(upload.temp_path).unlink(missing_ok=True)
    audit_record(session=session, actor=actor, action="upload-terminated", target_type="upload_session",
                 target_id=upload.uuid, before={"offset": upload.upload_offset, "length": upload.upload_length})
    session.delete(upload)


def safe_filename(name: str) -> str:
    """A file name without folders or control characters (it is only ever a label)."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return name[:200] or "upload"

