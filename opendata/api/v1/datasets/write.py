"""Register and update datasets and Table Schemas.

The disclosure class is changed by its own audited action, POST /api/v1/datasets/{id}/disclosure
(opendata.api.v1.disclosure, on opendata.services.disclosure: a loosening waits for review).
"""

from __future__ import annotations

from flask.views import MethodView
from marshmallow import RAISE, Schema, fields

from opendata.api.arguments import ArgumentsSchema
from opendata.api.auth import require_scope
from opendata.api.v1.common import BEARER, make_blueprint, runtime
from opendata.core.urls import SITE
from opendata.services.registry import register_dataset, register_schema, update_dataset

blp = make_blueprint("registry", "Register and update datasets and Table Schemas (publishers, administrators).")


class ContactWriteSchema(ArgumentsSchema):
    class Meta:
        unknown = RAISE

    name = fields.String()
    phone = fields.String()
    email = fields.String()
    address = fields.String()
    url = fields.String()


class TemporalWriteSchema(ArgumentsSchema):
    class Meta:
        unknown = RAISE

    start = fields.String(metadata={"description": "YYYY-MM-DD"})
    end = fields.String(metadata={"description": "YYYY-MM-DD"})


class DatasetWriteSchema(ArgumentsSchema):
    """Catalogue metadata, as in catalog.yaml; the same rules apply (docs/catalog.md)."""

    class Meta:
        unknown = RAISE

    id = fields.String(metadata={"description": "identifier: lowercase letters, digits, hyphens"})
    code = fields.String(metadata={"description": "catalogue code (目录编码), unique"})
    title = fields.String()
    title_en = fields.String(allow_none=True)
    description = fields.String()
    description_en = fields.String(allow_none=True, metadata={"description": "the description in English"})
    publisher = fields.String(metadata={"description": "organization id (own or a sub-organization)"})
    theme = fields.String()
    keywords = fields.List(fields.String())
    license = fields.String()
    disclosure = fields.String(metadata={"description": "unconditional | conditional | closed (on creation; "
                                                        "later only through the disclosure action)"})
    legal_basis = fields.String(allow_none=True)
    frequency = fields.String()
    temporal = fields.Nested(TemporalWriteSchema)
    spatial = fields.String(allow_none=True)
    contact = fields.Nested(ContactWriteSchema)
    schema = fields.String(metadata={"description": "name of a registered Table Schema"})
    sheet = fields.String(allow_none=True, metadata={"description": "sheet to read from XLSX/XLS uploads"})


class DatasetPatchSchema(DatasetWriteSchema):
    """The properties to change; the others keep their values."""


class RegisteredDatasetSchema(DatasetWriteSchema):
    """A dataset's catalogue metadata."""


class SchemaRegisterSchema(ArgumentsSchema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, metadata={"description": "e.g. budget.json"})
    descriptor = fields.Dict(required=True, metadata={"description": "a Frictionless Table Schema"})


class RegisteredSchemaSchema(Schema):
    name = fields.String()
    sha256 = fields.String()
    descriptor = fields.Dict()


@blp.route("/datasets")
class DatasetCreate(MethodView):
    @blp.arguments(DatasetWriteSchema)
    @blp.response(201, RegisteredDatasetSchema)
    @blp.doc(security=BEARER)
    def post(self, entry):
        """Register a dataset (publish scope; the publisher must be your organization or below it)."""
        actor = require_scope("publish")
        out = register_dataset(runtime=runtime(), actor=actor, entry=entry)
        return out, 201, {"Location": SITE.dataset_api(out["id"])}


@blp.route("/datasets/<dataset_id>")
class DatasetUpdate(MethodView):
    @blp.arguments(DatasetPatchSchema(partial=True))
    @blp.response(200, RegisteredDatasetSchema)
    @blp.doc(security=BEARER)
    def patch(self, changes, dataset_id: str):
        """Update a dataset's catalogue metadata (not its identifier or disclosure class)."""
        actor = require_scope("publish")
        return update_dataset(runtime=runtime(), actor=actor, identifier=dataset_id, changes=changes)


@blp.route("/schemas")
class SchemaCreate(MethodView):
    @blp.arguments(SchemaRegisterSchema)
    @blp.response(201, RegisteredSchemaSchema)
    @blp.doc(security=BEARER)
    def post(self, args):
        """Register a Table Schema; a wrong schema answers 422 naming the property."""
        actor = require_scope("publish")
        return register_schema(runtime=runtime(), actor=actor, name=args["name"], descriptor=args["descriptor"]), 201
