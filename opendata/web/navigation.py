"""Where later pages plug into the portal: site navigation links and home-page sections.

A feature that adds pages (showcases, statistics, annual reports, the timeliness board, request
forms) registers its navigation link and, if it has one, its home-page section here from its own
``register(app)``; the base layout and the home page show what is registered and nothing else. The
disclosure-request form registers itself with :func:`set_request_form`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Flask

_KEY = "opendata.web.navigation"
REQUEST_FORM = "opendata.request_form"  # app.extensions key: endpoint of the disclosure-request form


@dataclass(frozen=True)
class NavLink:
    """A link in the site navigation: a Flask endpoint (or a path starting with '/') and its English
    label (a message id of the portal's catalogues)."""

    target: str
    label: str
    order: int = 100


@dataclass(frozen=True)
class HomeSection:
    """A section of the home page: a template (``{% include %}``d) and the function giving its context.

    ``context()`` returns None when the section has nothing to show (e.g. no showcases yet).
    """

    template: str
    context: Callable[[], dict[str, Any] | None]
    order: int = 100


@dataclass
class Navigation:
    links: list[NavLink]
    home_sections: list[HomeSection]


def navigation(app: Flask) -> Navigation:
    """The app's registry (created on first use)."""
    return app.extensions.setdefault(_KEY, Navigation([], []))


def add_nav_link(app: Flask, link: NavLink) -> None:
    """Show a link in every page's site navigation, sorted by ``order``."""
    nav = navigation(app)
    nav.links.append(link)
    nav.links.sort(key=lambda item: item.order)


def add_home_section(app: Flask, section: HomeSection) -> None:
    """Show a section on the home page (after the built-in ones), sorted by ``order``."""
    nav = navigation(app)
    nav.home_sections.append(section)
    nav.home_sections.sort(key=lambda item: item.order)


def set_request_form(app: Flask, endpoint: str) -> None:
    """Link "Request this data" on conditional and closed datasets' pages to ``endpoint``.

    The form is called as ``url_for(endpoint, dataset=<identifier>)``.
    """
    app.extensions[REQUEST_FORM] = endpoint
