"""/api/v1/timeliness: the timeliness board (栏目不逾期): overdue and due-soon datasets, on-time rates."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.urls import links
from opendata.api.v1.common import make_blueprint, runtime
from opendata.core.timeliness import DUE_SOON, NO_SCHEDULE, ON_TIME, OVERDUE
from opendata.services.timeliness.board import MAX_LIMIT, timeliness_board
from opendata.services.timeliness.policy import MAX_WITHIN, TimelinessPolicy, timeliness_policy

blp = make_blueprint("timeliness", "Timeliness (栏目不逾期): datasets overdue or due for an update by their "
                                   "frequency, per organisation and tree, with on-time rates.")
_N = {"allow_none": True}


class TimelinessQueryArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    organization = fields.String(validate=validate.Length(max=100),
                                 metadata={"description": "this organisation and those under it (default: all)"})
    within = fields.Integer(validate=validate.Range(0, MAX_WITHIN),
                            metadata={"description": "days ahead that count as due soon (default "
                                                     "OPENDATA_TIMELINESS_NOTICE_DAYS)"})
    status = fields.List(fields.String(validate=validate.OneOf((OVERDUE, DUE_SOON, ON_TIME, NO_SCHEDULE))),
                         metadata={"description": "which datasets to list (repeatable; default overdue and due-soon)"})
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    limit = fields.Integer(load_default=100, validate=validate.Range(1, MAX_LIMIT))


class TallySchema(Schema):
    datasets = fields.Integer()
    scheduled = fields.Integer(metadata={"description": "datasets with a due date (not 不定期)"})
    overdue = fields.Integer()
    due_soon = fields.Integer()
    on_time = fields.Integer()
    no_schedule = fields.Integer()
    never_published = fields.Integer()
    on_time_rate = fields.Float(**_N, metadata={"description": "scheduled datasets not overdue / scheduled"})


class TimelinessItemSchema(Schema):
    dataset = fields.String()
    title = fields.String()
    url = fields.String()
    organization = fields.String(**_N)
    organization_name = fields.String(**_N)
    frequency = fields.String()
    status = fields.String()
    status_name = fields.String()
    last_update = fields.Date()
    due = fields.Date(**_N)
    days_left = fields.Integer(**_N, metadata={"description": "negative: days overdue"})
    never_published = fields.Boolean()


class TimelinessOrganizationSchema(Schema):
    organization = fields.String()
    name = fields.String()
    depth = fields.Integer()
    parent = fields.String(**_N)
    own = fields.Nested(TallySchema)
    tree = fields.Nested(TallySchema, metadata={"description": "the organisation and those under it"})


class TimelinessBoardSchema(Schema):
    today = fields.Date()
    within = fields.Integer()
    organization = fields.String(**_N)
    rule = fields.String()
    summary = fields.Nested(TallySchema)
    organizations = fields.List(fields.Nested(TimelinessOrganizationSchema))
    status = fields.List(fields.String())
    total = fields.Integer()
    page = fields.Integer()
    limit = fields.Integer()
    items = fields.List(fields.Nested(TimelinessItemSchema))


def policy() -> TimelinessPolicy:
    """This process's timeliness policy (a runtime part)."""
    return timeliness_policy(runtime())


@blp.route("/timeliness")
class Timeliness(MethodView):
    @blp.arguments(TimelinessQueryArgsSchema, location="query")
    @blp.response(200, TimelinessBoardSchema)
    def get(self, args):
        """The board: datasets overdue or due soon (by the due date), each organisation's and tree's rate."""
        status = tuple(args.pop("status", None) or (OVERDUE, DUE_SOON))
        board = timeliness_board(runtime=runtime(), policy=policy(), status=status, **args)
        to = links()
        for item in board["items"]:
            item["url"] = to.dataset_page(item["dataset"])
        return board
