"""The REST API under /api/v1 (flask-smorest): organizations, datasets, versions, downloads, rows, changes."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from opendata.api.v1.common import USAGE_KEY


def register(app: Flask, api: Api) -> None:
    """Register the /api/v1 blueprints, the usage counter and the /feeds/datasets.atom alias."""
    from opendata.api.v1 import changes, datasets, downloads, organizations, rows
    from opendata.services.search import search_index
    from opendata.services.usage import UsageCounter

    runtime = app.extensions["opendata"]
    app.extensions[USAGE_KEY] = UsageCounter(runtime.sessions, on_flush=search_index(runtime).add_downloads)
    for module in (organizations, datasets, downloads, rows, changes):
        api.register_blueprint(module.blp)
    _document_error_shape(api)

    # the alias is the /api/v1 view itself, so it parses and checks `limit` the same way (422 if bad)
    app.add_url_rule("/feeds/datasets.atom", view_func=changes.DatasetsFeed.as_view("datasets_atom"))


def _document_error_shape(api: Api) -> None:
    """Make the OpenAPI 'Error' component describe the shape opendata.api.errors really sends."""
    api.spec.components.schemas["Error"] = {
        "type": "object",
        "description": "The one error shape: {code, status, message, errors}.",
        "properties": {
            "code": {"type": "string", "description": "kebab-case error code, e.g. not-found"},
            "status": {"type": "integer", "description": "HTTP status"},
            "message": {"type": "string"},
            "errors": {"description": "problems: a list of {code, message, path} or an object per location",
                       "oneOf": [{"type": "object"}, {"type": "array", "items": {"type": "object"}}]},
        },
        "required": ["code", "status", "message", "errors"],
    }
