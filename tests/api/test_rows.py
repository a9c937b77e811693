"""Row queries through the API: filters, sort, keyset walks, formats, aggregates, errors, access."""

from __future__ import annotations

import csv
import io
import json

import pyarrow.parquet as pq
import pytest

ROWS = "/api/v1/datasets/budget/rows"


def test_filter_and_sort_match_the_published_rows(client, site):
    body = client.get(ROWS, query_string={"district": "西湖区", "amount__gte": "500", "sort": "-amount",
                                          "limit": "1000"}).json
    expected = sorted((r for r in site.budget_rows if r["district"] == "西湖区" and r["amount"] >= 500),
                      key=lambda r: -r["amount"])
    assert [r["id"] for r in body["rows"]] == [r["id"] for r in expected]
    assert body["total"] == len(expected) and body["next"] is None
    assert [f["name"] for f in body["fields"]] == ["id", "district", "category", "amount", "day"]


def test_in_contains_and_fields(client, site):
    body = client.get(ROWS, query_string={"category__in": "教育,交通", "district__contains": "湖",
                                          "fields": "id,category", "limit": "1000"}).json
    expected = [r["id"] for r in site.budget_rows if r["category"] in ("教育", "交通") and "湖" in r["district"]]
    assert [r["id"] for r in body["rows"]] == expected
    assert set(body["rows"][0]) == {"id", "category"}


def test_keyset_cursor_walks_every_row_exactly_once(client, site):
    seen, params, pages = [], {"limit": "37", "sort": "amount"}, 0
    while True:
        r = client.get(ROWS, query_string=params)
        assert r.status_code == 200
        body = r.json
        seen.extend(row["id"] for row in body["rows"])
        pages += 1
        if not body["next"]:
            break
        assert r.headers["X-Next-Cursor"] == body["next"]
        params = {"limit": "37", "sort": "amount", "next": body["next"]}
    by_amount = sorted(site.budget_rows, key=lambda x: (x["amount"], x["id"]))
    assert seen == [x["id"] for x in by_amount]
    assert pages == -(-len(site.budget_rows) // 37)


def test_offset_pages(client, site):
    body = client.get(ROWS, query_string={"offset": "240", "limit": "100"}).json
    assert [r["id"] for r in body["rows"]] == [r["id"] for r in site.budget_rows[240:]]


@pytest.mark.parametrize("fmt", ["csv", "ndjson", "parquet"])
def test_other_formats_carry_the_same_rows(client, fmt):
    params = {"district": "滨江区", "sort": "id", "limit": "1000"}
    expected = [r["id"] for r in client.get(ROWS, query_string=params).json["rows"]]
    r = client.get(ROWS, query_string={**params, "format": fmt})
    assert r.status_code == 200
    if fmt == "csv":
        assert r.headers["Content-Type"] == "text/csv; charset=utf-8"
        got = [int(row["id"]) for row in csv.DictReader(io.StringIO(r.data.decode("utf-8")))]
    elif fmt == "ndjson":
        assert r.headers["Content-Type"].startswith("application/x-ndjson")
        got = [json.loads(line)["id"] for line in r.data.decode("utf-8").splitlines()]
    else:
        got = pq.read_table(io.BytesIO(r.data)).column("id").to_pylist()
    assert got == expected


def test_group_by_counts(client, site):
    body = client.get(ROWS, query_string={"group_by": "district", "agg": "count,sum:amount", "sort": "district"}).json
    counts = {r["district"]: r["count"] for r in body["rows"]}
    expected = {}
    for r in site.budget_rows:
        expected[r["district"]] = expected.get(r["district"], 0) + 1
    assert counts == expected


def test_version_rows_and_pinned_cursor(client):
    v1 = client.get("/api/v1/datasets/budget/versions/1/rows", query_string={"limit": "5"}).json
    assert v1["total"] == 120
    assert client.get("/api/v1/datasets/budget/versions/1/rows",
                      query_string={"limit": "5", "next": v1["next"]}).status_code == 200
    # a cursor of version 1 used on version 2 is refused
    r = client.get("/api/v1/datasets/budget/versions/2/rows", query_string={"limit": "5", "next": v1["next"]})
    assert r.status_code in (400, 422) and r.json["status"] == r.status_code


def test_cursor_stays_on_its_version_after_a_new_publication(fresh_site):
    from tests.builders import generate_rows, publish_rows

    c = fresh_site.client
    first = c.get(ROWS, query_string={"limit": "50"}).json
    publish_rows(fresh_site.runtime, "budget", generate_rows(500, seed=9, start_id=10_000))
    assert c.get(ROWS, query_string={"limit": "1"}).json["total"] == 500
    second = c.get(ROWS, query_string={"limit": "50", "next": first["next"]}).json
    assert second["rows"][0]["id"] == first["rows"][-1]["id"] + 1 and second["total"] == 200


def test_cursor_of_another_dataset_is_refused(fresh_site):
    c = fresh_site.client
    nxt = c.get(ROWS, query_string={"limit": "5"}).json["next"]
    r = c.get("/api/v1/datasets/subsidies/rows", query_string={"next": nxt})
    assert r.status_code == 404  # conditional: not even the cursor check is reached


@pytest.mark.parametrize(("query", "status"), [
    ({"nosuchcolumn": "1"}, 422), ({"amount__gt": "abc"}, 422), ({"limit": "0"}, 422),
    ({"limit": "10001"}, 422), ({"sort": "nope"}, 422), ({"format": "xml"}, 422),
    ({"amount__like": "1"}, 422), ({"next": "forged"}, 422), ({"agg": "median:amount"}, 422),
    ({"fields": "id;drop table"}, 422), ({"day__gt": "2024-13-40"}, 422),
])
def test_bad_row_parameters_are_4xx_in_the_error_shape(client, query, status):
    r = client.get(ROWS, query_string=query)
    assert r.status_code == status
    assert set(r.json) == {"code", "status", "message", "errors"} and r.json["status"] == status
    assert r.json["errors"], "every problem names its parameter"


def test_query_time_limit_answers_503(fresh_site, monkeypatch):
    from opendata.services.rows import row_engine
    from tests.builders import generate_rows, publish_rows

    publish_rows(fresh_site.runtime, "budget", generate_rows(60_000, seed=11))
    engine = row_engine(fresh_site.runtime)
    monkeypatch.setattr(engine, "_results", type(engine._results)(0))  # no cached answers
    monkeypatch.setattr(engine, "timeout", 1e-6)
    query = {"group_by": "amount", "amount__contains": "9", "sort": "-count", "total": "false"}
    # about 12 ms of string work on 60,000 rows; on a loaded machine the watchdog thread may be scheduled
    # only after that, so a few attempts are allowed: a limit that never stops a query fails all of them
    for _attempt in range(25):
        r = fresh_site.client.get(ROWS, query_string=query)
        assert r.status_code in (200, 503), r.get_data(as_text=True)
        if r.status_code == 503:
            break
    assert r.status_code == 503 and r.json["code"] == "query-timeout" and r.json["status"] == 503
    assert r.headers["Retry-After"]
    monkeypatch.setattr(engine, "timeout", 30.0)
    assert fresh_site.client.get(ROWS, query_string=query).status_code == 200
