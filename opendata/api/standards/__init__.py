"""See opendata/api/blueprints.py. Standards endpoints: Data Package, DCAT-AP, data.json, schema.org, bulk."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register the standards endpoints: plain Flask routes (their formats are the standards'), and
    the Data Package under /api/v1, which is also in the OpenAPI document."""
    from opendata.api.standards.documented import blp as documented_blp
    from opendata.api.standards.sitemap import blp as sitemap_blp
    from opendata.api.standards.views import blp

    app.register_blueprint(blp)
    app.register_blueprint(sitemap_blp)
    api.register_blueprint(documented_blp)
