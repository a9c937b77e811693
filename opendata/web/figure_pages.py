"""The portal's figures: annual disclosure reports and their publication board, timeliness, quality.

``/reports`` (the year's publication board and the published reports), ``/reports/<org>/<year>``
(a published report: its sections, tables 二, 三 and 四 as the 2021 template lays them out, its
files with their sha256 and its versions), ``/timeliness`` (栏目不逾期), ``/quality`` (the
ranking) and ``/statistics`` (use by month). Each view calls one read service; the tables are laid out from core.reports.template.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, render_template, request

from opendata.core.errors import Problem, ValidationError
from opendata.core.reports import template as t
from opendata.core.timeliness import DUE_SOON, OVERDUE
from opendata.services.quality import quality_ranking
from opendata.services.reports.board import publication_board
from opendata.services.reports.policy import ReportPolicy
from opendata.services.reports.publication import list_published_reports, report_with_versions
from opendata.services.timeliness.board import timeliness_board
from opendata.services.timeliness.policy import timeliness_policy
from opendata.services.usage_statistics import usage_statistics
from opendata.web.context import links, runtime
from opendata.web.i18n import N_
from opendata.web.navigation import NavLink, add_nav_link
from opendata.web.views import _here, _html, _positive_int, blp

TIMELINESS_PAGE = 50  # datasets per page of the board
NAV_LINKS = (NavLink("web.reports", N_("Annual reports"), 70), NavLink("web.timeliness", N_("Timeliness"), 80),
             NavLink("web.quality", N_("Quality"), 90), NavLink("web.statistics", N_("Statistics"), 95))


def register(app: Flask) -> None:
    """Show the figure pages in the site navigation (the routes are on the portal's blueprint)."""
    for link in NAV_LINKS:
        add_nav_link(app, link)


def _report_policy() -> ReportPolicy:
    rt = runtime()
    return rt.part("reports.policy", lambda: ReportPolicy.from_config(rt.config))


def _organization() -> str | None:
    return (request.args.get("organization") or "").strip() or None


@blp.get("/reports")
def reports():
    """Who has published the year's annual report (the board), and every published report of that year."""
    policy = _report_policy()
    raw = request.args.get("year")
    year = policy.today().year - 1 if raw is None else _year(raw)
    board = publication_board(runtime=runtime(), policy=policy, year=year, organization=_organization())
    published = {(r["organization"]): r for r in list_published_reports(runtime=runtime(), year=year)}
    for row in board["rows"]:
        row["report"] = published.get(row["organization"])
    return _html(render_template("web/reports.html", b=board, page_url=_here))


@blp.get("/reports/<string(maxlength=100):organization>/<int:year>")
@blp.get("/reports/<string(maxlength=100):organization>/<int:year>/versions/<int:number>")
def report(organization: str, year: int, number: int | None = None):
    """A published annual report (the latest version, or one version) as the template lays it out."""
    found = report_with_versions(runtime=runtime(), organization=organization, year=year, number=number)
    to = links()
    files = [{"kind": kind, "url": to.report_file(organization, year, found["version"], kind), **facts}
             for kind, facts in found["files"].items()]
    return _html(render_template("web/report.html", r=found, doc=found["report"], files=files,
                                 tables=report_tables(found["report"]), sections=t.SECTIONS))


@blp.get("/timeliness")
def timeliness():
    """The timeliness board: overdue and due-soon datasets, each organisation's on-time rate."""
    page = _positive_int("page")
    board = timeliness_board(runtime=runtime(), policy=timeliness_policy(runtime()), organization=_organization(),
                             status=(OVERDUE, DUE_SOON), page=page, limit=TIMELINESS_PAGE)
    pages = max(1, -(-board["total"] // TIMELINESS_PAGE))
    return _html(render_template("web/timeliness.html", b=board, page=page, pages=pages, page_url=_here))


@blp.get("/quality")
def quality():
    """Organisations ranked by their datasets' average quality score; the best and lowest datasets."""
    ranking = quality_ranking(runtime=runtime(), policy=timeliness_policy(runtime()), organization=_organization(),
                              limit=10)
    return _html(render_template("web/quality.html", q=ranking))


@blp.get("/statistics")
def statistics():
    """Downloads and API calls by month (a chart and its table), and the most used datasets."""
    found = usage_statistics(runtime=runtime(), organization=_organization(),
                             first=request.args.get("from") or None, last=request.args.get("to") or None)
    chart = {"kind": "timeseries", "points": [(m["month"], m["downloads"]) for m in found["months"]]}
    return _html(render_template("web/statistics.html", s=found, chart=chart))


def report_tables(doc: dict[str, Any]) -> dict[str, Any]:
    """Tables 二, 三 and 四 of a report document as rows of labelled cells, in the template's order."""
    two, three, four = doc["table_two"], doc["table_three"], doc["table_four"]
    return {
        "two": [{"article": block.article, "columns": block.columns,
                 "rows": [(row, [two[row.key][c.key] for c in block.columns]) for row in block.rows]}
                for block in t.TABLE_TWO],
        "three_columns": t.THREE_COLUMNS,
        "three": [(t.three_row_label(key), [three[key][c.key] for c in t.THREE_COLUMNS]) for key in t.THREE_ROWS],
        "four_columns": t.FOUR_RESULTS,
        "four": [(block, [four[block.key][c.key] for c in t.FOUR_RESULTS]) for block in t.FOUR_BLOCKS],
    }


def _year(raw: str) -> int:
    if not raw.isascii() or not raw.isdigit() or len(raw) != 4:
        raise ValidationError("invalid year", problems=[Problem("invalid-parameter",
                                                                "year must be a four-digit calendar year", path="year")])
    return int(raw)
