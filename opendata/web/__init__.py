"""The portal: server-rendered pages for the URLs the catalogue exports publish.

``/catalog`` (the catalogue's IRI), ``/datasets/{id}`` (every dataset's landing page) and
``/organizations/{slug}`` (the publisher IRI), and the requests for disclosure: ``/requests/new`` (the
public form) and ``/requests/status`` (follow one by tracking code and contact). Jinja templates in ``templates/web/``, one local
stylesheet under ``/assets/``; data only through the read services, which apply the access rules.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

LIMIT_KEY = "opendata.web.limit_per_address"


def register(app: Flask, *, limit_per_address: Callable[[str, str], None]) -> None:
    """Add the portal's pages to the app (create_app calls this, handing in the HTTP layer's per-address
    rate limit, so pages and API count alike without the portal importing the API)."""
    from opendata.core.escaping import html_text
    from opendata.web import requests  # noqa: F401  (adds the request pages to the blueprint)
    from opendata.web.views import blp

    app.extensions[LIMIT_KEY] = limit_per_address
    app.register_blueprint(blp)
    # every {{ value }} of every page: characters HTML forbids (from text stored before the input
    # checks) become U+FFFD before autoescaping
    app.jinja_env.finalize = html_text


def error_page(status: int, code: str, message: str, errors=None):
    """The portal's HTML error page (registered with opendata.api.errors by create_app)."""
    from opendata.web.views import error_page as page

    return page(status, code, message, errors)
