"""Views of /api/v1/review: one MethodView per resource; errors in the one shape (opendata.api.errors)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_admin, require_authenticated
from opendata.services import review, review_cases
from opendata.services.review import MASK_METHODS, RESOLUTION_ACTIONS

blp = Blueprint("review", "opendata.api.v1.review", url_prefix="/api/v1/review",
                description="Review before publishing (三审): queue, steps, PII findings, publish, withdraw.")
BEARER = [{"bearerAuth": []}]
VERSION_PATH = "/datasets/<dataset_id>/versions/<int:number>"


def _runtime():
    return current_app.extensions["opendata"]


class _Strict(ArgumentsSchema):
    class Meta:
        unknown = RAISE


class ReviewStepSchema(_Strict):
    step = fields.String(required=True, metadata={"description": "the next configured step, e.g. submit"})
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class ReviewReasonSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=4000))


class ReviewNoteSchema(_Strict):
    note = fields.String(allow_none=True, validate=validate.Length(max=4000))


class ReviewResolveSchema(_Strict):
    field = fields.String(required=True, metadata={"description": "field name of the finding"})
    kind = fields.String(required=True, metadata={"description": "kind of the finding, e.g. id-number"})
    action = fields.String(required=True, validate=validate.OneOf(RESOLUTION_ACTIONS))
    method = fields.String(allow_none=True, validate=validate.OneOf(MASK_METHODS),
                           metadata={"description": "for mask: hash or partial"})
    keepFirst = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, review.MAX_KEEP))  # noqa: N815
    keepLast = fields.Integer(allow_none=True, strict=True, validate=validate.Range(0, review.MAX_KEEP))  # noqa: N815
    reason = fields.String(allow_none=True, validate=validate.Length(max=4000),
                           metadata={"description": "required for confirm"})


class ReviewQueueSchema(Schema):
    versions = fields.List(fields.Dict())


class ReviewViewSchema(Schema):
    dataset = fields.Dict()
    version = fields.Dict()
    report = fields.Dict()
    pii = fields.Dict()
    steps = fields.Dict()
    decisions = fields.List(fields.Dict())
    resolutions = fields.List(fields.Dict())


class ReviewResolutionSchema(Schema):
    field = fields.String()
    kinds = fields.List(fields.String())
    resolution = fields.String()
    unresolved = fields.Integer()


class ReviewVersionStateSchema(Schema):
    dataset = fields.String()
    number = fields.Integer()
    state = fields.String()


@blp.route("/queue")
class Queue(MethodView):
    @blp.response(200, ReviewQueueSchema)
    @blp.doc(security=BEARER)
    def get(self):
        """Versions awaiting review in your organizations, with the next step."""
        viewer = require_authenticated()
        return review_cases.review_queue_of(runtime=_runtime(), viewer=viewer)


@blp.route(VERSION_PATH)
class ReviewView(MethodView):
    @blp.response(200, ReviewViewSchema)
    @blp.doc(security=BEARER)
    def get(self, dataset_id: str, number: int):
        """The review view: report summary, PII findings with masked samples, steps so far."""
        viewer = require_authenticated()
        return review_cases.review_view_of(runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number)


@blp.route(f"{VERSION_PATH}/steps")
class Steps(MethodView):
    @blp.arguments(ReviewStepSchema)
    @blp.response(200, ReviewViewSchema)
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str, number: int):
        """Take the next review step (the last one publishes)."""
        viewer = require_authenticated()
        return review.review_step(runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number,
                                  step=args["step"], note=args.get("note"))


@blp.route(f"{VERSION_PATH}/reject")
class Reject(MethodView):
    @blp.arguments(ReviewReasonSchema)
    @blp.response(200, ReviewViewSchema)
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str, number: int):
        """Reject a version awaiting review, with a reason."""
        viewer = require_authenticated()
        return review_cases.reject_version(runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number,
                                           reason=args["reason"])


@blp.route(f"{VERSION_PATH}/findings")
class Findings(MethodView):
    @blp.arguments(ReviewResolveSchema)
    @blp.response(200, ReviewResolutionSchema)
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str, number: int):
        """Resolve a personal-information finding: mask, drop, or confirm lawful with a reason."""
        viewer = require_authenticated()
        return review_cases.resolve_pii_finding(
            runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number, field=args["field"],
            kind=args["kind"], action=args["action"], method=args.get("method"),
            keep_first=args.get("keepFirst"), keep_last=args.get("keepLast"), reason=args.get("reason"))


@blp.route(f"{VERSION_PATH}/publish")
class Publish(MethodView):
    @blp.arguments(ReviewNoteSchema)
    @blp.response(200, ReviewVersionStateSchema)
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str, number: int):
        """Publish a version awaiting review at once (administrators)."""
        viewer = require_admin()
        return review.version_publish(runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number,
                                      note=args.get("note"))


@blp.route(f"{VERSION_PATH}/withdraw")
class Withdraw(MethodView):
    @blp.arguments(ReviewReasonSchema)
    @blp.response(200, ReviewVersionStateSchema)
    @blp.doc(security=BEARER)
    def post(self, args, dataset_id: str, number: int):
        """Withdraw a published or waiting version, with a reason."""
        viewer = require_authenticated()
        return review.version_withdraw(runtime=_runtime(), viewer=viewer, identifier=dataset_id, number=number,
                                       reason=args["reason"])
