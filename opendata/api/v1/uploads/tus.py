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

from opendata.api.arguments import INT64_MAX
from opendata.api.auth import require_scope
from opendata.api.errors import TusVersionError
from opendata.api.urls import links
from opendata.api.v1.common import BEARER, job_url, make_blueprint, runtime
from opendata.core.errors import Problem, ValidationError
from opendata.services.uploads import CHECKSUM_ALGORITHMS, parse_tus_metadata
from opendata.services.version_uploads import TusState, tus_cancel, tus_open, tus_patch, tus_status

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


def _offset_headers(state: TusState) -> dict[str, str]:
    headers = {"Upload-Offset": str(state.offset), "Upload-Length": str(state.length),
               "Upload-Expires": format_datetime(state.expires_at, usegmt=True), "Cache-Control": "no-store"}
    if state.job_uuid is not None:
        headers["Location-Job"] = job_url(state.job_uuid)
    return headers


def _upload_url(dataset_id: str, uuid: str) -> str:
    return links().tus_upload(dataset_id, uuid)


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
        {"in": "header", "name": "Upload-Length", "required": True,
         "schema": {"type": "integer", "format": "int64", "minimum": 1, "maximum": INT64_MAX}},
        {"in": "header", "name": "Upload-Metadata", "schema": {"type": "string"},
         "description": "filename <base64>, sheet <base64>"},
        {"in": "header", "name": "Tus-Resumable", "required": True, "schema": {"type": "string", "enum": ["1.0.0"]}}])
    def post(self, dataset_id: str):
        """Open a resumable upload; answers 201 with its URL in Location."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        length = _header_int("Upload-Length")
        metadata = parse_tus_metadata(request.headers.get("Upload-Metadata"))
        state = tus_open(runtime=runtime(), actor=actor, dataset=dataset_id, length=length, metadata=metadata)
        return Response(status=201, headers={"Location": _upload_url(dataset_id, state.uuid), **_offset_headers(state)})


@blp.route("/datasets/<dataset_id>/uploads/tus/<upload_id>")
class TusUpload(MethodView):
    @blp.response(200)
    @blp.doc(security=BEARER)
    def head(self, dataset_id: str, upload_id: str):
        """The upload's offset (where the next PATCH starts) and length."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        state = tus_status(runtime=runtime(), actor=actor, dataset=dataset_id, uuid=upload_id)
        return Response(status=200, headers=_offset_headers(state))

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
        state = tus_patch(runtime=runtime(), actor=actor, dataset=dataset_id, uuid=upload_id, offset=offset,
                          stream=request.stream, content_length=request.content_length,
                          checksum=request.headers.get("Upload-Checksum"))
        return Response(status=204, headers=_offset_headers(state))

    @blp.response(204)
    @blp.doc(security=BEARER)
    def delete(self, dataset_id: str, upload_id: str):
        """Terminate an unfinished upload and delete its bytes."""
        actor = require_scope("publish")  # credentials first: 401 before any protocol answer
        _check_version()
        tus_cancel(runtime=runtime(), actor=actor, dataset=dataset_id, uuid=upload_id)
        return Response(status=204)
