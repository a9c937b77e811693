"""The write side of /api/v1: dataset and schema registration, uploads, ingest jobs, tus uploads.

Registered from opendata.api.blueprints into the same OpenAPI document as the read API. Also
wires the ingest job runner of this process and fails the jobs a crashed process left behind.
"""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from opendata.api.v1_write.common import RUNNER_KEY

log = logging.getLogger(__name__)


def register(app: Flask, api: Api) -> None:
    """Register the write blueprints, the job runner, and recover abandoned jobs."""
    from opendata.api.v1_write import datasets, tus, uploads
    from opendata.services.jobrunner import ThreadJobRunner, live_owners
    from opendata.services.jobs import recover_abandoned

    runtime = app.extensions["opendata"]
    app.extensions[RUNNER_KEY] = ThreadJobRunner(runtime, workers=runtime.config.INGEST_WORKERS)
    for module in (datasets, uploads, tus):
        api.register_blueprint(module.blp)
    try:
        if runtime.is_initialized():
            failed = recover_abandoned(runtime=runtime, stale_after=runtime.config.INGEST_STALE_SECONDS,
                                       live_owners=live_owners())
            if failed:
                log.warning("marked %d interrupted ingest job(s) as failed: %s", len(failed), ", ".join(failed))
    except Exception:  # a database that is not ready yet must not stop the app from starting
        log.exception("could not check for interrupted ingest jobs")
