"""Review before publishing (三审) under /api/v1/review: queue, review view, steps, findings, actions.

Registered from opendata.api.blueprints into the same OpenAPI document; the work happens in
opendata.services.review.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api


def register(app: Flask, api: Api) -> None:
    """Register the review blueprint."""
    del app
    from opendata.api.v1_review.views import blp

    api.register_blueprint(blp)
