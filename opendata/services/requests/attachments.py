"""Reply attachments: recognised by their content, bounded in size, stored once, never changed.

A file's type is what its bytes are (PDF, OFD, PNG, JPEG, the Office Open XML formats, ZIP, or
UTF-8 text for CSV and TXT), and its name must agree; anything else is refused before it is
stored, naming the file. Files go to the artifact store under their sha256 (identical bytes are
kept once); the database row is a record. An attachment belongs to the reply only when the
decision names it; until then staff see it and the applicant does not.
"""

from __future__ import annotations

import tempfile
import unicodedata
import zipfile
from pathlib import PurePosixPath
from typing import BinaryIO

from opendata.core.errors import NotFoundError, OpendataError, Problem, ValidationError
from opendata.core.requests import applicant as ap
from opendata.services.access import Viewer
from opendata.services.requests import timeline
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import handled_request, readable_request
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.requests import RequestAttachment

MEDIA_TYPES = {"pdf": "application/pdf", "ofd": "application/ofd", "png": "image/png", "jpeg": "image/jpeg",
               "csv": "text/csv; charset=utf-8", "txt": "text/plain; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
               "zip": "application/zip"}
EXTENSIONS = {"pdf": (".pdf",), "ofd": (".ofd",), "png": (".png",), "jpeg": (".jpg", ".jpeg"), "csv": (".csv",),
              "txt": (".txt",), "xlsx": (".xlsx",), "docx": (".docx",), "zip": (".zip",)}
_CHUNK = 1 << 20


class AttachmentTooLargeError(OpendataError):
    """An attachment over OPENDATA_REQUESTS_ATTACHMENT_MAX_BYTES."""

    code = "attachment-too-large"


def sniff(head: bytes, path_for_zip: BinaryIO | None = None) -> str | None:
    """The attachment type the bytes are, or None when they are none of the accepted types."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"PK\x03\x04") and path_for_zip is not None:
        try:
            with zipfile.ZipFile(path_for_zip) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if "OFD.xml" in names:
            return "ofd"
        return "zip"
    if b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            if exc.start < len(head) - 3:  # a character cut at the end of the sample is fine
                return None
        return "text"
    return None


def clean_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    base = PurePosixPath(unicodedata.normalize("NFC", (name or "").replace("\\", "/"))).name.strip()
    if not base or base in (".", ".."):
        raise ap.invalid("file", "the attachment needs a file name")
    return ap.check_text(base, "file", required=True, max_length=200)


def add_attachment(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, filename: str,
                   stream: BinaryIO) -> RequestAttachment:
    """Check and store one file for a request's reply (staff of the receiving organisation)."""
    name = clean_filename(filename)
    with tempfile.TemporaryFile() as spool:
        size = _copy_bounded(stream, spool, policy.attachment_max_bytes, name)
        spool.seek(0)
        kind = _kind(spool, name, policy)
        spool.seek(0)
        with transaction(runtime.sessions) as session:
            request = handled_request(session, viewer, code)
            if request.state == "closed":
                raise ap.invalid("file", "the request is closed: its reply cannot change", "request-closed")
            rel, sha256, _size = runtime.artifacts.put_stream(spool, suffix=EXTENSIONS[kind][0])
            attachment = RequestAttachment(request_id=request.id, filename=name, media_type=MEDIA_TYPES[kind],
                                           bytes=size, sha256=sha256, path=rel, uploaded_by=timeline.actor_name(viewer))
            session.add(attachment)
            session.flush()
            timeline.record(session, request, viewer, "attachment-added", public=False, text=name,
                            data={"attachment": attachment.id, "bytes": size, "sha256": sha256})
            return attachment


def staff_attachment(*, runtime: Runtime, viewer: Viewer, code: str, attachment_id: int) -> RequestAttachment:
    """An attachment of a request the viewer reads as staff (the same 404 as a missing one otherwise)."""
    with runtime.sessions() as session:
        request, _scope = readable_request(session, viewer, code)
        found = session.get(RequestAttachment, attachment_id)
        if found is None or found.request_id != request.id:
            raise NotFoundError(f"no attachment {attachment_id} on request {code!r}")
        session.expunge(found)
        return found


def _copy_bounded(stream: BinaryIO, out: BinaryIO, limit: int, name: str) -> int:
    size = 0
    while chunk := stream.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise AttachmentTooLargeError(f"{name}: larger than {limit:,} bytes", problems=[
                Problem("attachment-too-large", f"at most {limit:,} bytes are accepted", file=name, path="file")])
        out.write(chunk)
    if size == 0:
        raise ap.invalid("file", f"{name}: the file is empty", "empty-file")
    return size


def _kind(spool: BinaryIO, name: str, policy: RequestPolicy) -> str:
    head = spool.read(4096)
    spool.seek(0)
    found = sniff(head, spool)
    suffix = PurePosixPath(name).suffix.lower()
    if found == "text":
        found = "csv" if suffix == ".csv" else "txt"
    if found is None or found not in policy.attachment_types:
        accepted = ", ".join(sorted(policy.attachment_types))
        raise ValidationError(f"{name}: not an accepted type (accepted: {accepted})", problems=[
            Problem("attachment-type", f"the content is not one of {accepted}", file=name, path="file")])
    if suffix not in EXTENSIONS[found]:
        raise ValidationError(f"{name}: the content is {found}, but the name ends in {suffix or 'nothing'}", problems=[
            Problem("attachment-type", f"rename the file to end in {EXTENSIONS[found][0]}", file=name, path="file")])
    return found
