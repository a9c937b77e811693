"""The URL builder of the HTTP layer: :func:`links` for the request being answered.

One rule for the base (:meth:`opendata.config.Config.public_base_url`): OPENDATA_BASE_URL when it is
set on purpose, else the request's own host. The URL shapes themselves are in opendata/core/urls.py.
"""

from __future__ import annotations

from flask import current_app, request

from opendata.core.urls import Links


def links() -> Links:
    """Absolute links for the answer to the current request."""
    return Links(current_app.extensions["opendata"].config.public_base_url(request.host_url))
