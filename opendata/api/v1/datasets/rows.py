"""Row queries: filters, text search, sort, fields, keyset or offset pages, aggregates, four formats."""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from opendata.api.v1.common import make_blueprint, runtime, usage, viewer
from opendata.api.v1.schemas import RowsPageSchema, RowsQueryArgsSchema
from opendata.core.rowquery.render import MEDIA_TYPES
from opendata.services.rows import query_rows
from opendata.services.usage import API_CALL

blp = make_blueprint("rows", "Row queries over published versions (DuckDB, time-limited).")

_DOC = ("Filters: `column=value` or `column__op=value` with op one of gt, gte, lt, lte, ne, in, contains, "
        "startswith, isnull. A `next` cursor pins the version it was made for. `format=csv|ndjson|parquet` "
        "answers the same rows as CSV, NDJSON or Parquet.")
# the JSON page is RowsPageSchema; the other formats are the same rows in another media type
_OTHER_FORMATS = {"200": {"description": _DOC, "content": {
    "application/json": {"schema": {"$ref": "#/components/schemas/RowsPage"}},
    MEDIA_TYPES["csv"].split(";")[0]: {"schema": {"type": "string"}},
    MEDIA_TYPES["ndjson"]: {"schema": {"type": "string"}},
    MEDIA_TYPES["parquet"]: {"schema": {"type": "string", "format": "binary"}}}}}


def _answer(dataset_id: str, number: int | None) -> Response:
    dataset_pk, result = query_rows(runtime=runtime(), identifier=dataset_id, args=request.args,
                                    number=number, viewer=viewer())
    usage().hit(dataset_pk, API_CALL)
    response = Response(result.body, mimetype=result.media_type.split(";")[0])
    if result.media_type.startswith("text/"):
        response.mimetype_params["charset"] = "utf-8"
    response.headers["X-Dataset-Version-Id"] = result.version_id
    if result.total is not None:
        response.headers["X-Total-Count"] = str(result.total)
    if result.next_cursor:
        response.headers["X-Next-Cursor"] = result.next_cursor
    return response


@blp.route("/datasets/<dataset_id>/rows")
class Rows(MethodView):
    @blp.arguments(RowsQueryArgsSchema, location="query")
    @blp.response(200, RowsPageSchema, description=_DOC)
    @blp.doc(responses=_OTHER_FORMATS)
    def get(self, _args, dataset_id: str):
        """Query the rows of the latest published version."""
        return _answer(dataset_id, None)


@blp.route("/datasets/<dataset_id>/versions/<int:number>/rows")
class VersionRows(MethodView):
    @blp.arguments(RowsQueryArgsSchema, location="query")
    @blp.response(200, RowsPageSchema, description=_DOC)
    @blp.doc(responses=_OTHER_FORMATS)
    def get(self, _args, dataset_id: str, number: int):
        """Query the rows of one published version."""
        return _answer(dataset_id, number)
