"""Resumable uploads with the tus 1.0 protocol (core, creation, termination, expiration, checksum).

``POST …/uploads/tus/`` with ``Upload-Length`` (and ``Upload-Metadata: filename <base64>``)
opens an upload and answers its URL; ``HEAD`` tells the offset; each ``PATCH`` with
``Content-Type: application/offset+octet-stream`` and ``Upload-Offset`` appends bytes; when the
offset reaches the length, an ingest job starts (its URL in the ``Location-Job`` header of the
last PATCH). See docs/api-write.md.
"""

from __future__ import annotations

from email.utils import format_datetime

from flask import Response, request
from flask.views import MethodView

from opendata.api.auth import require_scope
from opendata.api.errors import TusVersionError
from opendata.api.urls import links
from opendata.api.v1.common import (
    BEARER,
    job_url,
    make_blueprint,
    runner,
    runtime,
    session_scope,
)
from opendata.core.errors import Problem, ValidationError
from opendata.services.access import Viewer
from opendata.services.jobs import uploads_dir
from opendata.services.registry import get_dataset_for_write
from opendata.services.uploads import (
    CHECKSUM_ALGORITHMS,
    locked_upload,
    parse_tus_metadata,
    tus_append,
    tus_complete,
    tus_create,
    tus_get,
    tus_terminate,
)
from opendata.store.jobs import UploadSession

blp = make_blueprint("tus", "Resumable uploads (tus 1.0): create, resume, terminate.")
TUS_VERSION = "1.0.0"
EXTENSIONS = "creation,termination,expiration,checksum"
OFFSET_TYPE = "application/offset+octet-stream"


@blp.after_request
def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = TUS_VERSION
    if response.status_code == 412 or request.method == "OPTIONS":
        response.headers["Tus-Version"] = TUS_VERSION
    return response


def _header_int(name: str, *, required: bool = True) -> int | None:
    raw = request.headers.get(name)
    if raw is None and not required:
        return None
    if raw is None or not raw.strip().isdigit():
        raise ValidationError(f"{name} must be a non-negative integer",
                              problems=[Problem("invalid-header", f"bad or missing {name}", path=name)])
    return int(raw)


def _check_version() -> None:
    if request.headers.get("Tus-Resumable") != TUS_VERSION:
        raise TusVersionError(f"send Tus-Resumable: {TUS_VERSION}",
                              problems=[Problem("tus-version", "unsupported tus version", path="Tus-Resumable")])


def _offset_headers(upload: UploadSession) -> dict[str, str]:
    return {"Upload-Offset": str(upload.upload_offset), "Upload-Length": str(upload.upload_length),
            "Upload-Expires": format_datetime(upload.expires_at, usegmt=True), "Cache-Control": "no-store"}


def _upload_url(dataset_id: str, uuid: str) -> str:
    return links().tus_upload(dataset_id, uuid)


def _open(actor: Viewer, dataset_id: str, upload_id: str, session):
    ds = get_dataset_for_write(session, actor, dataset_id)
    return tus_get(session=session, actor=actor, dataset=ds, uuid=upload_id)


@blp.route("/datasets/<dataset_id>/uploads/tus/")
class TusUploads(MethodView):
    @blp.response(204)
    def options(self, dataset_id: str):
        """tus discovery: version, extensions, size limit, checksum algorithms."""
        return Response(status=204, headers={
            "Tus-Extension": EXTENSIONS, "Tus-Max-Size": str(runtime().config.MAX_UPLOAD_BYTES),
            "Tus-Checksum-Algorithm": ",".join(CHECKSUM_ALGORITHMS)})

    @blp.response(201)
    @blp.doc(security=BEARER, parameters=[
        {"in": "header", "name": "Upload-Length", "required": True, "schema": {"type": "integer"}},
        {"in": "header", "name": "Upload-Metadata", "schema": {"type": "string"},
         "description": "filename <base64>, sheet <base64>"},
        {"in": "header", "name": "Tus-Resumable", "required": True, "schema": {"type": "string", "enum": ["1.0.0"]}}])
    def post(self, dataset_id: str):
        """Open a resumable upload; answers 201 with its URL in Location."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        length = _header_int("Upload-Length")
        metadata = parse_tus_metadata(request.headers.get("Upload-Metadata"))
        rt = runtime()
        with session_scope() as session:
            ds = get_dataset_for_write(session, actor, dataset_id)
            upload = tus_create(session=session, actor=actor, dataset=ds, length=length, metadata=metadata,
                                folder=uploads_dir(rt), limit=int(rt.config.MAX_UPLOAD_BYTES),
                                expiry_hours=int(rt.config.UPLOAD_EXPIRY_HOURS))
            headers = {"Location": _upload_url(dataset_id, upload.uuid), **_offset_headers(upload)}
        return Response(status=201, headers=headers)


@blp.route("/datasets/<dataset_id>/uploads/tus/<upload_id>")
class TusUpload(MethodView):
    @blp.response(200)
    @blp.doc(security=BEARER)
    def head(self, dataset_id: str, upload_id: str):
        """The upload's offset (where the next PATCH starts) and length."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        with session_scope() as session:
            upload = _open(actor, dataset_id, upload_id, session)
            headers = _offset_headers(upload)
            if upload.job is not None:
                headers["Location-Job"] = job_url(upload.job.uuid)
        return Response(status=200, headers=headers)

    @blp.response(204)
    @blp.doc(security=BEARER, description=f"The body is the next bytes of the file, sent as Content-Type: "
             f"{OFFSET_TYPE} (tus 1.0; see docs/api-write.md). Headers: Tus-Resumable: 1.0.0, Upload-Offset, "
             "optionally Upload-Checksum: sha1|sha256|md5 <base64>.")
    def patch(self, dataset_id: str, upload_id: str):
        """Append bytes at Upload-Offset (409 when it is not the upload's offset; 460 on a bad checksum)."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        if request.mimetype != OFFSET_TYPE:
            return Response(status=415, headers={"Accept-Patch": OFFSET_TYPE})
        offset = _header_int("Upload-Offset")
        with session_scope() as session:
            path = _open(actor, dataset_id, upload_id, session).temp_path
        with locked_upload(path) as out:
            with session_scope() as session:  # the offset as committed, read under the file lock
                upload = _open(actor, dataset_id, upload_id, session)
            new_offset = tus_append(upload=upload, out=out, offset=offset, stream=request.stream,
                                    content_length=request.content_length,
                                    checksum=request.headers.get("Upload-Checksum"))
            with session_scope() as session:
                upload = _open(actor, dataset_id, upload_id, session)
                upload.upload_offset = new_offset
                headers = _offset_headers(upload)
                job_id = None
                if upload.upload_offset == upload.upload_length:
                    job, created = tus_complete(session=session, actor=actor, upload=upload)
                    headers["Location-Job"] = job_url(job.uuid)
                    job_id = job.id if created else None
        if job_id is not None:
            runner().submit(job_id)
        return Response(status=204, headers=headers)

    @blp.response(204)
    @blp.doc(security=BEARER)
    def delete(self, dataset_id: str, upload_id: str):
        """Terminate an unfinished upload and delete its bytes."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        with session_scope() as session:
            tus_terminate(session=session, actor=actor, upload=_open(actor, dataset_id, upload_id, session))
        return Response(status=204)
