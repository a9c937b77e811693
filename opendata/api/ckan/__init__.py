"""See opendata/api/blueprints.py. The CKAN-compatible Action API (/api/3/action)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register /api/3/action/<name> (plain Flask: CKAN's envelope, not our OpenAPI document)."""
    del api
    from opendata.api.ckan import envelope
    from opendata.api.ckan.views import blp

    app.register_blueprint(blp)
    envelope.register(app)  # every error under /api/3 and /api/action in CKAN's envelope
