"""Row queries over published versions: publish-time preparation and the query engine."""

from opendata.core.rowquery.engine import QueryTimeoutError, RowQueryEngine, RowQueryResult
from opendata.core.rowquery.params import DEFAULT_LIMIT, FORMATS, MAX_LIMIT, RowQuery, parse_query
from opendata.core.rowquery.prepare import prepare_version

__all__ = [
    "DEFAULT_LIMIT", "FORMATS", "MAX_LIMIT", "QueryTimeoutError", "RowQuery", "RowQueryEngine",
    "RowQueryResult", "parse_query", "prepare_version",
]
