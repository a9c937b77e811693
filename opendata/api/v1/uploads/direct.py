"""Upload a version: the body streamed to disk, Idempotency-Key; answers 202 with the ingest job."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_scope
from opendata.api.v1.common import BEARER, make_blueprint, runtime
from opendata.api.v1.jobs import JobSchema, with_links
from opendata.core.errors import Problem, ValidationError
from opendata.services.version_uploads import UploadRequest, upload_version

blp = make_blueprint("uploads", "Upload versions and follow their ingest jobs.")
MAX_KEY = 255


class UploadQueryArgsSchema(ArgumentsSchema):
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
        upload = UploadRequest(request.stream, request.content_length, args.get("filename"), args.get("sheet"),
                               _idempotency_key())
        job, _created = upload_version(runtime=runtime(), actor=actor, dataset=dataset_id, upload=upload)
        body = with_links(job)
        return body, 202, {"Location": body["url"]}
