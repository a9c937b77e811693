"""Per-request facts the portal pages need: the runtime, the caller and the link base."""

from __future__ import annotations

import os

from flask import current_app, g, request

from opendata.config import SETTINGS
from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.standards.served import Links
from opendata.store.runtime import Runtime

_DEFAULT_BASE_URL = next(s.default for s in SETTINGS if s.name == "BASE_URL")


def runtime() -> Runtime:
    return current_app.extensions["opendata"]


def viewer() -> Viewer:
    """The caller, as the app's authentication hook (opendata.api.auth) resolved it; anonymous otherwise.

    Browsers send no token, so pages are normally the anonymous view; a harvester with a token gets
    its own view, as from the API.
    """
    return g.get("viewer") or ANONYMOUS


def links() -> Links:
    """Absolute links from OPENDATA_BASE_URL if set on purpose, else the request's host.

    The same rule as the standards endpoints (opendata.api.standards.links), so a page's canonical
    URL and its embedded JSON-LD equal what /datasets/{id}.jsonld and the catalogue exports say.
    """
    configured = runtime().config.BASE_URL
    if "OPENDATA_BASE_URL" in os.environ or configured != _DEFAULT_BASE_URL:
        return Links(configured.rstrip("/"))
    return Links(request.host_url.rstrip("/"))
