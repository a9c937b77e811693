"""/api/v1/reports over HTTP: staff enter and publish, anyone reads versions and files; bad input is a 4xx in
the one error shape, naming the cell."""

from __future__ import annotations

import hashlib
import io
import json

from openpyxl import load_workbook

from opendata.core.reports import grid
from opendata.core.reports.xlsx import blank_workbook
from tests.accounts_fixtures import ERROR_KEYS

BASE = "/api/v1/reports/finance/2025"
ENTRY = {"sections": {"overview": "总体情况。", "problems": "问题。", "other": "无。"},
         "table_two": {"licensing": {"decisions": 12}, "fees": {"amount": 3.25}},
         "table_four": {"reconsideration": {"upheld": 1}}}


def test_staff_enter_publish_and_anyone_reads_the_version_and_its_files(client, tokens):
    assert client.put(f"{BASE}/entry", json=ENTRY, headers=tokens["finclerk"]).status_code == 200
    draft = client.get(f"{BASE}/draft", headers=tokens["finclerk"]).get_json()
    assert draft["publishable"] and draft["document"]["table_three"]["new"]["total"] == 7
    created = client.post(f"{BASE}/versions", headers=tokens["finclerk"])
    assert created.status_code == 201 and created.get_json()["version"] == 1
    sha = created.get_json()["sha256"]

    latest = client.get(BASE).get_json()
    assert latest["version"] == 1 and latest["report"]["table_two"]["fees"]["amount"] == 3.25
    data = client.get(f"{BASE}/versions/1/report.json")
    assert hashlib.sha256(data.data).hexdigest() == sha and data.headers["ETag"] == f'"{sha}"'
    assert json.loads(data.data) == latest["report"]
    assert client.get(f"{BASE}/versions/1/report.json", headers={"If-None-Match": f'"{sha}"'}).status_code == 304
    xlsx = client.get(f"{BASE}/versions/1/report.xlsx")
    assert xlsx.status_code == 200 and hashlib.sha256(xlsx.data).hexdigest() == latest["files"]["xlsx"]["sha256"]
    sheet = load_workbook(io.BytesIO(xlsx.data))[grid.TABLE_TWO_GRID.title]
    assert sheet["B8"].value == 12
    assert client.get(f"{BASE}/versions/1/report.docx").data[:2] == b"PK"
    assert client.post(f"{BASE}/versions", headers=tokens["finclerk"]).get_json()["version"] == 2
    assert [v["version"] for v in client.get(f"{BASE}/versions").get_json()] == [1, 2]
    listed = client.get("/api/v1/reports?year=2025").get_json()
    assert [(r["organization"], r["version"], r["title"]) for r in listed] == [
        ("finance", 2, "示例市财政局2025年政府信息公开工作年度报告")]
    assert listed[0]["links"]["xlsx"] == "http://localhost/api/v1/reports/finance/2025/versions/2/report.xlsx"
    assert client.get(listed[0]["links"]["json"]).status_code == 200


def test_a_bad_figure_is_a_422_naming_the_cell_in_the_one_shape(client, tokens):
    bad = {"table_two": {"coercion": {"decisions": 2.5}, "fees": {"amount": "1.00001"}}}
    response = client.put(f"{BASE}/entry", json=bad, headers=tokens["finclerk"])
    body = response.get_json()
    assert response.status_code == 422 and set(body) == ERROR_KEYS
    paths = {e["path"] for e in body["errors"]}
    assert paths == {"table_two/coercion/decisions", "table_two/fees/amount"}
    assert client.get(f"{BASE}/entry", headers=tokens["finclerk"]).get_json()["table_two"]["fees"]["amount"] == 0


def test_unknown_fields_and_sections_are_refused(client, tokens):
    assert client.put(f"{BASE}/entry", json={"table_three": {}}, headers=tokens["finclerk"]).status_code == 422
    response = client.put(f"{BASE}/entry", json={"sections": {"summary": "x"}}, headers=tokens["finclerk"])
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "sections/summary"


def test_only_staff_see_drafts_and_enter_figures(client, tokens):
    assert client.get(f"{BASE}/draft").status_code == 401
    assert client.put(f"{BASE}/entry", json=ENTRY).status_code == 401
    assert client.put("/api/v1/reports/city/2025/entry", json=ENTRY, headers=tokens["finclerk"]).status_code == 403
    assert client.put(f"{BASE}/entry", json=ENTRY, headers=tokens["finreader"]).status_code == 403
    assert client.put(f"{BASE}/entry", json=ENTRY, headers=tokens["cityclerk"]).status_code == 200
    assert client.post(f"{BASE}/versions").status_code == 401


def test_an_unpublished_report_a_missing_organisation_and_a_future_year(client, tokens):
    assert client.get(BASE).status_code == 404
    assert client.get("/api/v1/reports/nowhere/2025").status_code == 404
    assert client.get(f"{BASE}/versions/1/report.xlsx").status_code == 404
    response = client.get("/api/v1/reports/finance/2999/draft", headers=tokens["finclerk"])
    assert response.status_code == 422 and response.get_json()["errors"][0]["path"] == "year"


def test_the_form_imports_and_a_file_in_another_layout_is_refused_at_its_cell(client, tokens):
    book = load_workbook(io.BytesIO(blank_workbook()))
    book[grid.TABLE_FOUR_GRID.title]["F5"] = 3  # 未经复议直接起诉 结果维持
    out = io.BytesIO()
    book.save(out)
    response = client.post(f"{BASE}/entry/import", headers=tokens["finclerk"],
                           data={"file": (io.BytesIO(out.getvalue()), "年报表.xlsx")})
    assert response.status_code == 200
    assert response.get_json()["table_four"]["litigation-direct"] == {
        "upheld": 3, "corrected": 0, "other": 0, "pending": 0, "total": 3}
    book[grid.TABLE_FOUR_GRID.title]["B3"] = "纠正"
    out = io.BytesIO()
    book.save(out)
    bad = client.post(f"{BASE}/entry/import", headers=tokens["finclerk"],
                      data={"file": (io.BytesIO(out.getvalue()), "年报表.xlsx")})
    body = bad.get_json()
    assert bad.status_code == 422 and set(body) == ERROR_KEYS
    assert "cell B3" in body["errors"][0]["message"] and "结果纠正" in body["errors"][0]["message"]


def test_the_template_the_form_and_the_board_are_public(client):
    template = client.get("/api/v1/reports/template").get_json()
    assert [r["key"] for r in template["table_three"]["rows"]][:2] == ["new", "carried-in"]
    assert len(template["table_three"]["columns"]) == 7
    form = client.get("/api/v1/reports/form.xlsx")
    assert load_workbook(io.BytesIO(form.data)).sheetnames == [grid.TABLE_TWO_GRID.title, grid.TABLE_FOUR_GRID.title]
    board = client.get("/api/v1/reports/board?year=2025").get_json()
    assert {r["organization"]: r["kind"] for r in board["rows"]} == {"city": "government", "finance": "department"}
    assert client.get("/api/v1/reports/board").status_code == 422
