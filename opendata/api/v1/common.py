"""Per-request helpers of /api/v1: the runtime, the caller, link base, usage counter, blueprints."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.runtime import Runtime
from opendata.services.usage import UsageCounter

PREFIX = "/api/v1"
USAGE_KEY = "opendata.usage"


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 (its name becomes the OpenAPI tag)."""
    return Blueprint(name, f"opendata.api.v1.{name}", url_prefix=PREFIX, description=description)


def runtime() -> Runtime:
    return current_app.extensions["opendata"]


def viewer() -> Viewer:
    """The caller of this request (anonymous without a valid token)."""
    try:
        from opendata.api.auth import current_viewer
    except ImportError:  # authentication not wired in this build: everyone is anonymous
        return ANONYMOUS
    return current_viewer()


def base_url() -> str:
    """The public base URL used in links (OPENDATA_BASE_URL)."""
    return str(runtime().config.BASE_URL).rstrip("/")


def usage() -> UsageCounter:
    return current_app.extensions[USAGE_KEY]
