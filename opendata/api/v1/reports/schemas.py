"""Marshmallow schemas of /api/v1/reports."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

_N = {"allow_none": True}
_TABLE = {"description": "rows, each an object of columns to figures; the keys are those of "
                         "GET /api/v1/reports/template"}


class _Strict(Schema):
    class Meta:
        unknown = RAISE


class ReportListQueryArgsSchema(_Strict):
    year = fields.Integer(validate=validate.Range(2008, 2999))
    organization = fields.String(validate=validate.Length(max=100),
                                 metadata={"description": "this organisation and those under it"})


class ReportBoardQueryArgsSchema(_Strict):
    year = fields.Integer(required=True, validate=validate.Range(2008, 2999))
    organization = fields.String(validate=validate.Length(max=100))


class ReportEntrySchema(_Strict):
    """What staff enter: any of the three texts and the two tables (a part given replaces the stored one)."""

    sections = fields.Dict(keys=fields.String(), values=fields.String(**_N),
                           metadata={"description": "overview (一), problems (五), other (六)"})
    table_two = fields.Dict(metadata=_TABLE)
    table_four = fields.Dict(metadata=_TABLE)


class ReportEntryViewSchema(Schema):
    organization = fields.String()
    year = fields.Integer()
    sections = fields.Dict()
    table_two = fields.Dict()
    table_four = fields.Dict()
    modified_at = fields.DateTime(**_N)
    modified_by = fields.String(**_N)


class ReportImportSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary",
                                               "description": "CSV or XLSX laid out as the template"})


class ReportFileFactsSchema(Schema):
    sha256 = fields.String()
    bytes = fields.Integer()


class ReportVersionSchema(Schema):
    organization = fields.String()
    organization_name = fields.String()
    title = fields.String()
    year = fields.Integer()
    version = fields.Integer()
    published_at = fields.DateTime()
    published_by = fields.String()
    sha256 = fields.String(metadata={"description": "sha256 of the report's JSON file (its canonical bytes)"})
    files = fields.Dict(keys=fields.String(), values=fields.Nested(ReportFileFactsSchema))
    links = fields.Dict()


class ReportPublishedSchema(ReportVersionSchema):
    report = fields.Dict(metadata={"description": "the report document (what report.json holds)"})


class ReportDraftSchema(Schema):
    document = fields.Dict()
    problems = fields.List(fields.Dict(), metadata={"description": "each failed check: code, message, path"})
    publishable = fields.Boolean()
    published_versions = fields.Integer()


class ReportBoardRowSchema(Schema):
    organization = fields.String()
    name = fields.String()
    name_en = fields.String(**_N)
    level = fields.String()
    depth = fields.Integer()
    kind = fields.String()
    kind_name = fields.String()
    deadline = fields.Date()
    first_published_on = fields.Date(**_N)
    versions = fields.Integer()
    status = fields.String(metadata={"description": "on-time, late, missing or not-due"})
    status_name = fields.String()


class ReportBoardSchema(Schema):
    year = fields.Integer()
    today = fields.Date()
    organization = fields.String(**_N)
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    rows = fields.List(fields.Nested(ReportBoardRowSchema))
