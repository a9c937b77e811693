"""The console's blueprint: the sign-in guard, the CSRF check of every form, error pages, the layout's data.

Every page but the sign-in form needs a signed-in user (others are sent to sign in and brought
back). Every POST carries the session's CSRF token (Flask-WTF), checked before the view runs; a
form without it, or with one from an ended session, gets a 400 page and changes nothing. Domain
errors go through the one error table (opendata.api.errors) and come back as the portal's error
page: a dataset or version the user may not see reads as missing (404).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError

from opendata.services.access import AuthenticationError, Viewer
from opendata.services.requests.policy import RequestPolicy
from opendata.web.context import runtime, viewer

blp = Blueprint("console", __name__, url_prefix="/console")
PUBLIC_ENDPOINTS = frozenset({"console.sign_in"})


@blp.before_request
def _guard():
    current_app.extensions["csrf"].protect()  # every POST, the sign-in form included
    if request.endpoint not in PUBLIC_ENDPOINTS and signed_in() is None:
        return redirect(sign_in_url(request.full_path if request.query_string else request.path), code=303)
    return None


def request_policy() -> RequestPolicy:
    """The disclosure-request policy from the settings, with links to the host of this request."""
    rt = runtime()
    return replace(RequestPolicy.from_config(rt.config), portal_url=rt.config.public_base_url(request.host_url))


def signed_in() -> Viewer | None:
    """The signed-in user of this request, or None (API tokens never sign in to the console)."""
    who = viewer()
    return None if who.is_anonymous or who.token_id is not None else who


def sign_in_url(back: str | None = None) -> str:
    """The sign-in page, coming back to ``back`` (a console path) afterwards."""
    query = f"?{urlencode({'next': back})}" if back and back.startswith("/console") else ""
    return url_for("console.sign_in") + query


def safe_console_path(target: str | None) -> str:
    """A console path to go back to after signing in; anything else becomes the console's home."""
    if not target or not target.startswith("/console") or "//" in target or "\\" in target:
        return url_for("console.home")
    return target


@blp.errorhandler(CSRFError)
def _csrf_refused(_exc: CSRFError):
    return message_page(400, _("The form could not be accepted"),
                        _("The form was older than your session, or was not sent from this site. Nothing was "
                          "changed. Go back, reload the page and send the form again."))


@blp.errorhandler(AuthenticationError)
def _not_signed_in(_exc: AuthenticationError):
    return redirect(sign_in_url(request.path), code=303)


def message_page(status: int, title: str, message: str):
    """A console page that only says something (errors, refusals)."""
    return render_template("console/message.html", title=title, message=message), status


@blp.app_context_processor
def _console_layout() -> dict[str, Any]:
    if request.blueprint != "console":
        return {}
    return {"console_user": signed_in(), "console_sections": sections()}


def sections() -> list[tuple[str, str]]:
    """The console's navigation for the signed-in user: (endpoint, label), only what their roles open."""
    who = signed_in()
    if who is None:
        return []
    links = [("console.home", _("Overview")), ("console.datasets", _("My datasets"))]
    if who.is_admin or who.review_organization_ids or who.publish_organization_ids:
        links.append(("console.review_queue", _("Review")))
    links.append(("console.access", _("Grants and requests")))
    if who.is_admin:
        links.append(("console.admin_users", _("Administration")))
    links.append(("console.account", _("Account")))
    return [(endpoint, label) for endpoint, label in links if endpoint in current_app.view_functions]
