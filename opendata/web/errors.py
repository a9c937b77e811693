"""The portal's pages for errors and for the bulk-download index, rendered for the HTTP layer.

``opendata.api.errors`` decides that a browser gets a page (see ``opendata.api.html``) and calls
:func:`error_page` with the status it chose; the API's JSON answers are unchanged.
"""

from __future__ import annotations

from typing import Any

from flask import Response, render_template, request
from flask_babel import gettext, lazy_gettext

# status -> (title, explanation). A 404 never says what was asked for: a dataset the reader may not
# see must read exactly like one that does not exist.
TEXTS = {
    400: (lazy_gettext("Bad request"), lazy_gettext("The address or the form could not be read.")),
    403: (lazy_gettext("Not allowed"), lazy_gettext("You are not allowed to see this page.")),
    404: (lazy_gettext("Page not found"),
          lazy_gettext("There is no such page, or it is not public.")),
    405: (lazy_gettext("Not allowed"), lazy_gettext("This page cannot be used that way.")),
    422: (lazy_gettext("Invalid request"), lazy_gettext("Some of what was asked for is not valid.")),
    429: (lazy_gettext("Too many requests"),
          lazy_gettext("Too many requests came from your network in a short time. "
                       "Please wait a minute, then try again.")),
    500: (lazy_gettext("Something went wrong"),
          lazy_gettext("An error occurred on our side. It has been recorded; please try again later.")),
    503: (lazy_gettext("Temporarily unavailable"),
          lazy_gettext("The service is busy or being maintained; please try again shortly.")),
}
SHOW_DETAILS = (400, 422)  # the reader's own input: say what was wrong with it
# department staff in the console also learn why an action of theirs was refused or is not possible now
CONSOLE_DETAILS = (400, 403, 409, 422)


def error_page(status: int, code: str, message: str, errors: Any = None) -> Response:
    """The HTML page for an error status (any status without its own text uses its class's)."""
    title, explanation = TEXTS.get(status) or TEXTS[500 if status >= 500 else 400]
    details = []
    if status in (CONSOLE_DETAILS if request.blueprint == "console" else SHOW_DETAILS):
        if isinstance(errors, list):
            details = [e.get("message", "") for e in errors if isinstance(e, dict)]
        details = details or [message]
    body = render_template("web/error.html", status=status, title=str(title), message=str(explanation),
                           details=details, hide_path=True)
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("Accept")
    return response


def bulk_page(index: dict[str, Any]) -> Response:
    """/bulk for browsers: the archives with their size, contents and checksum, in the portal layout."""
    body = render_template("web/bulk.html", index=index, title=gettext("Bulk downloads"), path=request.path)
    response = Response(body, mimetype="text/html")
    response.vary.add("Accept")
    return response
