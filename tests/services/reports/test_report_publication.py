"""Entering, publishing and reading annual reports: checked figures, immutable numbered versions with sha256,
files whose figures equal the JSON, and the publication board."""

from __future__ import annotations

import hashlib
import io
import json
from decimal import Decimal

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.reports import grid
from opendata.core.reports.document import tables_of
from opendata.core.reports.docx import figure_text
from opendata.core.reports.xlsx import blank_workbook
from opendata.services.access import ANONYMOUS, AuthenticationError, PermissionDeniedError
from opendata.services.reports.board import publication_board
from opendata.services.reports.entries import import_report_tables, report_entry, save_report_entry
from opendata.services.reports.publication import (
    ReportCheckError,
    draft_report,
    list_published_reports,
    publish_report,
    published_report,
    report_file,
    report_versions,
)
from opendata.services.versions import referenced_artifacts
from opendata.store.db import transaction
from opendata.store.reports import ReportVersion
from tests.report_fixtures import ADMIN, local
from tests.services.requests.conftest import staff

SECTIONS = {"overview": "2025年，本局认真贯彻《条例》。\n全年主动公开信息120条。", "problems": "公开内容还不够全面。",
            "other": "本年度未收取信息处理费。"}
TWO = {"regulations": {"issued": 1, "repealed": 0, "in-force": 12}, "licensing": {"decisions": 340},
       "fees": {"amount": "15.2375"}}
FOUR = {"reconsideration": {"upheld": 1, "corrected": 1}, "litigation-direct": {"pending": 2}}


def _enter(runtime, policy, org="finance", year=2025, viewer=ADMIN, **parts):
    parts = parts or {"sections": SECTIONS, "table_two": TWO, "table_four": FOUR}
    return save_report_entry(runtime=runtime, policy=policy, viewer=viewer, organization=org, year=year, **parts)


def _publish(runtime, policy, org="finance", year=2025, at="2026-01-20 09:00", viewer=ADMIN):
    return publish_report(runtime=runtime, policy=policy, viewer=viewer, organization=org, year=year, now=local(at))


def test_a_published_version_is_the_sha256_of_its_json_and_its_files_hold_the_same_figures(two_years, report_policy):
    _enter(two_years, report_policy)
    version = _publish(two_years, report_policy)
    assert version["version"] == 1
    data = report_file(runtime=two_years, organization="finance", year=2025, number=1, kind="json")
    assert hashlib.sha256(data.data).hexdigest() == version["sha256"] == data.sha256
    doc = json.loads(data.data)
    assert doc["version"] == 1 and doc["sections"]["other"] == "本年度未收取信息处理费。"
    assert doc["table_two"]["fees"]["amount"] == 15.2375 and doc["table_four"]["reconsideration"]["total"] == 2
    two, three, four = tables_of(doc)
    values = {"二": two, "三": three, "四": four}

    xlsx = report_file(runtime=two_years, organization="finance", year=2025, number=1, kind="xlsx")
    assert hashlib.sha256(xlsx.path.read_bytes()).hexdigest() == xlsx.sha256
    book = load_workbook(xlsx.path)
    docx = report_file(runtime=two_years, organization="finance", year=2025, number=1, kind="docx")
    word = Document(io.BytesIO(docx.path.read_bytes()))
    for table, g in zip(word.tables, grid.GRIDS.values(), strict=True):
        ws = book[g.title]
        for cell in g.figures():
            expected = values[g.table][cell.figure[0]][cell.figure[1]]
            found = ws.cell(2 + cell.row, 1 + cell.col).value
            assert Decimal(repr(found)) == expected if isinstance(found, float) else found == expected
            assert table.cell(cell.row, cell.col).text == figure_text(expected)


def test_a_second_publication_is_a_new_version_and_the_first_stays(two_years, report_policy):
    _enter(two_years, report_policy)
    first = _publish(two_years, report_policy)
    _enter(two_years, report_policy, sections={"problems": "更正：公开内容还不够及时。"})
    second = _publish(two_years, report_policy, at="2026-01-25 09:00")
    assert (first["version"], second["version"]) == (1, 2) and first["sha256"] != second["sha256"]
    assert [v["version"] for v in report_versions(runtime=two_years, organization="finance", year=2025)] == [1, 2]
    old = published_report(runtime=two_years, organization="finance", year=2025, number=1)
    assert old["report"]["sections"]["problems"] == SECTIONS["problems"] and old["sha256"] == first["sha256"]
    latest = published_report(runtime=two_years, organization="finance", year=2025)
    assert latest["version"] == 2 and latest["report"]["sections"]["problems"] == "更正：公开内容还不够及时。"
    assert [(r["organization"], r["version"]) for r in list_published_reports(runtime=two_years, year=2025)] == [
        ("finance", 2)]


def test_the_database_refuses_to_change_or_delete_a_published_version(two_years, report_policy):
    _publish(two_years, report_policy)
    for statement in ("UPDATE report_version SET sha256 = 'x'", "DELETE FROM report_version"):
        with pytest.raises(DatabaseError), transaction(two_years.sessions) as session:
            session.execute(text(statement))
    with two_years.sessions() as session:
        paths = referenced_artifacts(session)
        version = session.query(ReportVersion).one()
        assert {version.xlsx_path, version.docx_path} <= paths


