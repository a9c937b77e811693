"""The portal: server-rendered, bilingual pages for citizens, journalists and developers.

Home, search (``/catalog``, the catalogue's IRI), themes, organizations, each dataset's page with
its preview and charts, bulk downloads, the requests for disclosure (``/requests/new``, the public
form; ``/requests/status``, follow one by tracking code and contact; ``requests.py``), and HTML
error pages for browsers. Jinja templates in
``templates/web/`` extending ``web/base.html``, one local stylesheet under ``/assets/``, no
JavaScript; data only through the read services, which apply the access rules. Later features add
navigation links and home-page sections through :mod:`opendata.web.navigation`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask

from opendata.web import delivery, preferences
from opendata.web.i18n import N_
from opendata.web.navigation import NavLink, add_nav_link, navigation, set_request_form

BUILT_IN_LINKS = (NavLink("web.home", N_("Home"), 10), NavLink("web.catalog", N_("Datasets"), 20),
                  NavLink("web.organizations", N_("Organizations"), 30), NavLink("web.themes", N_("Themes"), 40),
                  NavLink("/bulk", N_("Bulk downloads"), 50),
                  NavLink("web.request_form", N_("Request information"), 60),
                  NavLink("console.sign_in", N_("Department console"), 90))  # signed in: on to the console


PAGE_BLUEPRINTS = ("web", "preferences", "console")  # errors on their routes are HTML pages for every client


LIMIT_KEY = "opendata.web.limit_per_address"


def register(app: Flask, *, limit_per_address: Callable[[str, str], None]) -> None:
    """Add the portal to the app (create_app calls this with the HTTP layer's per-address rate limit, so pages
    and API count alike without the portal importing the API, then hands :func:`html_pages` to it)."""
    from opendata.core.escaping import html_text
    from opendata.web import (
        console,
        figure_pages,  # noqa: F401  (adds the figure pages to the blueprint)
        requests,  # noqa: F401  (adds the request pages to the blueprint)
        showcase_pages,
    )
    from opendata.web.views import blp

    app.extensions[LIMIT_KEY] = limit_per_address
    preferences.init_app(app)
    app.register_blueprint(blp)
    delivery.init_app(app, PAGE_BLUEPRINTS)
    console.register(app)  # the department console under /console
    # every {{ value }} of every page: characters HTML forbids (from text stored before the input
    # checks) become U+FFFD before autoescaping
    app.jinja_env.finalize = html_text
    for link in BUILT_IN_LINKS:
        add_nav_link(app, link)
    figure_pages.register(app)
    showcase_pages.register(app)  # the showcase pages, their navigation link and the home page's section
    set_request_form(app, "web.request_form")  # "Request this data" on conditional and closed datasets

    @app.context_processor
    def _layout() -> dict[str, Any]:
        return {"prefs": preferences.current(), "languages": list(preferences.LANGUAGES.items()),
                "language_url": preferences.language_url, "switch_url": preferences.switch_url,
                "nav_links": navigation(app).links, "home_sections": navigation(app).home_sections}


def html_pages() -> dict[str, Any]:
    """The pages the HTTP layer renders for browsers: name -> renderer (see opendata.api.html)."""
    from opendata.web import errors

    return {"error": errors.error_page, "bulk": errors.bulk_page}
