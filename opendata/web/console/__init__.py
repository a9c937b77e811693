"""The department console (``/console``): where a department signs in, registers and uploads datasets,
reads validation reports, resolves personal-information findings, reviews (三审), handles grants and
requests, and administers its users. Server-rendered pages on the portal's layout and stylesheet,
calling the same services as the API (one implementation of every write); the upload page's script
(tus-js-client, served from the app) talks to the API's tus endpoint with the session and its CSRF
token. See docs/console.md.
"""

from __future__ import annotations

from flask import Flask
from flask_wtf.csrf import CSRFProtect

from opendata.web.console.session_cookie import ServerSessionInterface


def register(app: Flask) -> None:
    """Server-side sessions, CSRF protection and the console's pages (web.register calls this)."""
    app.session_interface = ServerSessionInterface(app.extensions["opendata"])
    # Forms are checked by the console's guard (and the API's by opendata.api.auth), not app-wide: the
    # API's token callers send no CSRF token and need none. A token lives as long as its session. No
    # Referer check on https: the site sends Referrer-Policy: no-referrer, so browsers send none; the
    # token in the session (and SameSite=Lax) is the defence.
    app.config.update(WTF_CSRF_CHECK_DEFAULT=False, WTF_CSRF_TIME_LIMIT=None, WTF_CSRF_SSL_STRICT=False)
    CSRFProtect(app)
    from opendata.web.console import (  # noqa: F401  (each adds its pages to the blueprint)
        access,
        account,
        admin,
        datasets,
        reports,
        review,
        schemas,
        uploads,
    )
    from opendata.web.console.blueprint import blp

    app.register_blueprint(blp)
