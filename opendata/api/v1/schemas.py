"""Marshmallow schemas of /api/v1: query arguments in, documents out (they shape the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.api.query_args import QuickQueryArgsSchema
from opendata.core import vocab
from opendata.core.rowquery import DEFAULT_LIMIT, FORMATS, MAX_LIMIT
from opendata.services.search import SORTS

_S = {"allow_none": True}


def _names(terms) -> list[str]:
    """Every accepted spelling of a vocabulary: keys, Chinese names and aliases."""
    return list(dict.fromkeys(n for t in terms for n in (t.key, t.zh, *t.aliases)))


class _TermList(fields.List):
    """Vocabulary terms, the parameter repeated or its values separated by commas (``theme=fiscal,health``).

    Each term is checked after splitting; an unknown one is refused with the parameter and the value.
    The items keep their ``enum`` in the OpenAPI document.
    """

    def __init__(self, names: list[str], **kwargs) -> None:
        super().__init__(fields.String(validate=validate.OneOf(names)), **kwargs)
        self.names = frozenset(names)

    @staticmethod
    def _split(raw) -> list[str]:
        """The terms of the parameter's values: each split at commas, spaces around a term dropped."""
        return [v.strip() for item in raw for v in str(item).split(",")]

    def _deserialize(self, value, attr, data, **kwargs) -> list[str]:
        raw = [value] if isinstance(value, str) else value
        if not isinstance(raw, list | tuple):
            raise self.make_error("invalid")
        values = self._split(raw)
        unknown = [v for v in values if v not in self.names]
        if unknown:
            raise ma.ValidationError(f"unknown {self.data_key or attr}: " + ", ".join(repr(v[:50]) for v in unknown))
        return super()._deserialize(values, attr, data, **kwargs)

    def quick_load(self, value) -> list[str] | None:
        """What ``deserialize`` returns for known terms (QuickQueryArgsSchema); None for anything else."""
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return None
        values = self._split(value)
        return values if all(v in self.names for v in values) else None


def _term_list(terms, description: str) -> fields.List:
    return _TermList(_names(terms), metadata={
        "description": f"{description}; repeat the parameter or separate values with commas"})


class TermSchema(ma.Schema):
    """A vocabulary term: the stored key and its Chinese and English names."""

    key = fields.String(required=True)
    name = fields.String(required=True, metadata={"description": "Chinese name"})
    name_en = fields.String()


class DisclosureTermSchema(TermSchema):
    law_name = fields.String(**_S, metadata={"description": "name in the disclosure regulations"})


class ErrorSchema(ma.Schema):
    """The one error shape of /api/v1."""

    code = fields.String(required=True)
    status = fields.Integer(required=True)
    message = fields.String(required=True)
    errors = fields.Raw(required=True)


# -- organizations --------------------------------------------------------------------------------
class LevelSchema(ma.Schema):
    key = fields.String()
    name = fields.String()


class OrganizationSchema(ma.Schema):
    """An organization with counts of the datasets the caller may see."""

    id = fields.String(required=True, metadata={"description": "slug"})
    name = fields.String(required=True)
    name_en = fields.String(**_S)
    credit_code = fields.String(**_S)
    level = fields.Nested(LevelSchema)
    division_code = fields.String()
    parent = fields.String(**_S)
    datasets = fields.Integer(metadata={"description": "catalogue entries of this organization"})
    open_datasets = fields.Integer(metadata={"description": "entries whose data can be downloaded"})


class OrganizationListSchema(ma.Schema):
    organizations = fields.List(fields.Nested(OrganizationSchema))


class OrganizationNodeSchema(OrganizationSchema):
    datasets_total = fields.Integer(metadata={"description": "datasets including descendants"})
    children = fields.List(fields.Nested(lambda: OrganizationNodeSchema()))


class OrganizationTreeSchema(ma.Schema):
    organizations = fields.List(fields.Nested(OrganizationNodeSchema))


class ChildSchema(ma.Schema):
    id = fields.String()
    name = fields.String()


class ThemeCountSchema(TermSchema):
    count = fields.Integer()


class OrganizationDetailSchema(OrganizationSchema):
    contact = fields.Dict(keys=fields.String(), values=fields.Raw())
    children = fields.List(fields.Nested(ChildSchema))
    themes = fields.List(fields.Nested(ThemeCountSchema))


# -- datasets -------------------------------------------------------------------------------------
class DatasetSearchQueryArgsSchema(QuickQueryArgsSchema):
    """Search text, facet filters (repeat a parameter or separate values with commas), sort and page."""

    q = fields.String(metadata={"description": "words in title, description, keywords or column names"})
    theme = _term_list(vocab.THEMES, "theme key or Chinese name")
    publisher = fields.List(fields.String(), metadata={"description": "organization id"})
    format = fields.List(fields.String(), metadata={"description": "CSV or Parquet"})
    disclosure = _term_list(vocab.DISCLOSURE_CLASSES, "disclosure class key or Chinese name")
    frequency = _term_list(vocab.FREQUENCIES, "update frequency key or Chinese name")
    keyword = fields.List(fields.String())
    license = fields.List(fields.String(), metadata={"description": "licence id, e.g. CC-BY-4.0"})
    sort = fields.String(load_default="relevance", validate=validate.OneOf(SORTS),
                         metadata={"description": "relevance (newest first without q), modified, title, downloads, "
                                                  "identifier, quality (the best quality score first)"})
    quality__gte = fields.Integer(validate=validate.Range(min=0, max=100),
                                  metadata={"description": "only datasets whose quality score (0-100) is at least "
                                                           "this"})
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=100_000))
    page_size = fields.Integer(load_default=20, validate=validate.Range(min=0, max=100))


