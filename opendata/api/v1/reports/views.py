"""Routes of /api/v1/reports: each calls one service of opendata.services.reports.

Published reports, their versions and files, and the board are public; drafts and entries are for
staff of the organisation (publishers and reviewers with a token) and administrators.
"""

from __future__ import annotations

from flask import Response, request
from flask.views import MethodView

from opendata.api.files import StoredFile, send_stored
from opendata.api.urls import links
from opendata.api.v1.common import make_blueprint, runtime, viewer
from opendata.api.v1.reports import schemas
from opendata.core.errors import Problem, ValidationError
from opendata.core.reports.template import describe
from opendata.core.reports.xlsx import blank_workbook
from opendata.services.reports import board, entries, publication
from opendata.services.reports.policy import ReportPolicy

blp = make_blueprint("reports", "Annual disclosure reports (政府信息公开工作年度报告, 2021 template): published "
                                "versions with sha256, XLSX and DOCX, staff entries and drafts, the publication board.")
BEARER = [{"bearerAuth": []}]
_ORG_YEAR = "/reports/<string(maxlength=100):organization>/<int:year>"
_FILE_RESPONSES = {"description": "the file; ETag is its sha256"}


def policy() -> ReportPolicy:
    """This process's report policy (a runtime part made once from the configuration)."""
    rt = runtime()
    return rt.part("reports.policy", lambda: ReportPolicy.from_config(rt.config))


def _linked(version: dict) -> dict:
    """A version's facts with the URLs of its page, its API resource and its files."""
    to = links()
    slug, year, number = version["organization"], version["year"], version["version"]
    return {**version, "links": {"page": to.report_page(slug, year, number), "api": to.report_api(slug, year, number),
                                 **{kind: to.report_file(slug, year, number, kind) for kind in ("json", "xlsx", "docx")}}}


@blp.route("/reports")
class Reports(MethodView):
    @blp.arguments(schemas.ReportListQueryArgsSchema, location="query")
    @blp.response(200, schemas.ReportVersionSchema(many=True))
    def get(self, args):
        """Published reports: the latest version of each organisation's report, newest year first."""
        return [_linked(v) for v in publication.list_published_reports(runtime=runtime(), **args)]


@blp.route("/reports/template")
class Template(MethodView):
    @blp.response(200)
    def get(self):
        """The 2021 template: sections, and every table's rows and columns with their keys and wording."""
        return describe()


@blp.route("/reports/form.xlsx")
class Form(MethodView):
    @blp.response(200, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    def get(self):
        """Tables 二 and 四 laid out as the template, empty: fill in and import."""
        response = Response(blank_workbook(), mimetype=publication.FILE_KINDS["xlsx"])
        response.headers["Content-Disposition"] = 'attachment; filename="annual-report-form.xlsx"'
        return response


@blp.route("/reports/board")
class Board(MethodView):
    @blp.arguments(schemas.ReportBoardQueryArgsSchema, location="query")
    @blp.response(200, schemas.ReportBoardSchema)
    def get(self, args):
        """Who has published the year's report: departments by 31 January, governments by 31 March."""
        return board.publication_board(runtime=runtime(), policy=policy(), **args)


@blp.route(_ORG_YEAR)
class Latest(MethodView):
    @blp.response(200, schemas.ReportPublishedSchema)
    def get(self, organization, year):
        """The latest published version of the organisation's report of the year, with its document."""
        return _linked(publication.published_report(runtime=runtime(), organization=organization, year=year))


@blp.route(f"{_ORG_YEAR}/versions")
class Versions(MethodView):
    @blp.response(200, schemas.ReportVersionSchema(many=True))
    def get(self, organization, year):
        """Every published version, oldest first."""
        return [_linked(v) for v in publication.report_versions(runtime=runtime(), organization=organization,
                                                                 year=year)]

    @blp.doc(security=BEARER)
    @blp.response(201, schemas.ReportVersionSchema)
    def post(self, organization, year):
        """Publish the report as it stands (the next version; 422 naming each cell while a check fails)."""
        return _linked(publication.publish_report(runtime=runtime(), policy=policy(), viewer=viewer(),
                                                  organization=organization, year=year))


@blp.route(f"{_ORG_YEAR}/versions/<int:number>")
class VersionByNumber(MethodView):
    @blp.response(200, schemas.ReportPublishedSchema)
    def get(self, organization, year, number):
        """One published version with its document."""
        return _linked(publication.published_report(runtime=runtime(), organization=organization, year=year,
                                                    number=number))


@blp.route(f"{_ORG_YEAR}/versions/<int:number>/report.<any(json, xlsx, docx):kind>")
class VersionFile(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    @blp.alt_response(304, description="not modified")
    def get(self, organization, year, number, kind):
        """A published version as JSON (the bytes its sha256 is of), XLSX or DOCX in the template's layout."""
        f = publication.report_file(runtime=runtime(), organization=organization, year=year, number=number,
                                    kind=kind)
        if f.data is not None:
            response = Response(f.data, mimetype=f.media_type)
            response.set_etag(f.sha256)
            response.cache_control.public, response.cache_control.max_age = True, 3600
            response = response.make_conditional(request)
        else:
            rt = runtime()
            stored = StoredFile(f.path, f.size, f.sha256, f.media_type, None)
            response = send_stored(stored, home=rt.config.home, accel_prefix=rt.config.ACCEL_REDIRECT_PREFIX,
                                   cache_control="public, max-age=3600")
        response.headers["Content-Disposition"] = f'attachment; filename="{f.filename}"'
        return response


@blp.route(f"{_ORG_YEAR}/draft")
class Draft(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ReportDraftSchema)
    def get(self, organization, year):
        """The report as it would be published now, with the problems that would stop it (staff)."""
        return publication.draft_report(runtime=runtime(), policy=policy(), viewer=viewer(),
                                        organization=organization, year=year)


@blp.route(f"{_ORG_YEAR}/entry")
class Entry(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ReportEntryViewSchema)
    def get(self, organization, year):
        """What staff entered: texts of sections 一, 五, 六 and tables 二 and 四 (staff)."""
        return entries.report_entry(runtime=runtime(), policy=policy(), viewer=viewer(),
                                    organization=organization, year=year)

    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ReportEntrySchema)
    @blp.response(200, schemas.ReportEntryViewSchema)
    def put(self, body, organization, year):
        """Replace the parts given; every figure is checked and a bad one names its table, row and column."""
        return entries.save_report_entry(runtime=runtime(), policy=policy(), viewer=viewer(),
                                         organization=organization, year=year, **body)


@blp.route(f"{_ORG_YEAR}/entry/import")
class EntryImport(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ReportImportSchema, location="files")
    @blp.response(200, schemas.ReportEntryViewSchema)
    def post(self, files, organization, year):
        """Import tables 二 and 四 from a CSV or XLSX laid out as the template (form.xlsx)."""
        upload = files["file"]
        if not hasattr(upload, "stream"):
            raise ValidationError("send the file as multipart/form-data field 'file'",
                                  problems=[Problem("required", "no file", path="file")])
        return entries.import_report_tables(runtime=runtime(), policy=policy(), viewer=viewer(),
                                            organization=organization, year=year, stream=upload.stream,
                                            filename=upload.filename or "upload")
