"""Usage counts, the change feed with its sequence cursor, and the Atom feed."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from sqlalchemy import func, select

from opendata.services.usage import usage_counter
from opendata.store.models import UsageDaily

ATOM = "{http://www.w3.org/2005/Atom}"


def test_downloads_and_api_calls_are_counted_and_shown(fresh_site):
    c = fresh_site.client
    before = c.get("/api/v1/datasets/budget").json["usage"]
    c.get("/api/v1/datasets/budget/download.csv")
    c.get("/api/v1/datasets/budget/download.parquet")
    c.get("/api/v1/datasets/budget/download.csv", headers={"Range": "bytes=0-9"})   # a resumable start counts
    c.get("/api/v1/datasets/budget/download.csv", headers={"Range": "bytes=10-19"})  # its continuation does not
    c.get("/api/v1/datasets/budget/download.csv", headers={"If-None-Match": c.get(
        "/api/v1/datasets/budget/download.csv").headers["ETag"]})                      # 304 does not
    c.get("/api/v1/datasets/budget/rows")
    c.get("/api/v1/datasets/budget/rows?limit=1")
    after = c.get("/api/v1/datasets/budget").json["usage"]
    assert after["downloads"] - before["downloads"] == 4
    assert after["api_calls"] - before["api_calls"] == 2


def test_counts_are_flushed_to_usage_daily(fresh_site):
    c = fresh_site.client
    for _ in range(3):
        c.get("/api/v1/datasets/budget/download.csv")
    c.get("/api/v1/datasets/budget/rows")
    usage_counter(fresh_site.runtime).flush()
    with fresh_site.runtime.sessions() as session:
        downloads, calls = session.execute(select(func.sum(UsageDaily.downloads),
                                                  func.sum(UsageDaily.api_calls))).one()
    assert (downloads, calls) == (3, 1)
    usage = c.get("/api/v1/datasets/budget").json["usage"]
    assert usage["downloads"] == 3 and usage["daily"][-1]["downloads"] == 3


def test_sort_by_downloads_follows_flushed_counts(fresh_site, tmp_path):
    from tests.api.conftest import DATASETS
    from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows

    rt = fresh_site.runtime
    make_catalog(rt, tmp_path, datasets=[DATASETS[0], DATASETS[2], {"id": "other", "title": "另一个数据集"}],
                 schemas={"rows.json": ROWS_SCHEMA})
    publish_rows(rt, "other", generate_rows(5))
    c = fresh_site.client
    for _ in range(2):
        c.get("/api/v1/datasets/other/download.csv")
    c.get("/api/v1/datasets/budget/download.csv")
    usage_counter(fresh_site.runtime).flush()
    order = [d["id"] for d in c.get("/api/v1/datasets?sort=downloads").json["results"]]
    assert order[:2] == ["other", "budget"]


def test_changes_cursor_pages_through_the_feed(fresh_site):
    c = fresh_site.client
    everything = c.get("/api/v1/changes", query_string={"limit": 1000}).json
    actions = [(x["action"], x["dataset"]) for x in everything["changes"]]
    assert ("dataset-created", "budget") in actions and ("version-published", "budget") in actions
    assert ("version-published", "subsidies") in actions  # metadata of conditional datasets is public
    seqs = [x["seq"] for x in everything["changes"]]
    assert seqs == sorted(seqs) and everything["more"] is False
    first = c.get("/api/v1/changes", query_string={"limit": 2}).json
    assert [x["seq"] for x in first["changes"]] == seqs[:2] and first["more"] is True
    rest = c.get("/api/v1/changes", query_string={"since": first["next"], "limit": 1000}).json
    assert [x["seq"] for x in rest["changes"]] == seqs[2:]
    done = c.get("/api/v1/changes", query_string={"since": rest["next"]}).json
    assert done["changes"] == [] and done["next"] == rest["next"]


def test_changes_reports_withdrawals_without_details(fresh_site, tmp_path):
    from tests.api.conftest import DATASETS
    from tests.builders import ROWS_SCHEMA, make_catalog

    c = fresh_site.client
    since = c.get("/api/v1/changes", query_string={"limit": 1000}).json["next"]
    make_catalog(fresh_site.runtime, tmp_path, datasets=[DATASETS[2]], schemas={"rows.json": ROWS_SCHEMA})
    new = c.get("/api/v1/changes", query_string={"since": since}).json["changes"]
    assert [(x["action"], x["dataset"], x["title"], x["url"]) for x in new] == [
        ("dataset-withdrawn", "budget", None, None)]


def test_bad_change_parameters_are_422(client):
    for query in ({"since": "-1"}, {"since": "x"}, {"limit": "0"}, {"limit": "5000"}):
        r = client.get("/api/v1/changes", query_string=query)
        assert r.status_code == 422 and r.json["status"] == 422


def test_atom_feed_parses_and_lists_visible_datasets(client):
    for url in ("/api/v1/feeds/datasets.atom", "/feeds/datasets.atom"):
        r = client.get(url)
        assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(r.data)
        assert feed.tag == f"{ATOM}feed"
        entries = feed.findall(f"{ATOM}entry")
        titles = {e.find(f"{ATOM}title").text for e in entries}
        assert "示例市财政预算" in titles and "不予开放的执法名单" in titles
        for e in entries:
            assert e.find(f"{ATOM}id").text.startswith("http://testserver/api/v1/datasets/")
            assert e.find(f"{ATOM}updated").text
        updated = [e.find(f"{ATOM}updated").text for e in entries]
        assert updated == sorted(updated, reverse=True)
