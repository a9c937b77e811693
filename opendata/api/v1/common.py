"""Per-request helpers of /api/v1: the runtime, the caller, the usage counter, the job runner, blueprints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app
from flask_smorest import Blueprint
from sqlalchemy.orm import Session

from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.jobrunner import JobRunner
from opendata.services.runtime import Runtime
from opendata.services.usage import UsageCounter
from opendata.store.db import transaction

PREFIX = "/api/v1"
USAGE_KEY = "opendata.usage"
RUNNER_KEY = "opendata.jobs"
BEARER = [{"bearerAuth": []}]


def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 (its name becomes the OpenAPI tag)."""
    return Blueprint(name, __name__, url_prefix=PREFIX, description=description)


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


def runner() -> JobRunner:
    return current_app.extensions[RUNNER_KEY]


@contextmanager
def session_scope() -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with transaction(runtime().sessions) as session:
        yield session


def job_url(uuid: str) -> str:
    return f"{PREFIX}/jobs/{uuid}"


def request_base_url() -> str:
    """OPENDATA_BASE_URL when set on purpose, else the request's own host (as the standards links)."""
    from opendata.api.standards.links import base_url as links_base_url

    return links_base_url()
