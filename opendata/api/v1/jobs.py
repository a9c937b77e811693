"""/api/v1/jobs: ingest jobs, their progress and, when done, the version with its report summary."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_authenticated
from opendata.api.v1.common import BEARER, job_url, make_blueprint, runtime
from opendata.core.urls import SITE
from opendata.services.jobs import JOB_STATES, MAX_JOB_PAGE, JobFilter, job_dict, job_get, job_list
from opendata.services.unit_of_work import run

blp = make_blueprint("jobs", "Ingest jobs: state, progress, the version made and its report summary.")


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


class JobListQueryArgsSchema(ArgumentsSchema):
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
    return with_links(job_dict(job))


def with_links(out: dict) -> dict:
    """A job's dict (services.jobs.job_dict) with its URL and its version's."""
    out["url"] = job_url(out["id"])
    if out["version"] is not None:
        out["version"]["url"] = SITE.version_api(out["dataset"], out["version"]["number"])
    return out



@blp.route("/jobs")
class Jobs(MethodView):
    @blp.arguments(JobListQueryArgsSchema, location="query")
    @blp.response(200, JobPageSchema)
    @blp.doc(security=BEARER)
    def get(self, args):
        """Ingest jobs you may follow (yours, your organizations' as a publisher; administrators: all), newest first."""
        actor = require_authenticated()
        filters = JobFilter(**{k: args.get(k) for k in ("dataset", "state", "before")}, mine=args["mine"])
        items = run(runtime(), job_list, viewer=actor, filters=filters, limit=args["limit"],
                    present=lambda jobs: [job_body(j) for j in jobs])
        return {"items": items, "next": items[-1]["id"] if len(items) == args["limit"] else None}


@blp.route("/jobs/<job_id>")
class JobById(MethodView):
    @blp.response(200, JobSchema)
    @blp.doc(security=BEARER)
    def get(self, job_id: str):
        """An ingest job: state and progress, then the version with its report summary."""
        actor = require_authenticated()
        return run(runtime(), job_get, uuid=job_id, viewer=actor, present=job_body)
