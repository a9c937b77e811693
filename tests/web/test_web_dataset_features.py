"""The dataset page's preview (no JavaScript: links and a GET form), charts with their table
equivalents, column profiles, API examples with real URLs, version changes and the request link."""

from __future__ import annotations

import re

import pytest

from opendata.services.rows import query_rows
from opendata.services.usage import usage_counter
from opendata.web import dataset_page
from opendata.web.navigation import REQUEST_FORM, set_request_form
from tests.web.pagecheck import read_page


def _html(client, path: str, status: int = 200) -> str:
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code)
    return r.get_data(as_text=True)


def _preview_ids(html: str) -> list[int]:
    body = html.split('<table class="preview">', 1)[1].split("</table>", 1)[0].split("<tbody>", 1)[1]
    return [int(row.split("<td>", 2)[1].split("</td>")[0]) for row in body.split("<tr>")[1:]]


def test_preview_shows_the_first_rows_and_pages_with_plain_links(client, monkeypatch):
    monkeypatch.setattr(dataset_page, "PREVIEW_ROWS", 5)
    first = _html(client, "/datasets/budget")
    assert "第 1–5 行，共 12 行" in first and "第 1 / 3 页" in first
    assert 'href="/datasets/budget?page=2#preview"' in first
    second = _html(client, "/datasets/budget?page=2")
    assert _preview_ids(first) == [1, 2, 3, 4, 5] and _preview_ids(second) == [6, 7, 8, 9, 10]
    assert 'href="/datasets/budget?page=1#preview" rel="prev"' in second


def test_preview_sorts_by_a_column_both_ways_like_the_rows_api(catalogue, client):
    page = _html(client, "/datasets/budget?sort=-amount")
    _pk, result = query_rows(runtime=catalogue.runtime, identifier="budget", args={"sort": "-amount", "limit": "20"})
    assert _preview_ids(page) == [row[0] for row in result.rows]
    assert 'aria-sort="descending"' in page and 'href="/datasets/budget?sort=amount#preview"' in page


def test_preview_filter_is_a_get_form_and_narrows_the_rows(client):
    page = _html(client, "/datasets/budget?q=西湖区")
    form = [f for f in read_page(page).forms if f.get("action") == "#preview"]
    assert form and form[0].get("method") == "get"
    ids = _preview_ids(page)
    assert ids and all("西湖区" in row for row in re.findall(r"<tr>(.*?)</tr>", page.split("<tbody>", 1)[1])[:len(ids)])
    assert "显示全部数据行" in page


def test_unknown_sort_column_is_ignored_and_a_bad_page_is_a_422_page(client):
    assert _preview_ids(_html(client, "/datasets/budget?sort=nosuch"))[:3] == [1, 2, 3]
    assert "page must be a whole number" in _html(client, "/datasets/budget?page=-1", 422)


def test_charts_are_svg_with_a_title_a_description_and_a_table(client):
    page = _html(client, "/datasets/budget")
    charts = re.findall(r'<svg class="chart"[^>]*role="img"[^>]*>.*?</svg>', page, re.S)
    assert len(charts) == 2  # bar (district by amount) and histogram (amount); no date column
    assert all("<title" in c and "<desc" in c for c in charts)
    assert "按 district 汇总的 amount" in page and "amount 的分布" in page
    assert page.count("以表格查看数据") == 2
    assert "<script" not in page.replace('<script type="application/ld+json">', "")


def test_field_table_shows_profiles_computed_at_publication(catalogue, client):
    from opendata.services.profiles import load_profile
    from opendata.services.published.downloads import resolve_download

    version = resolve_download(runtime=catalogue.runtime, identifier="budget", kind="parquet").version_id
    profile = load_profile(runtime=catalogue.runtime, version_id=version)
    assert profile["rows"] == 12 and profile["fields"]["id"]["distinct"] == 12
    assert profile["fields"]["district"]["distinct"] <= 4
    page = read_page(_html(client, "/datasets/budget"))
    for heading in ("空值", "不同值", "取值范围", "最常见的值"):
        assert heading in page.text


def test_api_examples_use_the_real_urls_of_the_dataset(client):
    page = _html(client, "/datasets/budget")
    base = "http://data.example.gov.cn/api/v1/datasets/budget"
    for snippet in (f"curl &#39;{base}/rows?limit=100&#39;", f"pd.read_csv(&#39;{base}/download.csv&#39;)",
                    f'read.csv(&#34;{base}/download.csv&#34;', "fetch(", "ckanapi action package_show id=budget"):
        assert snippet in page, snippet


@pytest.mark.parametrize("identifier", ["subsidies", "penalties"])
def test_request_link_on_conditional_and_closed_data_goes_to_the_request_form(app, client, identifier):
    page = _html(client, f"/datasets/{identifier}")
    assert f'href="/requests/new?dataset={identifier}"' in page and "申请获取数据" in page
    form = _html(client, f"/requests/new?dataset={identifier}")
    assert f'value="{identifier}"' in form  # the form arrives with the dataset filled in
    assert "申请获取数据" not in _html(client, "/datasets/budget")  # open data needs no request
    endpoint = app.extensions.pop(REQUEST_FORM)
    try:  # without a registered form, no link at all
        assert "申请获取数据" not in _html(client, f"/datasets/{identifier}")
    finally:
        set_request_form(app, endpoint)


def test_versions_link_to_what_changed_and_the_changes_page_counts_rows(client):
    page = _html(client, "/datasets/bus-lines")
    assert 'href="/datasets/bus-lines/versions/2/changes?against=1"' in page
    html = _html(client, "/datasets/bus-lines/versions/2/changes?against=1")
    api = client.get("/api/v1/datasets/bus-lines/versions/2/diff?against=1").json
    assert api["rows"]["before"] == 5 and api["rows"]["after"] == 8 and api["rows"]["added"] == 3
    assert f"<dt>新增</dt><dd>{api['rows']['added']}</dd>" in html
    assert f"<dt>修改</dt><dd>{api['rows']['changed']}</dd>" in html
    assert "/api/v1/datasets/bus-lines/versions/2/diff?against=1" in read_page(html).links


def test_changes_of_data_the_reader_may_not_have_read_as_missing(client):
    hidden = client.get("/datasets/subsidies/versions/1/changes?against=1")
    missing = client.get("/datasets/nosuch/versions/2/changes?against=1")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data().replace(b"subsidies", b"nosuch") == missing.get_data().replace(b"/2/", b"/1/")


def test_viewing_the_preview_is_not_counted_as_an_api_call(app, client):
    def calls() -> int:
        usage = usage_counter(app.extensions["opendata"])
        usage.flush()
        return client.get("/api/v1/datasets/budget").json["usage"]["api_calls"]

    before = calls()
    for page in (1, 2):
        assert client.get(f"/datasets/budget?page={page}").status_code == 200
    assert calls() == before
    client.get("/api/v1/datasets/budget/rows")
    assert calls() == before + 1  # the rows API itself is counted
