"""/api/v1/statistics: downloads and API calls by month for a dataset, an organisation's tree or the platform."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.v1.common import make_blueprint, runtime
from opendata.services.usage_statistics import MONTH_PATTERN, usage_csv, usage_statistics

blp = make_blueprint("statistics", "Usage statistics: downloads and API calls by month, kept forever, for a dataset, "
                                   "an organisation and those under it, or the platform; JSON or CSV.")
_N = {"allow_none": True}


class StatisticsQueryArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    organization = fields.String(validate=validate.Length(max=100),
                                 metadata={"description": "this organisation and those under it"})
    dataset = fields.String(validate=validate.Length(max=100),
                            metadata={"description": "one dataset (with organization: one of that tree)"})
    first = fields.String(data_key="from", validate=validate.Regexp(MONTH_PATTERN),
                          metadata={"description": "first month, YYYY-MM (default: 11 months before `to`)"})
    last = fields.String(data_key="to", validate=validate.Regexp(MONTH_PATTERN),
                         metadata={"description": "last month, YYYY-MM (default: this month)"})
    format = fields.String(load_default="json", validate=validate.OneOf(("json", "csv")),
                           metadata={"description": "csv: one row per month and dataset with any use"})


class CountsSchema(Schema):
    downloads = fields.Integer()
    api_calls = fields.Integer()


class MonthSchema(CountsSchema):
    month = fields.String(metadata={"description": "YYYY-MM"})


class DatasetUseSchema(CountsSchema):
    dataset = fields.String()
    title = fields.String()


class StatisticsSchema(Schema):
    scope = fields.String(metadata={"description": "dataset, organization or platform"})
    organization = fields.String(**_N)
    dataset = fields.String(**_N)
    first = fields.String(data_key="from")
    last = fields.String(data_key="to")
    totals = fields.Nested(CountsSchema)
    months = fields.List(fields.Nested(MonthSchema))
    datasets = fields.List(fields.Nested(DatasetUseSchema), metadata={"description": "the most used, by downloads"})


@blp.route("/statistics")
class Statistics(MethodView):
    @blp.arguments(StatisticsQueryArgsSchema, location="query")
    @blp.response(200, StatisticsSchema)
    @blp.doc(responses={"200": {"description": "OK", "content": {  # the JSON figures, or ?format=csv
        "application/json": {"schema": StatisticsSchema},
        "text/csv": {"schema": {"type": "string", "description": "one row per month and dataset, as an attachment"}}}}})
    def get(self, args):
        """Downloads and API calls by month, totals and the most used datasets; ?format=csv for every dataset."""
        if args.pop("format") == "csv":
            body = usage_csv(runtime=runtime(), **args)
            return Response(body, mimetype="text/csv",
                            headers={"Content-Disposition": 'attachment; filename="usage-statistics.csv"'})
        found = usage_statistics(runtime=runtime(), **args)
        found["first"], found["last"] = found.pop("from"), found.pop("to")
        return found
