"""Absolute links for responses: OPENDATA_BASE_URL when set, else the request's own host."""

from __future__ import annotations

from flask import current_app, request

from opendata.services.access import Viewer
from opendata.services.published.entries import Links


def runtime():
    return current_app.extensions["opendata"]


def base_url() -> str:
    """OPENDATA_BASE_URL if configured (environment or app config), else the request host.

    The default setting points at a development server, so it is used only when set on purpose.
    """
    return runtime().config.public_base_url(request.host_url)


def request_links() -> Links:
    return Links(base_url())


def caller() -> Viewer:
    """The authenticated caller (ANONYMOUS without a token), for per-caller answers (CKAN, Data Package)."""
    from opendata.api.auth import current_viewer

    return current_viewer()
