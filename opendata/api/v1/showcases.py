"""Routes of /api/v1/showcases: reuse showcases (应用成果). Each calls one service of opendata.services.showcases.

Anyone submits (multipart/form-data with an optional ``screenshot`` file, or JSON without one;
rate-limited per address); published showcases and their screenshots are public; moderators (an
administrator, or a publisher of one of the datasets a showcase uses) see their queue, the
showcases awaiting them, and publish, reject or withdraw.
"""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.files import StoredFile, send_stored
from opendata.api.ratelimit import limit_per_address
from opendata.api.urls import links
from opendata.api.v1.common import BEARER, make_blueprint, runtime, viewer
from opendata.core.errors import Problem, ValidationError
from opendata.core.showcase import KINDS, STATES
from opendata.services.showcases.moderation import DECISIONS, moderate_showcase, moderation_queue
from opendata.services.showcases.reading import list_showcases, showcase_detail, showcase_screenshot
from opendata.services.showcases.submission import submit_showcase

blp = make_blueprint("showcases", "Reuse showcases (应用成果): apps, analyses and visualisations built on the datasets; "
                                  "anyone submits, moderators publish; the CKAN ckanext-showcase actions read them too.")
_NAME = "/showcases/<string(maxlength=100):name>"
_S = {"allow_none": True}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ShowcaseListQueryArgsSchema(_Strict):
    dataset = fields.String(validate=validate.Length(max=100), metadata={"description": "showcases using this dataset"})
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=0, max=100))


class ModerationQueryArgsSchema(_Strict):
    state = fields.String(load_default="pending", validate=validate.OneOf(STATES))


class ModerationSchema(_Strict):
    decision = fields.String(required=True, validate=validate.OneOf(tuple(DECISIONS)))
    note = fields.String(validate=validate.Length(max=2000), metadata={"description": "why (required to reject or "
                                                                                      "withdraw)"}, **_S)


class ShowcaseFormSchema(Schema):
    """A submission; ``datasets`` repeated or comma-separated."""

    title = fields.String(required=True, validate=validate.Length(max=200))
    description = fields.String(required=True, validate=validate.Length(max=5000))
    url = fields.String(required=True, metadata={"description": "http:// or https:// address of the showcase"})
    kind = fields.String(validate=validate.OneOf(tuple(KINDS)))
    author = fields.String(required=True, validate=validate.Length(max=200))
    author_email = fields.String(metadata={"description": "for the moderators only"})
    name = fields.String(metadata={"description": "the showcase's name in its URL (made from the title if absent)"})
    datasets = fields.List(fields.String(), required=True, metadata={"description": "dataset identifiers"})
    screenshot = fields.Raw(metadata={"type": "string", "format": "binary",
                                      "description": "PNG, JPEG or WebP (multipart only)"})


class DatasetRefSchema(Schema):
    id = fields.String()
    title = fields.String()
    title_en = fields.String(**_S)
    publisher = fields.Dict()
    page = fields.String()


class ShowcaseSchema(Schema):
    """A showcase (``moderation`` for its moderators only)."""

    name = fields.String()
    title = fields.String()
    description = fields.String()
    url = fields.String()
    kind = fields.String()
    kind_name = fields.String()
    kind_name_en = fields.String()
    author = fields.String()
    state = fields.String()
    state_name = fields.String()
    submitted_at = fields.String()
    published_at = fields.String(**_S)
    modified_at = fields.String()
    datasets = fields.List(fields.Nested(DatasetRefSchema))
    screenshot = fields.Dict(**_S)
    links = fields.Dict()
    moderation = fields.Dict()


class ShowcasePageSchema(Schema):
    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    results = fields.List(fields.Nested(ShowcaseSchema))


