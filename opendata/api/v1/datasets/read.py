"""Datasets: search with facets, detail; versions of a dataset."""

from __future__ import annotations

from json import loads

from flask import Response, current_app, jsonify
from flask.views import MethodView

from opendata.api.urls import links
from opendata.api.v1.common import make_blueprint, runtime, usage, viewer
from opendata.api.v1.schemas import (
    DatasetDetailSchema,
    DatasetSearchQueryArgsSchema,
    DatasetSearchSchema,
    VersionDetailSchema,
    VersionDiffQueryArgsSchema,
    VersionDiffSchema,
    VersionListSchema,
)
from opendata.services.published import detail
from opendata.services.search import FACETS, search_datasets_encoded
from opendata.services.version_diff import diff_versions

blp = make_blueprint("datasets", "The catalogue: search, facets, dataset metadata and versions.")
SEARCH_ARGS = DatasetSearchQueryArgsSchema()  # one instance: webargs would build one per request from the class


@blp.route("/datasets")
class Datasets(MethodView):
    @blp.arguments(SEARCH_ARGS, location="query")
    @blp.response(200, DatasetSearchSchema)
    def get(self, args):
        """Search datasets: full text, facet filters and counts, sort, pages with a total."""
        page, size = args["page"], args["page_size"]
        found = search_datasets_encoded(
            runtime=runtime(), viewer=viewer(), q=args.get("q"),
            filters={name: args[name] for name in FACETS if args.get(name)},
            sort=args["sort"], offset=(page - 1) * size, limit=size, quality_min=args.get("quality__gte"))
        return search_response(found, page, size)


def search_response(found: dict, page: int, size: int) -> Response:
    """The JSON of a search page, byte for byte as ``jsonify`` makes it of the decoded summaries.

    The body already has DatasetSearchSchema's shape (checked by the schema tests); dumping it
    through marshmallow again would double the time of the busiest endpoint. The results and the
    facets come encoded as Flask encodes (sorted keys, no spaces; the index stores the summaries
    so) and are joined into the body where the sorted keys put them, instead of being decoded and
    encoded again.
    """
    json = current_app.json
    if not (json.sort_keys and not json.ensure_ascii and (json.compact or (json.compact is None
                                                                           and not current_app.debug))):
        return jsonify({"total": found["total"], "page": page, "page_size": size, "facets": loads(found["facets"]),
                        "results": [loads(r) for r in found["results"]]})  # indented (debug), or settings changed
    body = (f'{{"facets":{found["facets"]},"page":{page:d},"page_size":{size:d},'
            f'"results":[{",".join(found["results"])}],"total":{found["total"]:d}}}\n')
    return current_app.response_class(body, mimetype=json.mimetype)


@blp.route("/datasets/<dataset_id>")
class DatasetById(MethodView):
    @blp.response(200, DatasetDetailSchema)
    def get(self, dataset_id: str):
        """Get a dataset: metadata with Chinese names, schema, versions, files, usage counts."""
        rt = runtime()
        pk = detail.dataset_id(runtime=rt, identifier=dataset_id, viewer=viewer())
        return detail.dataset_detail(runtime=rt, identifier=dataset_id, viewer=viewer(), links=links(),
                                        pending_usage=usage().pending(pk))


@blp.route("/datasets/<dataset_id>/versions")
class Versions(MethodView):
    @blp.response(200, VersionListSchema)
    def get(self, dataset_id: str):
        """List the published versions of a dataset, newest first."""
        return {"versions": detail.list_versions(runtime=runtime(), identifier=dataset_id, viewer=viewer(),
                                                    links=links())}


@blp.route("/datasets/<dataset_id>/versions/<int:number>")
class VersionByNumber(MethodView):
    @blp.response(200, VersionDetailSchema)
    def get(self, dataset_id: str, number: int):
        """Get one published version with its files and validation report."""
        return detail.version_detail(runtime=runtime(), identifier=dataset_id, number=number, viewer=viewer(),
                                        links=links())


@blp.route("/datasets/<dataset_id>/versions/<int:number>/diff")
class VersionDiff(MethodView):
    @blp.arguments(VersionDiffQueryArgsSchema, location="query")
    @blp.response(200, VersionDiffSchema)
    def get(self, args, dataset_id: str, number: int):
        """What changed in a version: rows added, removed and changed (by primary key), schema changes."""
        return diff_versions(runtime=runtime(), identifier=dataset_id, number=number, against=args.get("against"),
                             viewer=viewer())
