"""Per-request helpers of /api/v1: the runtime, the caller, the usage counter, the job runner, blueprints."""

from __future__ import annotations

from flask import current_app
from flask_smorest import Blueprint

from opendata.api.context import caller
from opendata.core.urls import SITE
from opendata.services.access import Viewer
from opendata.services.jobrunner import JobRunner, job_runner
from opendata.services.runtime import Runtime
from opendata.services.usage import UsageCounter, usage_counter

PREFIX = "/api/v1"
BEARER = [{"bearerAuth": []}]



def make_blueprint(name: str, description: str) -> Blueprint:
    """A flask-smorest blueprint under /api/v1 (its name becomes the OpenAPI tag)."""
    return Blueprint(name, __name__, url_prefix=PREFIX, description=description)


def runtime() -> Runtime:
    return current_app.extensions["opendata"]


def viewer() -> Viewer:
    """The caller of this request (anonymous without a valid token)."""
    return caller()


def usage() -> UsageCounter:
    """This process's usage counter."""
    return usage_counter(current_app.extensions["opendata"])


def runner() -> JobRunner:
    """This process's ingest job runner."""
    return job_runner(current_app.extensions["opendata"])


def job_url(uuid: str) -> str:
    """A job's URL as the write API gives it: site-relative, like the Location of the upload that made it."""
    return SITE.job(uuid)