@blp.route("/showcases")
class Showcases(MethodView):
    @blp.arguments(ShowcaseListQueryArgsSchema, location="query")
    @blp.response(200, ShowcasePageSchema)
    def get(self, args):
        """Published showcases, newest first (optionally those using one dataset, or of one kind)."""
        page, size = args["page"], args["page_size"]
        found = list_showcases(runtime=runtime(), links=links(), dataset=args.get("dataset"), kind=args.get("kind"),
                               offset=(page - 1) * size, limit=size)
        return {"total": found["total"], "page": page, "page_size": size, "results": found["results"]}

    @blp.doc(requestBody={"required": True, "content": {
        "multipart/form-data": {"schema": ShowcaseFormSchema},
        "application/json": {"schema": ShowcaseFormSchema}}})
    @blp.response(201, ShowcaseSchema)
    def post(self):
        """Submit a showcase (anyone; it waits for moderation). Every bad field is named in one 422."""
        limit_per_address(runtime().config.SHOWCASE_SUBMIT_RATE_LIMIT, "showcase submissions")
        form, screenshot = _submitted()
        return submit_showcase(runtime=runtime(), viewer=viewer(), links=links(), form=form, screenshot=screenshot), 201


@blp.route("/showcases/moderation")
class Moderation(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ModerationQueryArgsSchema, location="query")
    @blp.response(200, ShowcaseSchema(many=True))
    def get(self, args):
        """The showcases in a state (pending by default) that you moderate, oldest first."""
        return moderation_queue(runtime=runtime(), viewer=viewer(), links=links(), state=args["state"])


@blp.route(_NAME)
class ShowcaseByName(MethodView):
    @blp.response(200, ShowcaseSchema)
    def get(self, name):
        """A published showcase (its moderators also see it before, with the moderation's details)."""
        return showcase_detail(runtime=runtime(), viewer=viewer(), links=links(), name=name)


@blp.route(f"{_NAME}/moderation")
class ShowcaseDecision(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(ModerationSchema)
    @blp.response(200, ShowcaseSchema)
    def post(self, body, name):
        """Publish, reject or withdraw a showcase (administrators and the publishers of its datasets)."""
        return moderate_showcase(runtime=runtime(), viewer=viewer(), links=links(), name=name, **body)


@blp.route(f"{_NAME}/screenshot")
class Screenshot(MethodView):
    @blp.response(200, content_type="image/png")
    @blp.alt_response(304, description="not modified")
    def get(self, name):
        """The showcase's screenshot (PNG, JPEG or WebP; its ETag is the sha256)."""
        rt = runtime()
        f = showcase_screenshot(runtime=rt, viewer=viewer(), name=name)
        response = send_stored(StoredFile(f.path, f.size, f.sha256, f.media_type, f.modified), home=rt.config.home,
                               accel_prefix=rt.config.ACCEL_REDIRECT_PREFIX, cache_control="public, max-age=3600")
        response.headers["Content-Disposition"] = "inline"
        return response


def _submitted():
    """The submitted fields and the screenshot's stream (None without one), from a form or a JSON body."""
    if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
        form: dict[str, object] = {key: request.form.get(key) for key in request.form if key != "datasets"}
        if "datasets" in request.form:
            form["datasets"] = [v.strip() for item in request.form.getlist("datasets") for v in item.split(",")
                                if v.strip()]
        others = sorted(set(request.files) - {"screenshot"})
        if others:
            raise ValidationError(f"unexpected file {others[0]!r}", problems=[Problem(
                "unknown-field", "the only file accepted is 'screenshot'", path=others[0][:100])])
        upload = request.files.get("screenshot")
        return form, (upload.stream if upload is not None and upload.filename else None)
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        raise ValidationError("send the showcase as multipart/form-data or as a JSON object", problems=[Problem(
            "invalid-body", "the body must be multipart/form-data (with an optional screenshot) or a JSON object",
            path="body")])
    if "screenshot" in body:
        raise ValidationError("a screenshot is sent as a file", problems=[Problem(
            "invalid", "send the screenshot as a multipart/form-data file field", path="screenshot")])
    return body, None
