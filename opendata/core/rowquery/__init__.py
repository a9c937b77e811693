"""Row queries over published versions: publish-time preparation and the query engine.

Publish step: ``prepare_version(parquet_path, schema, out_path)`` once per version (atomic,
durable). Read side: one ``RowQueryEngine(locate, secret)`` per process (it opens versions lazily,
so create it after gunicorn forks or before any query), then
``engine.query(version_id, request.args, scope=dataset_id)`` -> ``RowQueryResult``.

Query-string parameters (every problem raises ``ValidationError`` naming the parameter):

- ``col=v`` / ``col__eq=v``, ``col__ne`` (missing values count as different), ``col__gt|gte|lt|lte``,
  ``col__in=a,b,c``, ``col__contains`` (case-insensitive), ``col__startswith`` (case-sensitive),
  ``col__isnull=true|false``; values are converted to the column's type; repeated parameters AND.
  A column whose name is a reserved parameter is filtered as ``name__eq``. Callers that take column
  names from elsewhere (CKAN's ``filters``) pass ``column_filters=[ColumnFilter(column, values)]``
  to ``engine.query``: never read as parameters or operators, always checked against the columns.
- ``q``: every whitespace-separated term must occur (case-insensitive) in the row's text columns.
- ``sort=a,-b`` (NULLs last; ties in primary-key order), ``fields=a,b``, ``limit`` (1..10,000,
  default 100), ``offset`` or ``next`` (the signed cursor from the previous page), ``total=false``
  to skip the count, ``format=json|csv|ndjson|parquet``.
- ``group_by=a,b`` with ``agg=count|count:col|sum:col|avg:col|min:col|max:col`` (repeatable or
  comma-separated; outputs ``count``, ``sum_col``, ...); sort by group columns or aggregate names.

Errors: ``ValidationError`` (bad parameter or cursor: 400/422), ``NotFoundError`` (unknown or
withdrawn version: 404), ``QueryTimeoutError`` (time limit: 503).
"""

from opendata.core.errors import QueryTimeoutError
from opendata.core.rowquery.engine import RowQueryEngine, RowQueryResult
from opendata.core.rowquery.params import (
    DEFAULT_LIMIT,
    FORMATS,
    MAX_LIMIT,
    ColumnFilter,
    RowQuery,
    parse_query,
)
from opendata.core.rowquery.prepare import prepare_version

__all__ = [
    "DEFAULT_LIMIT", "FORMATS", "MAX_LIMIT", "ColumnFilter", "QueryTimeoutError", "RowQuery", "RowQueryEngine",
    "RowQueryResult", "parse_query", "prepare_version",
]
