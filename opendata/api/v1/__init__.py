"""The REST API under /api/v1 (flask-smorest), one module or package per resource.

``organizations``, ``datasets/`` (``read``: search, detail, versions; ``write``: registration and
schemas; ``downloads``; ``rows``; ``grants``), ``uploads/`` (``direct`` and ``tus``), ``jobs``,
``review``, ``disclosure`` (disclosure changes: asked for, reviewed), ``tokens``, ``audit``,
``changes``, ``requests/`` (requests for disclosure) ``reports/`` (annual disclosure reports),
``timeliness`` (the timeliness board), ``quality`` (quality scores), ``statistics`` (usage by
month) and ``showcases`` (reuse showcases); ``common`` holds the per-request helpers and ``schemas`` the read API's marshmallow schemas.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

log = logging.getLogger(__name__)


def register(app: Flask, api: Api) -> None:
    """Register the /api/v1 blueprints and the feed alias; fail the jobs a crashed process left behind."""
    from opendata.api.v1 import (
        audit,
        changes,
        disclosure,
        jobs,
        organizations,
        quality,
        review,
        showcases,
        statistics,
        timeliness,
        tokens,
    )
    from opendata.api.v1.datasets import downloads, grants, read, rows, write
    from opendata.api.v1.reports import views as reports
    from opendata.api.v1.requests import public as requests_public
    from opendata.api.v1.requests import staff as _requests_staff  # noqa: F401  (adds the staff routes)
    from opendata.api.v1.uploads import direct, tus

    runtime = app.extensions["opendata"]
    if "bearerAuth" not in api.spec.components.security_schemes:
        api.spec.components.security_scheme(
            "bearerAuth", {"type": "http", "scheme": "bearer", "description": "an API token: od_<prefix>_<secret>"})
    for module in (organizations, read, downloads, rows, changes, write, direct, jobs, tus, review,
                   disclosure, tokens, audit, grants, requests_public, reports, timeliness, quality,
                   statistics, showcases):
        api.register_blueprint(module.blp)
    _document_error_shape(api)
    _recover_abandoned_jobs(runtime)

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


def _recover_abandoned_jobs(runtime) -> None:
    """Fail the ingest jobs a crashed process left behind (a database not ready yet must not stop the app)."""
    from opendata.services.jobrunner import live_owners
    from opendata.services.jobs import recover_abandoned
    from opendata.services.taskqueue import queue_enabled

    try:
        if runtime.is_initialized():
            failed = recover_abandoned(runtime=runtime, stale_after=runtime.config.INGEST_STALE_SECONDS,
                                       live_owners=live_owners(), queued=queue_enabled(runtime))
            if failed:
                log.warning("marked %d interrupted ingest job(s) as failed: %s", len(failed), ", ".join(failed))
    except Exception:
        log.exception("could not check for interrupted ingest jobs")
