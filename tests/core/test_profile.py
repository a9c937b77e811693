"""Column profiles and the charts chosen from the Table Schema, over a generated Parquet file."""

from __future__ import annotations

import datetime as dt
import random

import pyarrow as pa
import pyarrow.parquet as pq

from opendata.core.profile import BINS, MAX_BARS, profile_table

FIELDS = [{"name": "id", "type": "integer"}, {"name": "day", "type": "date"},
          {"name": "district", "type": "string"}, {"name": "amount", "type": "number"},
          {"name": "note", "type": "string"}]


def _write(tmp_path, n: int = 400):
    rnd = random.Random(42)
    districts = [f"区{i}" for i in range(15)]
    table = pa.table({
        "id": list(range(1, n + 1)),
        "day": [dt.date(2024, 1, 1) + dt.timedelta(days=i % 60) for i in range(n)],
        "district": [rnd.choice(districts) for _ in range(n)],
        "amount": [round(rnd.uniform(0, 1000), 2) for _ in range(n)],
        "note": [None if i % 4 == 0 else ("" if i % 4 == 1 else f"备注{i}") for i in range(n)],
    })
    path = tmp_path / "t.parquet"
    pq.write_table(table, path)
    return path, table


def test_profiles_count_empties_distinct_values_ranges_and_top_values(tmp_path):
    path, table = _write(tmp_path)
    p = profile_table(path, FIELDS, ["id"])
    assert p["rows"] == 400
    assert p["fields"]["note"]["empty"] == 200  # nulls and blank strings
    assert p["fields"]["id"]["distinct"] == 400 and "top" not in p["fields"]["id"]
    assert (p["fields"]["amount"]["min"], p["fields"]["amount"]["max"]) == (min(table["amount"].to_pylist()),
                                                                            max(table["amount"].to_pylist()))
    assert p["fields"]["day"]["min"] == "2024-01-01" and p["fields"]["day"]["max"] == "2024-02-29"
    counts = {}
    for d in table["district"].to_pylist():
        counts[d] = counts.get(d, 0) + 1
    value, n = p["fields"]["district"]["top"][0]
    assert n == max(counts.values()) and counts[value] == n


def test_charts_follow_the_schema_time_series_bars_and_histogram(tmp_path):
    path, table = _write(tmp_path)
    charts = {c["kind"]: c for c in profile_table(path, FIELDS, ["id"])["charts"]}
    series = charts["timeseries"]
    assert (series["x"], series["y"], series["period"]) == ("day", "amount", "day") and len(series["points"]) == 60
    assert abs(sum(v for _, v in series["points"]) - sum(table["amount"].to_pylist())) < 1e-6
    bars = charts["bar"]
    assert bars["x"] == "district" and len(bars["bars"]) == MAX_BARS and bars["others"] == 3
    assert [v for _, v in bars["bars"]] == sorted((v for _, v in bars["bars"]), reverse=True)
    histogram = charts["histogram"]
    assert len(histogram["bins"]) == BINS and sum(c for _, _, c in histogram["bins"]) == 400


def test_a_table_without_numbers_or_dates_gets_no_charts(tmp_path):
    path = tmp_path / "s.parquet"
    pq.write_table(pa.table({"name": [f"n{i}" for i in range(10)]}), path)
    p = profile_table(path, [{"name": "name", "type": "string"}, {"name": "gone", "type": "integer"}])
    assert p["charts"] == [] and list(p["fields"]) == ["name"]  # a field missing from the file is skipped


def test_a_profile_within_a_small_memory_limit_is_the_same_profile(tmp_path):
    path, _ = _write(tmp_path, n=200_000)
    assert profile_table(path, FIELDS, ["id"], memory_limit_mb=24) == profile_table(path, FIELDS, ["id"])