class PublisherRefSchema(ma.Schema):
    id = fields.String()
    name = fields.String()


class LatestVersionSchema(ma.Schema):
    number = fields.Integer()
    published = fields.String(**_S)


class DatasetSummarySchema(ma.Schema):
    """A dataset in a list."""

    id = fields.String(required=True, metadata={"description": "identifier"})
    code = fields.String()
    title = fields.String()
    title_en = fields.String(**_S)
    description = fields.String()
    description_en = fields.String(**_S)
    publisher = fields.Nested(PublisherRefSchema)
    theme = fields.Nested(TermSchema)
    keywords = fields.List(fields.String())
    disclosure = fields.Nested(DisclosureTermSchema)
    frequency = fields.Nested(TermSchema)
    license = fields.Raw()
    formats = fields.List(fields.String())
    created = fields.String()
    modified = fields.String()
    latest_version = fields.Nested(LatestVersionSchema, **_S)
    data_available = fields.Boolean()


class FacetItemSchema(ma.Schema):
    value = fields.String()
    label = fields.String()
    count = fields.Integer()


class DatasetSearchSchema(ma.Schema):
    """One page of a search with the total and the facet counts over every match."""

    total = fields.Integer()
    page = fields.Integer()
    page_size = fields.Integer()
    results = fields.List(fields.Nested(DatasetSummarySchema))
    facets = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(FacetItemSchema)))


class FileSchema(ma.Schema):
    kind = fields.String()
    media_type = fields.String()
    bytes = fields.Integer()
    sha256 = fields.String()
    url = fields.String(**_S)


class VersionLinksSchema(ma.Schema):
    csv = fields.String()
    parquet = fields.String()
    csv_excel = fields.String(attribute="csv-excel", data_key="csv-excel")
    rows = fields.String()


class VersionSchema(ma.Schema):
    """A version; data facts only when the caller may receive the data."""

    number = fields.Integer(required=True)
    state = fields.String()
    published = fields.String(**_S)
    created = fields.String()
    data_available = fields.Boolean()
    row_count = fields.Integer(**_S)
    source_format = fields.String(**_S)
    source_encoding = fields.String(**_S)
    files = fields.List(fields.Nested(FileSchema))
    links = fields.Nested(VersionLinksSchema)


class VersionDetailSchema(VersionSchema):
    report = fields.Dict(**_S, metadata={"description": "validation report (Frictionless v5 shape)"})


class VersionDiffQueryArgsSchema(ArgumentsSchema):
    against = fields.Integer(validate=validate.Range(min=1), metadata={
        "description": "the version to compare with (default: the previous version you may download)"})


class VersionDiffSchema(ma.Schema):
    dataset = fields.String()
    version = fields.Integer()
    against = fields.Integer()
    rows = fields.Dict(metadata={"description": "before, after, added, removed, changed (null when rows "
                                                "cannot be matched by a primary key), unchanged"})
    schema = fields.Dict(metadata={"description": "fields added, removed, and changed (type or format)"})
    matched_by = fields.List(fields.String(), allow_none=True,
                             metadata={"description": "the primary key rows were matched by, or null"})


class VersionListSchema(ma.Schema):
    versions = fields.List(fields.Nested(VersionSchema))


class LicenseSchema(ma.Schema):
    id = fields.String()
    url = fields.String(**_S)


class TemporalSchema(ma.Schema):
    start = fields.String(**_S)
    end = fields.String(**_S)


class FieldSchema(ma.Schema):
    name = fields.String()
    type = fields.String()
    format = fields.String()
    title = fields.String()
    description = fields.String()
    constraints = fields.Dict()
    example = fields.Raw()
    unit = fields.String()


class TableSchemaSchema(ma.Schema):
    name = fields.String()
    fields_ = fields.List(fields.Nested(FieldSchema), attribute="fields", data_key="fields")
    primary_key = fields.Raw(**_S)


class DownloadSchema(ma.Schema):
    version = fields.Integer()
    row_count = fields.Integer(**_S)
    csv = fields.String()
    parquet = fields.String()
    csv_excel = fields.String()
    rows = fields.String()
    files = fields.List(fields.Nested(FileSchema))


class DailyUsageSchema(ma.Schema):
    day = fields.String()
    downloads = fields.Integer()
    api_calls = fields.Integer()


class UsageSchema(ma.Schema):
    downloads = fields.Integer()
    api_calls = fields.Integer()
    daily = fields.List(fields.Nested(DailyUsageSchema))


class QualityDimensionSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    name_en = fields.String()
    points = fields.Float()
    max_points = fields.Integer()


