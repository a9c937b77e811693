"""Disclosure changes over HTTP: ask for a new class, and review the changes that wait (list, steps, reject).

``POST /api/v1/datasets/{id}/disclosure`` asks; a loosening answers 201 with a pending change that
the review steps under ``/api/v1/review/disclosure-changes/{n}`` must approve, a tightening 201 with
an applied one. The rules live in opendata.services.disclosure; errors take the one shape.
"""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_authenticated
from opendata.api.v1.common import runtime
from opendata.core.disclosure import CHANGE_STATES, PENDING
from opendata.core.urls import SITE
from opendata.services import disclosure

blp = Blueprint("disclosure", "opendata.api.v1.disclosure", url_prefix="/api/v1",
                description="Disclosure changes: a loosening of a dataset's class waits for the review steps "
                            "(三审); a tightening is in force at once.")
BEARER = [{"bearerAuth": []}]
CHANGES = "/review/disclosure-changes"


def change_url(change_id: int) -> str:
    """A change's URL as the answers give it: site-relative, like a job's."""
    return SITE.disclosure_change(change_id)


class _Strict(ArgumentsSchema):
    class Meta:
        unknown = RAISE


class DisclosureRequestSchema(_Strict):
    disclosure = fields.String(required=True, metadata={"description": "unconditional | conditional | closed "
                                                                       "(or 无条件开放, 有条件开放, 不予开放)"})
    legal_basis = fields.String(allow_none=True, metadata={
        "description": "required for conditional and closed; must be left out for unconditional"})
    reason = fields.String(required=True, metadata={"description": "why the class changes (recorded)"})


class DisclosureStepSchema(_Strict):
    step = fields.String(required=True, metadata={"description": "the next configured step, e.g. submit"})
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class DisclosureRejectSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class DisclosureListArgsSchema(ArgumentsSchema):
    state = fields.String(load_default=PENDING, validate=validate.OneOf([*CHANGE_STATES, "all"]),
                          metadata={"description": "pending (default), approved, rejected, superseded, applied, all"})
    dataset = fields.String(metadata={"description": "only this dataset's changes"})


class DisclosureClassSchema(Schema):
    disclosure = fields.String()
    legal_basis = fields.String(allow_none=True)


class DisclosureChangeSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    dataset = fields.String()
    title = fields.String()
    organization = fields.String()
    from_ = fields.Nested(DisclosureClassSchema, data_key="from")
    to = fields.Nested(DisclosureClassSchema)
    loosens = fields.Boolean()
    reason = fields.String()
    state = fields.String(metadata={"description": "pending, approved, rejected, superseded or applied"})
    source = fields.String(metadata={"description": "api, cli, catalog.yaml@sha256:<hex>, …"})
    requested_by = fields.String()
    requested_at = fields.String()
    decided_by = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    decision_note = fields.String(allow_none=True)
    steps = fields.Dict()
    decisions = fields.List(fields.Dict())


class DisclosureChangeListSchema(Schema):
    changes = fields.List(fields.Nested(DisclosureChangeSchema))


def _out(change: dict) -> dict:
    return {**change, "from_": change["from"], "url": change_url(change["id"])}


@blp.route("/datasets/<dataset_id>/disclosure")
class DisclosureRequest(MethodView):
    @blp.arguments(DisclosureRequestSchema)
    @blp.response(201, DisclosureChangeSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str):
        """Ask for a new disclosure class: a loosening waits for review, a tightening is in force at once."""
        viewer = require_authenticated()
        change = disclosure.request_disclosure_change(
            runtime=runtime(), viewer=viewer, identifier=dataset_id, disclosure=args["disclosure"],
            legal_basis=args.get("legal_basis"), reason=args["reason"], source="api")
        return _out(change), 201, {"Location": change_url(change["id"])}


@blp.route(CHANGES)
class DisclosureChanges(MethodView):
    @blp.arguments(DisclosureListArgsSchema, location="query")
    @blp.response(200, DisclosureChangeListSchema)
    @blp.doc(security=BEARER)
    def get(self, args):
        """Disclosure changes of the organizations you publish or review for (pending ones by default)."""
        viewer = require_authenticated()
        state = None if args["state"] == "all" else args["state"]
        changes = disclosure.list_disclosure_changes(runtime=runtime(), viewer=viewer, state=state,
                                                     dataset=args.get("dataset"))
        return {"changes": [_out(c) for c in changes]}


@blp.route(f"{CHANGES}/<int:change_id>")
class DisclosureChangeView(MethodView):
    @blp.response(200, DisclosureChangeSchema)
    @blp.doc(security=BEARER)
    def get(self, change_id: int):
        """One disclosure change with its steps so far and the next one."""
        viewer = require_authenticated()
        return _out(disclosure.show_disclosure_change(runtime=runtime(), viewer=viewer, change_id=change_id))


@blp.route(f"{CHANGES}/<int:change_id>/steps")
class DisclosureSteps(MethodView):
    @blp.arguments(DisclosureStepSchema)
    @blp.response(200, DisclosureChangeSchema)
    @blp.doc(security=BEARER)
    def post(self, args, change_id: int):
        """Take the next review step (the last one puts the new class in force)."""
        viewer = require_authenticated()
        return _out(disclosure.take_disclosure_step(runtime=runtime(), viewer=viewer, change_id=change_id,
                                                    step=args["step"], note=args.get("note")))


@blp.route(f"{CHANGES}/<int:change_id>/reject")
class DisclosureReject(MethodView):
    @blp.arguments(DisclosureRejectSchema)
    @blp.response(200, DisclosureChangeSchema)
    @blp.doc(security=BEARER)
    def post(self, args, change_id: int):
        """Reject a pending disclosure change, with a reason (the class stays)."""
        viewer = require_authenticated()
        return _out(disclosure.reject_disclosure_change(runtime=runtime(), viewer=viewer, change_id=change_id,
                                                        reason=args["reason"]))
