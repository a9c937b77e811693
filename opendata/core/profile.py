"""Column profiles and chart series of a published table, computed once from its Parquet file.

``profile_table`` reads the published Parquet with DuckDB and returns a JSON-ready dict: per field
the count of empty cells, the distinct count, minimum and maximum and the most frequent values;
and up to three charts chosen from the Table Schema:

- ``timeseries``: a date/datetime/year/yearmonth field against the sum of a numeric field, by
  day, month or year (whichever gives at most ``MAX_POINTS`` points);
- ``bar``: the categories of a string field with few distinct values, by the sum of a numeric
  field when there is one, else by row count (the ``MAX_BARS`` largest);
- ``histogram``: a numeric field's values in ``BINS`` equal-width bins.

The portal shows them with the field table and draws the charts; nothing here reads a database.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import tempfile
from pathlib import Path
from typing import Any

import duckdb

TOP_VALUES = 5
MAX_POINTS = 120
MAX_BARS = 12
MAX_CATEGORIES = 60  # a string field with more distinct values is no category for a bar chart
BINS = 20
NUMERIC = ("integer", "number")
TEMPORAL = ("date", "datetime", "year", "yearmonth")
FORMAT = 1  # bump when the shape changes: older stored profiles are then recomputed


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _plain(value: Any) -> Any:
    """A JSON-ready value: dates as ISO text, decimals as float, NaN as None."""
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    return value


def profile_table(parquet: Path, fields: list[dict[str, Any]], primary_key: list[str] | None = None, *,
                  memory_limit_mb: int = 512) -> dict[str, Any]:
    """Profiles of every field present in the file and the charts the schema allows.

    DuckDB keeps to ``memory_limit_mb`` (its default is 80% of the machine) and spills to a
    temporary folder removed afterwards: memory stays bounded whatever the row count.
    """
    with tempfile.TemporaryDirectory(prefix="opendata-profile-") as spill:
        con = duckdb.connect(config={"memory_limit": f"{int(memory_limit_mb)}MB", "temp_directory": spill})
        return _profile(con, parquet, fields, primary_key)


def _profile(con: duckdb.DuckDBPyConnection, parquet: Path, fields: list[dict[str, Any]],
             primary_key: list[str] | None) -> dict[str, Any]:
    try:
        con.execute(f"CREATE VIEW t AS SELECT * FROM read_parquet('{_sql_text(str(parquet))}')")
        present = {row[0] for row in con.execute("DESCRIBE t").fetchall()}
        fields = [f for f in fields if f.get("name") in present]
        rows = con.execute("SELECT count(*) FROM t").fetchone()[0]
        profiles = {f["name"]: _profile_field(con, f, rows) for f in fields}
        charts = _charts(con, fields, profiles, set(primary_key or ()), rows)
    finally:
        con.close()
    return {"format": FORMAT, "rows": rows, "fields": profiles, "charts": charts}


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _profile_field(con: duckdb.DuckDBPyConnection, field: dict[str, Any], rows: int) -> dict[str, Any]:
    col = _q(field["name"])
    kind = field.get("type") or "any"
    blank = f" OR trim(CAST({col} AS VARCHAR)) = ''" if kind in ("string", "any") else ""
    empty, distinct, low, high = con.execute(
        f"SELECT count(*) FILTER (WHERE {col} IS NULL{blank}), count(DISTINCT {col}), min({col}), max({col}) "
        f"FROM t").fetchone()
    out: dict[str, Any] = {"type": kind, "empty": empty, "distinct": distinct}
    if kind not in ("string", "any", "object", "array", "boolean"):
        out.update({"min": _plain(low), "max": _plain(high)})
    if distinct and distinct < rows:  # a column of unique values has no "most frequent" ones
        top = con.execute(f"SELECT {col}, count(*) AS n FROM t WHERE {col} IS NOT NULL GROUP BY 1 "
                          f"ORDER BY n DESC, 1 LIMIT {TOP_VALUES}").fetchall()
        out["top"] = [[_plain(v), n] for v, n in top if n > 1]
    return out


def _charts(con: duckdb.DuckDBPyConnection, fields: list[dict[str, Any]], profiles: dict[str, dict],
            primary_key: set[str], rows: int) -> list[dict[str, Any]]:
    if rows == 0:
        return []
    measures = [f["name"] for f in fields if f.get("type") in NUMERIC and f["name"] not in primary_key
                and profiles[f["name"]]["distinct"] > 1]
    times = [f for f in fields if f.get("type") in TEMPORAL and profiles[f["name"]]["distinct"] > 1]
    categories = [f["name"] for f in fields if f.get("type") == "string" and f["name"] not in primary_key
                  and 1 < profiles[f["name"]]["distinct"] <= min(MAX_CATEGORIES, rows - 1)]
    charts = []
    if times and measures:
        charts.append(_timeseries(con, times[0], measures[0]))
    if categories:
        charts.append(_bars(con, categories[0], measures[0] if measures else None))
    if measures:
        charts.append(_histogram(con, measures[-1] if len(measures) > 1 else measures[0], profiles))
    return [c for c in charts if c is not None]


def _timeseries(con: duckdb.DuckDBPyConnection, field: dict[str, Any], measure: str) -> dict[str, Any] | None:
    x, y = _q(field["name"]), _q(measure)
    kind = field.get("type")
    if kind in ("year", "yearmonth"):
        period, expr = kind, f"CAST({x} AS VARCHAR)"
        points = con.execute(f"SELECT {expr} AS p, sum({y}) FROM t WHERE {x} IS NOT NULL GROUP BY 1 ORDER BY 1"
                             ).fetchall()
    else:
        points = []
        for period_name, fmt in (("day", "%Y-%m-%d"), ("month", "%Y-%m"), ("year", "%Y")):
            expr = f"strftime(CAST({x} AS TIMESTAMP), '{fmt}')"
            if con.execute(f"SELECT count(DISTINCT {expr}) FROM t").fetchone()[0] <= MAX_POINTS:
                points = con.execute(f"SELECT {expr} AS p, sum({y}) FROM t WHERE {x} IS NOT NULL GROUP BY 1 "
                                     f"ORDER BY 1").fetchall()
                period = period_name
                break
    if len(points) < 2 or len(points) > MAX_POINTS:
        return None
    return {"kind": "timeseries", "x": field["name"], "y": measure, "agg": "sum", "period": period,
            "points": [[str(p), _plain(v)] for p, v in points]}


def _bars(con: duckdb.DuckDBPyConnection, category: str, measure: str | None) -> dict[str, Any]:
    c = _q(category)
    value = f"sum({_q(measure)})" if measure else "count(*)"
    bars = con.execute(f"SELECT {c}, {value} AS v FROM t WHERE {c} IS NOT NULL GROUP BY 1 "
                       f"ORDER BY v DESC NULLS LAST, 1 LIMIT {MAX_BARS}").fetchall()
    others = con.execute(f"SELECT count(DISTINCT {c}) FROM t").fetchone()[0] - len(bars)
    return {"kind": "bar", "x": category, "y": measure, "agg": "sum" if measure else "count",
            "bars": [[str(k), _plain(v)] for k, v in bars], "others": max(0, others)}


def _histogram(con: duckdb.DuckDBPyConnection, measure: str, profiles: dict[str, dict]) -> dict[str, Any] | None:
    low, high = profiles[measure].get("min"), profiles[measure].get("max")
    if low is None or high is None or high <= low:
        return None
    width = (high - low) / BINS
    y = _q(measure)
    counts = dict(con.execute(
        f"SELECT least(CAST(floor(({y} - ?) / ?) AS INTEGER), {BINS - 1}) AS b, count(*) FROM t "
        f"WHERE {y} IS NOT NULL GROUP BY 1", [low, width]).fetchall())
    return {"kind": "histogram", "x": measure, "agg": "count",
            "bins": [[low + i * width, low + (i + 1) * width, counts.get(i, 0)] for i in range(BINS)]}
