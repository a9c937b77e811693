"""Which blueprints the API has; create_app() calls :func:`register`."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register every blueprint of the API and the standards endpoints."""
    del app, api  # the read API (issue 4) registers its blueprints here
