"""Per-request facts the portal pages need: the runtime, the caller and the link base."""

from __future__ import annotations

from flask import current_app, g, request

from opendata.core.urls import Links
from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.runtime import Runtime


def limit_per_address(limits: str, scope: str) -> None:
    """Count this call against the caller's address (the rate limit create_app handed to the portal)."""
    current_app.extensions["opendata.web.limit_per_address"](limits, scope)


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

    The same rule as the standards endpoints (Config.public_base_url), so a page's canonical URL and
    its embedded JSON-LD equal what /datasets/{id}.jsonld and the catalogue exports say.
    """
    return Links(runtime().config.public_base_url(request.host_url))
