"""Which blueprints the API has; create_app() calls :func:`register`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from opendata.api import ckan, standards, v1


def register(app: Flask, api: Api) -> None:
    """Register every blueprint: /api/v1 (REST), standards endpoints, /api/3/action (CKAN)."""
    v1.register(app, api)
    standards.register(app, api)
    ckan.register(app, api)
