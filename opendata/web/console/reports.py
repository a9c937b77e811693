"""The validation report page of a version, and the whole report as JSON or CSV."""

from __future__ import annotations

import json

from flask import Response, render_template

from opendata.core.report_view import column_letters, report_csv, report_overview
from opendata.services.version_reports import version_report
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.context import runtime


def _load(identifier: str, number: int):
    return version_report(runtime=runtime(), viewer=signed_in(), identifier=identifier, number=number)


@blp.get("/datasets/<identifier>/versions/<int:number>")
def report(identifier: str, number: int):
    """Errors grouped by type and column with counts, the first rows with bad cells marked, fix hints."""
    data = _load(identifier, number)
    overview = report_overview(data["report"], data["schema"])
    return render_template("console/report.html", d=data, r=overview, letters=column_letters)


@blp.get("/datasets/<identifier>/versions/<int:number>/report.json")
def report_json(identifier: str, number: int):
    """The whole stored report (Frictionless' report shape) as a file."""
    data = _load(identifier, number)
    body = json.dumps(data["report"], ensure_ascii=False, indent=2, default=str)
    return _attachment(body, "application/json", f"{identifier}-v{number}-report.json")


@blp.get("/datasets/<identifier>/versions/<int:number>/report.csv")
def report_csv_file(identifier: str, number: int):
    """The report's errors, one line each, as CSV for a spreadsheet (UTF-8 with BOM)."""
    data = _load(identifier, number)
    return _attachment(report_csv(data["report"]), "text/csv", f"{identifier}-v{number}-errors.csv")


def _attachment(body: str, mimetype: str, filename: str) -> Response:
    response = Response(body.encode("utf-8"), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.charset = "utf-8"
    return response
