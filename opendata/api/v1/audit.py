"""/api/v1/audit: the audit log for administrators, as JSON pages or one CSV export."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Response, stream_with_context
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_admin
from opendata.api.v1.common import BEARER, make_blueprint, runtime
from opendata.services.audit import (
    MAX_PAGE,
    AuditFilter,
    audit_entry_dict,
    audit_export_stream,
    audit_list,
)
from opendata.services.unit_of_work import run

blp = make_blueprint("audit", "The audit log: who changed what, when (administrators).")


class AuditEntrySchema(Schema):
    seq = fields.Integer()
    at = fields.String()
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String(allow_none=True)
    before = fields.Dict(allow_none=True)
    after = fields.Dict(allow_none=True)
    request_id = fields.String(allow_none=True)
    address = fields.String(allow_none=True)
    source = fields.String(allow_none=True, metadata={"description": "catalog.yaml@sha256:<hex> for a sync"})


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema))
    next_after_seq = fields.Integer(allow_none=True, metadata={"description": "pass as after_seq for the next page"})


class AuditQueryArgsSchema(ArgumentsSchema):
    actor = fields.String()
    action = fields.String()
    target_type = fields.String()
    target_id = fields.String()
    source = fields.String(metadata={"description": "e.g. catalog.yaml@sha256:<hex>: the changes of one sync"})
    since = fields.AwareDateTime(metadata={"description": "ISO 8601 with a time zone"})
    until = fields.AwareDateTime()
    after_seq = fields.Integer(validate=validate.Range(min=0))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, MAX_PAGE))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]),
                           metadata={"description": "csv: the whole matching log as a CSV attachment"})



@blp.route("/audit")
class Audit(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(AuditQueryArgsSchema, location="query")
    @blp.response(200, AuditPageSchema)
    @blp.doc(responses={"200": {"description": "OK", "content": {  # the JSON page, or ?format=csv: everything
        "application/json": {"schema": AuditPageSchema},
        "text/csv": {"schema": {"type": "string", "description": "every matching entry as a CSV attachment"}}}}})
    def get(self, args):
        """The audit log, oldest first, for administrators; ?format=csv exports every matching entry."""
        viewer = require_admin()
        filters = AuditFilter(**{k: args.get(k) for k in ("actor", "action", "target_type", "target_id",
                                                          "source", "since", "until", "after_seq")})
        if args["format"] == "csv":
            return _csv_export(viewer, filters)
        items = run(runtime(), audit_list, actor=viewer, filters=filters, limit=args["limit"],
                    present=lambda entries: [audit_entry_dict(e) for e in entries])
        return {"items": items, "next_after_seq": items[-1]["seq"] if len(items) == args["limit"] else None}


def _csv_export(viewer, filters: AuditFilter) -> Response:
    chunks = audit_export_stream(runtime=runtime(), actor=viewer, fmt="csv", filters=filters)

    def generate():
        yield from chunks

    name = f"audit-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.csv"
    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
