"""Upload a version (body streamed to disk, Idempotency-Key) and follow its ingest job."""

from __future__ import annotations

import uuid as uuidlib

from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.auth import require_authenticated, require_scope
from opendata.api.v1_write.common import (
    BEARER,
    job_url,
    make_blueprint,
    runner,
    runtime,
    session_scope,
)
from opendata.core.errors import Problem, ValidationError
from opendata.services.jobs import (
    JOB_STATES,
    MAX_JOB_PAGE,
    JobFilter,
    Submission,
    job_create,
    job_dict,
    job_get,
    job_list,
    uploads_dir,
)
from opendata.services.registry import get_dataset_for_write
from opendata.services.uploads import receive_upload, safe_filename, too_large

blp = make_blueprint("uploads", "Upload versions and follow their ingest jobs.")
MAX_KEY = 255


class UploadQueryArgsSchema(Schema):
    filename = fields.String(validate=validate.Length(1, 200),
                             metadata={"description": "name of the uploaded file (its extension helps sniffing)"})
    sheet = fields.String(validate=validate.Length(1, 200), metadata={"description": "sheet of an XLSX/XLS file"})


class ReportSummarySchema(Schema):
    valid = fields.Boolean(allow_none=True)
    errors = fields.Integer(allow_none=True)
    warnings = fields.Integer(allow_none=True)


class JobVersionSchema(Schema):
    number = fields.Integer()
    state = fields.String()
    row_count = fields.Integer(allow_none=True)
    report = fields.Nested(ReportSummarySchema)
    pii_unresolved = fields.Integer()
    url = fields.String()


class ProgressSchema(Schema):
    rows = fields.Integer()
    bytes = fields.Integer()
    total_bytes = fields.Integer(allow_none=True)


class JobSchema(Schema):
    id = fields.String()
    url = fields.String()
    dataset = fields.String()
    state = fields.String(metadata={"description": "queued | running | succeeded | failed"})
    filename = fields.String()
    progress = fields.Nested(ProgressSchema)
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)
    error = fields.Dict(allow_none=True)
    version = fields.Nested(JobVersionSchema, allow_none=True)


class JobListQueryArgsSchema(Schema):
    dataset = fields.String(validate=validate.Length(1, 200), metadata={"description": "a dataset's id"})
    state = fields.String(validate=validate.OneOf(JOB_STATES))
    mine = fields.Boolean(load_default=False, metadata={"description": "only the jobs you submitted"})
    before = fields.String(validate=validate.Length(1, 64),
                           metadata={"description": "a job id: continue with the jobs older than it"})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_JOB_PAGE))


class JobPageSchema(Schema):
    items = fields.List(fields.Nested(JobSchema))
    next = fields.String(allow_none=True, metadata={"description": "pass as before for the next page"})


def job_body(job) -> dict:
    """A job as the API shows it, with links."""
    out = job_dict(job)
    out["url"] = job_url(job.uuid)
    if out["version"] is not None:
        out["version"]["url"] = f"/api/v1/datasets/{out['dataset']}/versions/{out['version']['number']}"
    return out


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


@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(JobListQueryArgsSchema, location="query")
    @blp.response(200, JobPageSchema)
    @blp.doc(security=BEARER)
    def get(self, args):
        """Ingest jobs you may follow (yours, your organizations' as a publisher; administrators: all), newest first."""
        actor = require_authenticated()
        filters = JobFilter(**{k: args.get(k) for k in ("dataset", "state", "before")}, mine=args["mine"])
        with session_scope() as session:
            items = [job_body(j) for j in job_list(session=session, viewer=actor, filters=filters,
                                                   limit=args["limit"])]
        return {"items": items, "next": items[-1]["id"] if len(items) == args["limit"] else None}


@blp.route("/jobs/<job_id>")
class JobById(MethodView):
    @blp.response(200, JobSchema)
    @blp.doc(security=BEARER)
    def get(self, job_id: str):
        """An ingest job: state and progress, then the version with its report summary."""
        actor = require_authenticated()
        with session_scope() as session:
            return job_body(job_get(session=session, uuid=job_id, viewer=actor))
