"""The portal's reuse showcases (应用成果): the published showcases, one showcase, the submission form,
and the home page's section of the newest.

The form needs no account and no JavaScript: it posts multipart/form-data to itself (the screenshot
is an ordinary file field) and answers a confirmation, or the form again with every problem named
beside its field. A signed form token is its CSRF guard. Pages link screenshots site-relative, so the
images come from the page's own origin (the CSP allows no other). Each view calls one showcase service;
a dataset's showcases are on its page (opendata.web.dataset_page).
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from opendata.core.errors import ConflictError, ValidationError
from opendata.core.showcase import KINDS, ScreenshotTooLargeError
from opendata.core.urls import SITE
from opendata.services.showcases.reading import list_showcases, showcase_detail
from opendata.services.showcases.submission import submit_showcase
from opendata.web.context import limit_per_address, links, runtime, viewer
from opendata.web.i18n import N_
from opendata.web.navigation import HomeSection, NavLink, add_home_section, add_nav_link
from opendata.web.views import _here, _html, _positive_int, blp

PAGE = 24  # showcases per page
HOME_COUNT = 3  # the newest published showcases on the home page
FORM_SECONDS = 4 * 3600
FIELDS = ("title", "description", "url", "kind", "author", "author_email", "datasets")


def register(app: Flask) -> None:
    """Show the showcases in the site navigation and the newest on the home page (when there are any)."""
    add_nav_link(app, NavLink("web.showcases", N_("Showcases"), 65))
    add_home_section(app, HomeSection("web/showcase_section.html", home_showcases, order=50))


def home_showcases() -> dict[str, Any] | None:
    """The home page's showcase section: the newest published showcases, or None while there are none (kept in
    the runtime's read cache until the next commit: the home page is the busiest page)."""
    rt = runtime()
    found, cached = rt.read_cache.lookup(("web.home_showcases",))
    if found:
        return cached
    newest = list_showcases(runtime=rt, links=SITE, limit=HOME_COUNT)
    section = {"showcases": newest["results"], "total": newest["total"]} if newest["total"] else None
    rt.read_cache.store(("web.home_showcases",), section, cached)
    return section


@blp.get("/showcases")
def showcases():
    """Published showcases, newest first (optionally those using one dataset)."""
    page = _positive_int("page")
    dataset = (request.args.get("dataset") or "").strip() or None
    found = list_showcases(runtime=runtime(), links=SITE, dataset=dataset, offset=(page - 1) * PAGE, limit=PAGE)
    pages = max(1, -(-found["total"] // PAGE))
    return _html(render_template("web/showcases.html", s=found, dataset=dataset, page=page, pages=pages,
                                 page_url=_here))


@blp.get("/showcases/<string(maxlength=100):name>")
def showcase(name: str):
    """One published showcase: what it is, where it lives, its screenshot and the datasets it uses."""
    return _html(render_template("web/showcase.html",
                                 sc=showcase_detail(runtime=runtime(), viewer=viewer(), links=SITE, name=name)))


def _tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(runtime().config.SECRET_KEY), salt="opendata.showcase-form")


def _form_page(values: dict[str, str], errors: dict[str, str], status: int = 200, message: str | None = None):
    response = _html(render_template("web/showcase_form.html", values=values, errors=errors, message=message,
                                      kinds=KINDS, max_bytes=runtime().config.SHOWCASE_SCREENSHOT_MAX_BYTES,
                                      token=_tokens().dumps(secrets.token_urlsafe(16))), status=status)
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.get("/showcases/new")
def showcase_form():
    """The form to submit a showcase (a dataset's page links here with the dataset filled in)."""
    return _form_page({"datasets": (request.args.get("dataset") or "")[:100]}, {})


@blp.post("/showcases/new")
def showcase_submit():
    """Check and store the submission; the confirmation, or the form with each problem beside its field."""
    values = {k: request.form.get(k, "")[:6000] for k in FIELDS}
    try:
        _tokens().loads(request.form.get("token", ""), max_age=FORM_SECONDS)
    except (BadSignature, SignatureExpired):
        return _form_page(values, {}, 400, "表单已过期，请核对后重新提交。The form expired: check it and send it again.")
    limit_per_address(runtime().config.SHOWCASE_SUBMIT_RATE_LIMIT, "showcase submissions")
    form = {k: v for k, v in values.items() if v.strip()}
    upload = request.files.get("screenshot")
    try:
        done = submit_showcase(runtime=runtime(), viewer=viewer(), links=links(), form=form,
                               screenshot=upload.stream if upload is not None and upload.filename else None)
    except ScreenshotTooLargeError as exc:
        return _form_page(values, _field_errors(exc), 413)
    except ValidationError as exc:
        return _form_page(values, _field_errors(exc), 422)
    except ConflictError as exc:
        return _form_page(values, _field_errors(exc), 409)
    return _html(render_template("web/showcase_submitted.html", sc=done))


def _field_errors(exc) -> dict[str, str]:
    errors: dict[str, str] = {}
    for p in exc.problems:
        errors.setdefault((p.path or "form").split("/")[0], p.message)
    return errors or {"form": exc.message}
