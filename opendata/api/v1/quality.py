"""/api/v1/quality: quality scores ranked: organisations by average, the best and least scored datasets."""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields, validate

from opendata.api.urls import links
from opendata.api.v1.common import make_blueprint, runtime
from opendata.api.v1.schemas import QualitySchema
from opendata.services.quality import MAX_LIMIT, dataset_quality, quality_ranking
from opendata.services.timeliness.policy import timeliness_policy

blp = make_blueprint("quality", "Quality scores (0-100, five dimensions after data.europa.eu's MQA): each "
                                "dataset's breakdown, organisations ranked by their average.")
_N = {"allow_none": True}


class QualityQueryArgsSchema(Schema):
    class Meta:
        unknown = RAISE

    organization = fields.String(validate=validate.Length(max=100),
                                 metadata={"description": "this organisation and those under it (default: all)"})
    limit = fields.Integer(load_default=20, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": "datasets in the best and lowest lists"})


class QualityOrganizationSchema(Schema):
    organization = fields.String()
    name = fields.String()
    depth = fields.Integer()
    rank = fields.Integer(metadata={"description": "place by tree average (absent: no datasets in its tree)"})
    datasets = fields.Integer(metadata={"description": "its own active datasets"})
    average = fields.Float(**_N, metadata={"description": "average score of its own datasets"})
    tree_datasets = fields.Integer()
    tree_average = fields.Float(**_N, metadata={"description": "average score of the datasets of its tree"})


class QualityDatasetSchema(Schema):
    dataset = fields.String()
    title = fields.String()
    url = fields.String()
    score = fields.Integer()
    rating = fields.String()


class QualityRankingSchema(Schema):
    today = fields.Date()
    organization = fields.String(**_N)
    datasets = fields.Integer()
    average = fields.Float(**_N)
    rating = fields.String(**_N)
    organizations = fields.List(fields.Nested(QualityOrganizationSchema))
    ranking = fields.List(fields.String(), metadata={"description": "organisations by tree average, best first"})
    best = fields.List(fields.Nested(QualityDatasetSchema))
    lowest = fields.List(fields.Nested(QualityDatasetSchema))


@blp.route("/quality")
class QualityRanking(MethodView):
    @blp.arguments(QualityQueryArgsSchema, location="query")
    @blp.response(200, QualityRankingSchema)
    def get(self, args):
        """Organisations ranked by the average quality score of their tree, the best and lowest datasets."""
        rt = runtime()
        ranking = quality_ranking(runtime=rt, policy=timeliness_policy(rt), **args)
        to = links()
        for item in (*ranking["best"], *ranking["lowest"]):
            item["url"] = to.dataset_page(item["dataset"])
        return ranking


@blp.route("/datasets/<dataset_id>/quality")
class DatasetQuality(MethodView):
    @blp.response(200, QualitySchema)
    def get(self, dataset_id: str):
        """A listed dataset's score, its breakdown by dimension and check, and what would raise it."""
        rt = runtime()
        return dataset_quality(runtime=rt, policy=timeliness_policy(rt), identifier=dataset_id)
