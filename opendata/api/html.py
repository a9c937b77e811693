"""HTML answers for browsers from the HTTP layer, rendered by the portal without importing it.

The API layer decides *when* a browser gets a page (an error, the bulk-download index); the portal
(``opendata.web``) registers *how* it looks with :func:`register_page`, so api/ never imports web/.
Without a registered renderer the API keeps its JSON (or its own minimal HTML).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, request

_KEY = "opendata.html_pages"
_PAGE_BLUEPRINTS = "opendata.html_blueprints"
# answers that are documents or files whatever the Accept header says: never an HTML error page
_MACHINE_PREFIXES = ("/api/", "/feeds/", "/bulk/")
_MACHINE_SUFFIXES = (".json", ".jsonld", ".ttl", ".xml", ".csv", ".parquet", ".zip", ".atom", ".rdf")


def register_page(app: Flask, name: str, render: Callable[..., Any]) -> None:
    """Let the portal render the page ``name`` ('error', 'bulk') for browsers."""
    app.extensions.setdefault(_KEY, {})[name] = render


def register_page_blueprint(app: Flask, name: str) -> None:
    """Errors on the routes of blueprint ``name`` are pages whatever the Accept header (the portal's)."""
    app.extensions.setdefault(_PAGE_BLUEPRINTS, set()).add(name)


def page_renderer(name: str) -> Callable[..., Any] | None:
    """The renderer registered for ``name``, if any."""
    return current_app.extensions.get(_KEY, {}).get(name)


def is_page_route() -> bool:
    """True on a route of a page blueprint (the portal's pages, counted apart from API calls)."""
    return request.blueprint in current_app.extensions.get(_PAGE_BLUEPRINTS, ())


def browser_wants_html() -> bool:
    """A page is the answer: a route of a page blueprint, or a browser asking for a page.

    A browser names text/html in Accept and prefers it to JSON. API clients (``*/*``,
    ``application/json``) and machine paths (/api/, files, feeds) get JSON.
    """
    if is_page_route():
        return True
    path = request.path
    if path.startswith(_MACHINE_PREFIXES) or path.endswith(_MACHINE_SUFFIXES):
        return False
    accept = request.accept_mimetypes
    named = any(mime == "text/html" and quality > 0 for mime, quality in accept)
    return named and accept["text/html"] >= accept["application/json"]
