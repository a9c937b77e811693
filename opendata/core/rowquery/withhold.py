"""Row queries under a partial access grant: the columns it withholds are neither shown nor used.

A data-access application decided 部分公开 may withhold (mask or drop) columns of the dataset; the
applicant's grant then reaches the other columns through the row query API only (files hold every
column). Withheld columns are left out of the answer, and a query that filters, sorts, groups,
aggregates or searches by one is refused, since its answer would tell their values. A grant may not
withhold a primary-key column: the row order and the ``next`` cursor carry its values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence

from opendata.core.errors import ColumnsWithheldError, Problem
from opendata.core.rowquery.params import RowQuery


def withhold(query: RowQuery, withheld: frozenset[str], types: Mapping[str, str],
             primary_key: Sequence[str]) -> RowQuery:
    """``query`` limited to the columns a partial grant allows; ColumnsWithheldError when it reaches others."""
    def refuse(param: str, column: str | None = None) -> ColumnsWithheldError:
        what = f"column '{column}'" if column else "a search of every column"
        return ColumnsWithheldError(f"{what} is withheld by your access grant",
                                    problems=[Problem("columns-withheld", f"'{param}' reaches {what}, which your "
                                                      "access grant withholds", path=param)])
    if set(primary_key) & withheld:  # a next cursor and the row order would carry its values
        raise refuse("next", sorted(set(primary_key) & withheld)[0])
    if query.q:
        raise refuse("q")
    used = ([(f.param, f.column) for f in query.filters] + [("sort", k.column) for k in query.sort]
            + [("fields", c) for c in query.fields] + [("group_by", c) for c in query.group_by]
            + [("agg", a.column) for a in query.aggregates if a.column])
    for param, column in used:
        if column in withheld:
            raise refuse(param, column)
    if query.is_aggregate or query.fields:
        return query
    return dataclasses.replace(query, fields=tuple(c for c in types if c not in withheld))
