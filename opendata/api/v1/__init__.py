"""See opendata/api/blueprints.py."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register this package's blueprints (filled in by the read API work)."""
    del app, api
