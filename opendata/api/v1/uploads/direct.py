"""Upload a version: the body streamed to disk, Idempotency-Key; answers 202 with the ingest job."""

from __future__ import annotations

import uuid as uuidlib

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.auth import require_scope
from opendata.api.v1.common import BEARER, make_blueprint, runner, runtime, session_scope
from opendata.api.v1.jobs import JobSchema, job_body
from opendata.core.errors import Problem, ValidationError
from opendata.services.jobs import Submission, job_create, uploads_dir
from opendata.services.registry import get_dataset_for_write
from opendata.services.uploads import receive_upload, safe_filename, too_large

blp = make_blueprint("uploads", "Upload versions and follow their ingest jobs.")
MAX_KEY = 255


class UploadQueryArgsSchema(Schema):
    filename = fields.String(validate=validate.Length(1, 200),
                             metadata={"description": "name of the uploaded file (its extension helps sniffing)"})
    sheet = fields.String(validate=validate.Length(1, 200), metadata={"description": "sheet of an XLSX/XLS file"})


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY or not key.isprintable():
        raise ValidationError("Idempotency-Key must be 1 to 255 printable characters", problems=[
            Problem("invalid-header", "bad Idempotency-Key", path="Idempotency-Key")])
    return key


UPLOAD_BODY = {"required": True, "description": "the file's bytes (CSV, XLSX, XLS or JSON), streamed",
               "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}


@blp.route("/datasets/<dataset_id>/uploads")
class Uploads(MethodView):
    @blp.arguments(UploadQueryArgsSchema, location="query")
    @blp.response(202, JobSchema, headers={"Location": {"description": "the job URL", "schema": {"type": "string"}}})
    @blp.doc(security=BEARER, requestBody=UPLOAD_BODY,
             parameters=[{"in": "header", "name": "Idempotency-Key", "schema": {"type": "string"},
                          "description": "a retry with the same key returns the first job"}])
    def post(self, args, dataset_id: str):
        """Upload a new version: the body is written to disk as it arrives; answers 202 with the job."""
        actor = require_scope("publish")
        key = _idempotency_key()
        rt = runtime()
        limit = int(rt.config.MAX_UPLOAD_BYTES)
        if request.content_length is not None and request.content_length > limit:
            raise too_large(limit)  # before a single byte is read
        with session_scope() as session:
            ds = get_dataset_for_write(session, actor, dataset_id)
            ds_id = ds.id
        dest = uploads_dir(rt) / f"{uuidlib.uuid4().hex}.upload"
        size, digest = receive_upload(request.stream, dest, limit=limit, expected=request.content_length)
        if size == 0:
            dest.unlink(missing_ok=True)
            raise ValidationError("the upload is empty", problems=[Problem("empty-upload", "no bytes", path="body")])
        filename = safe_filename(args.get("filename") or f"{dataset_id}-upload")
        try:
            with session_scope() as session:
                job, created = job_create(session=session, actor=actor, submission=Submission(
                    dataset_id=ds_id, filename=filename, path=dest, size=size, sha256=digest,
                    sheet=args.get("sheet"), idempotency_key=key))
                body, job_id = job_body(job), job.id
        except BaseException:
            dest.unlink(missing_ok=True)
            raise
        if created:
            runner().submit(job_id)
        else:
            dest.unlink(missing_ok=True)  # a retry: the first request's bytes are the ones ingested
        return body, 202, {"Location": body["url"]}
