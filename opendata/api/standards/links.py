"""Absolute links for responses: OPENDATA_BASE_URL when set, else the request's own host."""

from __future__ import annotations

import os

from flask import current_app, request

from opendata.config import SETTINGS
from opendata.services.access import Viewer
from opendata.services.standards.served import Links

_DEFAULT_BASE_URL = next(s.default for s in SETTINGS if s.name == "BASE_URL")


def runtime():
    return current_app.extensions["opendata"]


def base_url() -> str:
    """OPENDATA_BASE_URL if configured (environment or app config), else the request host.

    The default setting points at a development server, so it is used only when set on purpose.
    """
    configured = runtime().config.BASE_URL
    if "OPENDATA_BASE_URL" in os.environ or configured not in (_DEFAULT_BASE_URL,):
        return configured.rstrip("/")
    return request.host_url.rstrip("/")


def request_links() -> Links:
    return Links(base_url())


def caller() -> Viewer:
    """The authenticated caller (ANONYMOUS without a token), for per-caller answers (CKAN, Data Package)."""
    from opendata.api.auth import current_viewer

    return current_viewer()