class QualityCheckSchema(QualityDimensionSchema):
    dimension = fields.String()
    passed = fields.Boolean()
    hint = fields.String()
    hint_en = fields.String()


class QualityImprovementSchema(ma.Schema):
    key = fields.String()
    name = fields.String()
    name_en = fields.String()
    points = fields.Float(metadata={"description": "points this check would add"})
    score = fields.Float(metadata={"description": "what it would add to the score (0-100)"})
    hint = fields.String()
    hint_en = fields.String()


class QualitySchema(ma.Schema):
    """The quality score (0-100) with its breakdown and what would raise it (docs/reports.md)."""

    score = fields.Integer()
    rating = fields.String(metadata={"description": "excellent, good, sufficient or bad"})
    rating_name = fields.String()
    rating_name_en = fields.String()
    points = fields.Float()
    max_points = fields.Integer()
    dimensions = fields.List(fields.Nested(QualityDimensionSchema))
    checks = fields.List(fields.Nested(QualityCheckSchema))
    improvements = fields.List(fields.Nested(QualityImprovementSchema))


class TimelinessStandingSchema(ma.Schema):
    status = fields.String(metadata={"description": "overdue, due-soon, on-time or no-schedule"})
    status_name = fields.String()
    last_update = fields.Date()
    due = fields.Date(**_S)
    days_left = fields.Integer(**_S)
    never_published = fields.Boolean()


class DatasetDetailSchema(DatasetSummarySchema):
    """Everything about a dataset the caller may see."""

    legal_basis = fields.String(**_S)
    license = fields.Nested(LicenseSchema)
    temporal = fields.Nested(TemporalSchema)
    spatial = fields.String(**_S)
    contact = fields.Dict(keys=fields.String(), values=fields.Raw())
    schema = fields.Nested(TableSchemaSchema)
    versions = fields.List(fields.Nested(VersionSchema))
    download = fields.Nested(DownloadSchema, **_S)
    usage = fields.Nested(UsageSchema)
    quality = fields.Nested(QualitySchema)
    timeliness = fields.Nested(TimelinessStandingSchema, **_S, metadata={
        "description": "null for closed or withdrawn datasets, which are not on the timeliness board"})


# -- rows, changes --------------------------------------------------------------------------------
class RowsQueryArgsSchema(ArgumentsSchema):
    """Row-query parameters; any other parameter is a filter ``column=value`` or ``column__op=value``.

    This schema documents the parameters; their rules and bounds are core's (opendata.core.rowquery),
    which parses them once, in the engine.

    Operators: gt, gte, lt, lte, ne, in (comma-separated), contains, startswith, isnull.
    """

    class Meta:
        unknown = ma.INCLUDE

    q = fields.String(metadata={"description": "text search within the rows"})
    sort = fields.String(metadata={"description": "columns, comma-separated; prefix - for descending"})
    fields_ = fields.String(attribute="fields", data_key="fields", metadata={"description": "columns to return"})
    limit = fields.Integer(validate=validate.Range(min=1, max=MAX_LIMIT),
                           metadata={"description": f"rows per page, 1..{MAX_LIMIT} (default {DEFAULT_LIMIT})"})
    offset = fields.Integer(validate=validate.Range(min=0),
                            metadata={"description": "rows to skip (alternative to next)"})
    next = fields.String(metadata={"description": "opaque keyset cursor from the previous page"})
    format = fields.String(validate=validate.OneOf(FORMATS),
                           metadata={"description": f"{', '.join(FORMATS)} (default {FORMATS[0]})"})
    group_by = fields.String(metadata={"description": "columns to group by"})
    agg = fields.String(metadata={"description": "aggregates: count, sum:col, avg:col, min:col, max:col"})
    total = fields.Boolean(metadata={"description": "include the total (true, default) or not"})


class RowFieldSchema(ma.Schema):
    name = fields.String()
    type = fields.String()


class RowsPageSchema(ma.Schema):
    """A page of rows (format=json); csv, ndjson and parquet return the rows alone."""

    version = fields.String()
    fields_ = fields.List(fields.Nested(RowFieldSchema), attribute="fields", data_key="fields")
    total = fields.Integer(**_S)
    total_exact = fields.Boolean()
    next = fields.String(**_S)
    limit = fields.Integer()
    offset = fields.Integer()
    rows = fields.List(fields.Dict())


class ChangesQueryArgsSchema(ArgumentsSchema):
    since = fields.Integer(load_default=0, validate=validate.Range(min=0, max=2**62),
                           metadata={"description": "sequence number of the last change already seen"})
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))


class ChangeSchema(ma.Schema):
    seq = fields.Integer()
    at = fields.String()
    action = fields.String()
    dataset = fields.String()
    title = fields.String(**_S)
    version = fields.Integer(**_S)
    url = fields.String(**_S)


class ChangesSchema(ma.Schema):
    """Changes after ``since`` in sequence order; pass ``next`` as ``since`` to continue."""

    changes = fields.List(fields.Nested(ChangeSchema))
    next = fields.Integer()
    more = fields.Boolean()


class FeedQueryArgsSchema(ArgumentsSchema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