def test_a_bad_figure_is_refused_naming_its_cell_and_nothing_changes(two_years, report_policy):
    _enter(two_years, report_policy)
    with pytest.raises(ValidationError) as err:
        _enter(two_years, report_policy, table_two={"penalties": {"decisions": -4}},
               sections={"overview": "不会保存"})
    assert [p.path for p in err.value.problems] == ["table_two/penalties/decisions"]
    assert "表二「行政处罚」行「本年处理决定数量」列" in err.value.problems[0].message
    entry = report_entry(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance", year=2025)
    assert entry["sections"]["overview"] == SECTIONS["overview"] and entry["table_two"]["licensing"]["decisions"] == 340


def test_a_table_four_that_does_not_add_up_is_refused_at_its_total(two_years, report_policy):
    with pytest.raises(ValidationError) as err:
        _enter(two_years, report_policy, table_four={"litigation-after-reconsideration": {"upheld": 1, "total": 4}})
    assert err.value.problems[0].path == "table_four/litigation-after-reconsideration/total"


def test_a_report_failing_a_check_cannot_be_published(two_years, report_policy):
    _enter(two_years, report_policy)
    with transaction(two_years.sessions) as session:  # a stored entry broken behind the services' back
        session.execute(text("UPDATE report_entry SET table_four = :four"),
                        {"four": json.dumps({"reconsideration": {"upheld": 1, "total": 5}})})
    with pytest.raises(ReportCheckError) as err:
        _publish(two_years, report_policy)
    assert [p.path for p in err.value.problems] == ["table_four/reconsideration/total"]
    assert "表四「行政复议」「总计」列" in err.value.problems[0].message
    assert report_versions(runtime=two_years, organization="finance", year=2025) == []
    draft = draft_report(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance", year=2025)
    assert draft["publishable"] is False and draft["problems"][0]["path"] == "table_four/reconsideration/total"


def test_a_government_report_sums_the_entries_of_its_organisations(two_years, report_policy):
    _enter(two_years, report_policy)
    _enter(two_years, report_policy, org="city", table_two={"licensing": {"decisions": 10},
                                                            "fees": {"amount": "0.7625"}})
    doc = draft_report(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="city",
                       year=2025)["document"]
    assert doc["table_two"]["licensing"]["decisions"] == 350 and doc["table_two"]["fees"]["amount"] == 16.0
    assert doc["covers"] == ["city", "finance"] and doc["organization"]["kind"] == "government"


def test_only_staff_of_the_organisation_enter_and_publish(two_years, report_policy):
    with pytest.raises(AuthenticationError):
        _enter(two_years, report_policy, viewer=ANONYMOUS)
    with pytest.raises(PermissionDeniedError):
        _enter(two_years, report_policy, org="city", viewer=staff(two_years, "finclerk"))
    _enter(two_years, report_policy, viewer=staff(two_years, "cityclerk"))  # the city's staff reach its bureaus
    assert _publish(two_years, report_policy, viewer=staff(two_years, "finclerk"))["published_by"] == "finclerk"


def test_an_unpublished_report_is_not_found(two_years):
    with pytest.raises(NotFoundError):
        published_report(runtime=two_years, organization="finance", year=2025)
    with pytest.raises(NotFoundError):
        published_report(runtime=two_years, organization="nowhere", year=2025)


def test_a_future_year_is_refused(seeded, report_policy):
    with pytest.raises(ValidationError) as err:
        _enter(seeded, report_policy, year=2999)
    assert err.value.problems[0].path == "year"


def test_the_board_shows_departments_by_31_january_and_governments_by_31_march(two_years, report_policy):
    _publish(two_years, report_policy, at="2026-01-20 09:00")
    board = publication_board(runtime=two_years, policy=report_policy, year=2025, now=local("2026-02-15 12:00"))
    rows = {r["organization"]: r for r in board["rows"]}
    assert rows["finance"]["kind"] == "department" and rows["finance"]["deadline"].isoformat() == "2026-01-31"
    assert rows["finance"]["status"] == "on-time" and rows["finance"]["first_published_on"].isoformat() == "2026-01-20"
    assert rows["city"]["kind"] == "government" and rows["city"]["deadline"].isoformat() == "2026-03-31"
    assert rows["city"]["status"] == "not-due"
    later = publication_board(runtime=two_years, policy=report_policy, year=2025, now=local("2026-04-01 12:00"))
    assert {r["organization"]: r["status"] for r in later["rows"]} == {"city": "missing", "finance": "on-time"}
    _publish(two_years, report_policy, org="city", at="2026-04-02 09:00")
    late = publication_board(runtime=two_years, policy=report_policy, year=2025, now=local("2026-04-03 12:00"))
    assert late["counts"] == {"on-time": 1, "late": 1, "missing": 0, "not-due": 0}


def test_an_imported_form_replaces_tables_two_and_four(two_years, report_policy, tmp_path):
    _enter(two_years, report_policy)
    book = load_workbook(io.BytesIO(blank_workbook()))
    book[grid.TABLE_TWO_GRID.title]["B8"] = 77  # 行政许可
    path = tmp_path / "form.xlsx"
    book.save(path)
    entry = import_report_tables(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance",
                                 year=2025, stream=io.BytesIO(path.read_bytes()), filename="form.xlsx")
    assert entry["table_two"]["licensing"]["decisions"] == 77 and entry["table_two"]["fees"]["amount"] == 0
    assert entry["table_four"]["reconsideration"]["total"] == 0 and entry["sections"] == SECTIONS


def test_a_bad_import_changes_nothing(two_years, report_policy, tmp_path):
    _enter(two_years, report_policy)
    book = load_workbook(io.BytesIO(blank_workbook()))
    book[grid.TABLE_TWO_GRID.title]["B8"] = 7.5
    path = tmp_path / "form.xlsx"
    book.save(path)
    with pytest.raises(ValidationError) as err:
        import_report_tables(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance",
                             year=2025, stream=io.BytesIO(path.read_bytes()), filename="form.xlsx")
    assert "cell B8" in err.value.problems[0].message
    entry = report_entry(runtime=two_years, policy=report_policy, viewer=ADMIN, organization="finance", year=2025)
    assert entry["table_two"]["licensing"]["decisions"] == 340
