"""Standards endpoints that belong in the /api/v1 OpenAPI document: the Data Package per dataset."""

from __future__ import annotations

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

blp = Blueprint("datapackage", "opendata.api.standards.documented", url_prefix="/api/v1",
                description="Open standards: the Frictionless Data Package of a dataset.")

_RESOURCE = {
    "type": "object",
    "required": ["name", "path", "format", "mediatype", "bytes", "hash", "schema"],
    "properties": {
        "name": {"type": "string"}, "type": {"type": "string"},
        "path": {"type": "string", "description": "absolute download URL"},
        "format": {"type": "string"}, "mediatype": {"type": "string"}, "encoding": {"type": "string"},
        "bytes": {"type": "integer", "minimum": 0},
        "hash": {"type": "string", "pattern": "^sha256:[0-9a-f]{64}$"},
        "schema": {"type": "object", "description": "Frictionless Table Schema"},
    },
}
DATAPACKAGE_SCHEMA = {
    "type": "object",
    "description": "Frictionless Data Package (https://specs.frictionlessdata.io/data-package/)",
    "required": ["name", "resources"],
    "properties": {
        "profile": {"type": "string"}, "name": {"type": "string"}, "id": {"type": "string"},
        "title": {"type": "string"}, "description": {"type": "string"}, "homepage": {"type": "string"},
        "version": {"type": "string"}, "created": {"type": "string"},
        "keywords": {"type": "array", "items": {"type": "string"}},
        "licenses": {"type": "array", "items": {"type": "object"}},
        "contributors": {"type": "array", "items": {"type": "object"}},
        "resources": {"type": "array", "minItems": 1, "items": _RESOURCE},
    },
}

_DESCRIPTION = "The Data Package of the latest version whose data the caller may receive"


@blp.route("/datasets/<dataset_id>/datapackage.json")
class DataPackage(MethodView):
    @blp.response(200, content_type="application/json", description=_DESCRIPTION)
    @blp.doc(responses={"200": {"description": _DESCRIPTION,
                                "content": {"application/json": {"schema": DATAPACKAGE_SCHEMA}}}})
    def get(self, dataset_id: str) -> Response:
        """Frictionless Data Package with absolute download URLs (404 when no data may be served)."""
        from opendata.api.standards.views import datapackage

        return datapackage(dataset_id)
