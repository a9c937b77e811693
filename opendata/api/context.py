"""Per-request facts every HTTP module needs: this process's runtime and the caller."""

from __future__ import annotations

from flask import current_app

from opendata.services.access import Viewer
from opendata.services.runtime import Runtime


def runtime() -> Runtime:
    """The runtime of this process (create_app made it)."""
    return current_app.extensions["opendata"]


def caller() -> Viewer:
    """The authenticated caller (ANONYMOUS without a token), as opendata.api.auth resolved it."""
    from opendata.api.auth import current_viewer

    return current_viewer()
