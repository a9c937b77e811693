"""The portal's figure pages: a published annual report laid out as the template (its figures equal the
JSON), the publication board, the timeliness board, the quality ranking, and the dataset page's score."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from opendata.config import load_config
from opendata.core.reports import template as t
from tests.accounts_fixtures import bearer, make_token
from tests.conftest import running_app
from tests.report_fixtures import two_years, two_years_database  # noqa: F401

ENTRY = {"sections": {"overview": "总体情况第一段。\n第二段。", "problems": "问题。", "other": "无。"},
         "table_two": {"licensing": {"decisions": 12}, "fees": {"amount": 3.25}},
         "table_four": {"reconsideration": {"upheld": 1, "total": 1}}}


class _Tables(HTMLParser):
    """Every table of a page as rows of cell texts (th and td alike)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[list[list[str]]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def tables_of(html: str) -> list[list[list[str]]]:
    reader = _Tables()
    reader.feed(html)
    return reader.tables


@pytest.fixture
def report_client(two_years):  # noqa: F811
    config = load_config({}, **{**two_years.config.values, "RATE_LIMIT_ENABLED": False})
    with running_app(config) as app:
        client = app.test_client()
        clerk = bearer(make_token(two_years, "finclerk", scopes=["publish"]))
        assert client.put("/api/v1/reports/finance/2025/entry", json=ENTRY, headers=clerk).status_code == 200
        yield client, clerk


def test_a_published_report_page_shows_the_templates_tables_with_the_json_figures(report_client):
    client, clerk = report_client
    assert client.get("/reports/finance/2025").status_code == 404  # nothing published yet
    assert client.post("/api/v1/reports/finance/2025/versions", headers=clerk).status_code == 201
    doc = client.get("/api/v1/reports/finance/2025").get_json()
    page = client.get("/reports/finance/2025")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and doc["report"]["title"] in html and doc["sha256"] in html
    assert "第二段。" in html and "/api/v1/reports/finance/2025/versions/1/report.xlsx" in html
    two, three, four = tables_of(html)
    want_three = [[t.three_row_label(key), *(str(doc["report"]["table_three"][key][c.key]) for c in t.THREE_COLUMNS)]
                  for key in t.THREE_ROWS]
    assert three[1:] == want_three and three[1][-1] == "7"  # 7 new requests in 2025, as hand-counted
    assert ["第二十条第（五）项", "行政许可", "本年处理决定数量", "12"] in two
    assert ["第二十条第（八）项", "行政事业性收费", "本年收费金额（单位：万元）", "3.25"] in two
    assert four[1] == ["行政复议", "1", "0", "0", "0", "1"]


def test_each_version_keeps_its_page_and_the_board_links_the_latest(report_client):
    client, clerk = report_client
    client.post("/api/v1/reports/finance/2025/versions", headers=clerk)
    client.post("/api/v1/reports/finance/2025/versions", headers=clerk)
    first = client.get("/reports/finance/2025/versions/1").get_data(as_text=True)
    assert 'aria-current="page">第 1 版' in first and '第 2 版' in first
    board = client.get("/reports?year=2025").get_data(as_text=True)
    rows = {r[0]: r for r in tables_of(board)[0][1:]}
    assert rows["示例市财政局"][2] != "" and rows["示例市财政局"][4] == "第 2 版"
    assert "/reports/finance/2025" in board
    bad = client.get("/reports?year=20x5")
    assert bad.status_code == 422 and "year" in bad.get_data(as_text=True)
    assert client.get("/reports/finance/2025/versions/9").status_code == 404


def test_the_timeliness_and_quality_pages_list_the_catalogue(client):
    timeliness = client.get("/timeliness").get_data(as_text=True)
    api = client.get("/api/v1/timeliness").get_json()
    assert api["total"] == 0 or api["items"][0]["title"] in timeliness
    rates = tables_of(timeliness)[-1]
    assert len(rates) - 1 == sum(1 for o in api["organizations"] if o["tree"]["datasets"])
    quality = client.get("/quality").get_data(as_text=True)
    ranking = client.get("/api/v1/quality?limit=10").get_json()
    ranked = tables_of(quality)[0][1:]
    assert [row[0] for row in ranked] == [str(n) for n in range(1, len(ranking["ranking"]) + 1)]
    assert ranking["best"][0]["title"] in quality
    english = client.get("/quality", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<span lang="zh-CN">{ranking["best"][0]["title"]}</span>' in english  # WCAG 3.1.2
    assert client.get("/timeliness?page=0").status_code == 422
    assert client.get("/quality?organization=nowhere").status_code == 404


def test_the_dataset_page_explains_its_quality_score(client):
    score = client.get("/api/v1/datasets/budget/quality").get_json()
    html = client.get("/datasets/budget", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'<strong class="score">{score["score"]}</strong> / 100' in html
    for hint in score["improvements"]:
        assert hint["hint"] in html or hint["hint_en"] in html
