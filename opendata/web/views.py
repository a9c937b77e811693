"""The portal's routes: home, search, themes, organizations, datasets (page, preview, version changes).

Server-rendered HTML (Jinja templates, autoescaped), no JavaScript, one local stylesheet. A dataset
the viewer may not see answers the same 404 page as one that does not exist. Linked-data clients
asking for JSON-LD (or Turtle, for the catalogue) are sent to the documents with 303 See Other.
Pages vary with the reader's cookies (language, text size, contrast).
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, render_template, request
from markupsafe import Markup

from opendata.web import charts, dataset_page, pages
from opendata.web.context import links, runtime, viewer

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/assets")
_JSON_LD = "application/ld+json"
_TURTLE = "text/turtle"
MAX_PAGE = 10_000


@blp.get("/")
def home():
    """The home page: search box, figures, themes, organizations, newest and most-used datasets."""
    data = pages.home_page(runtime=runtime(), viewer=viewer())
    return _html(render_template("web/home.html", h=data))


@blp.get("/catalog")
def catalog():
    """The catalogue (its IRI) and search page: results with counts, facets, sort and pages."""
    wanted = _negotiate(_JSON_LD, _TURTLE)
    if wanted is not None:
        return _see_other("/catalog.jsonld" if wanted == _JSON_LD else "/catalog.ttl")
    page = _positive_int("page")
    filters = pages.facet_filters(request.args.to_dict(flat=False))
    data = pages.catalog_page(runtime=runtime(), viewer=viewer(), q=request.args.get("q"), filters=filters,
                              sort=request.args.get("sort"), page=page)
    return _html(render_template("web/catalog.html", c=data, page_url=_here), vary_accept=True)


@blp.get("/themes")
def themes():
    """Every theme with its number of datasets."""
    return _html(render_template("web/themes.html", themes=pages.themes_page(runtime=runtime(), viewer=viewer())))


@blp.get("/organizations")
def organizations():
    """The publishing organizations as a tree."""
    tree = pages.organizations_page(runtime=runtime(), viewer=viewer())
    return _html(render_template("web/organizations.html", tree=tree))


@blp.get("/organizations/<slug>")
def organization(slug: str):
    """A publishing organization's page (the publisher IRI of the exports)."""
    data = pages.organization_page(runtime=runtime(), viewer=viewer(), slug=slug)
    return _html(render_template("web/organization.html", o=data))


@blp.get("/datasets/<identifier>")
def dataset(identifier: str):
    """A dataset's landing page: metadata, preview table, charts, fields, API examples, versions."""
    if _negotiate(_JSON_LD) is not None:
        return _see_other(f"/datasets/{quote(identifier)}.jsonld")
    preview = dataset_page.PreviewArgs(page=_positive_int("page"), sort=request.args.get("sort") or None,
                                       q=(request.args.get("q") or "").strip() or None)
    data = dataset_page.dataset_page(runtime=runtime(), viewer=viewer(), links=links(), identifier=identifier,
                                     preview=preview)
    return _html(render_template("web/dataset.html", d=data, page_url=_here), vary_accept=True)


@blp.get("/datasets/<identifier>/versions/<int:number>/changes")
def version_changes(identifier: str, number: int):
    """What changed in a version against an earlier one (rows added, removed, changed; schema)."""
    against = request.args.get("against")
    data = dataset_page.changes_page(runtime=runtime(), viewer=viewer(), identifier=identifier, number=number,
                                     against=int(against) if against and against.isdigit() else None)
    return _html(render_template("web/changes.html", c=data))


blp.add_app_template_global(charts.render, "render_chart")
blp.add_app_template_global(charts.number, "chart_number")


@blp.app_template_global()
def filesize(n: int | None) -> str:
    """Bytes with thousands separators and a rounded unit: '12,345 (12.1 KB)'."""
    if n is None:
        return "—"
    size, unit = float(n), "B"
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            break
        size /= 1024
    return f"{n:,} B" if unit == "B" else f"{n:,} B ({size:.1f} {unit})"


_NOT_IN_HTML_SCRIPT = re.compile("[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


@blp.app_template_global()
def jsonld_script(doc: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<', '>' and '&' escaped so no text ends it."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    # JSON leaves DEL, the C1 controls and noncharacters raw, which HTML forbids: escape them too
    text = _NOT_IN_HTML_SCRIPT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return Markup(text)  # noqa: S704 (escaped above; JSON inside a script element is not HTML)


def _here(**changes: Any) -> str:
    """This page's URL with some query parameters changed (None removes one); a change resets the page."""
    args = request.args.to_dict(flat=False)
    if "page" not in changes:
        args.pop("page", None)
    args.pop("lang", None)  # the cookie carries the language once chosen
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [str(value)]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return request.path + (f"?{query}" if query else "")


def _positive_int(name: str) -> int:
    """A page number from the query string; anything else is a 422 naming the parameter."""
    from opendata.core.errors import Problem, ValidationError

    raw = request.args.get(name, "1")
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw[:7]) <= MAX_PAGE or len(raw) > 7:
        raise ValidationError(f"invalid {name}", problems=[Problem(
            "invalid-parameter", f"{name} must be a whole number from 1 to {MAX_PAGE}", path=name)])
    return int(raw)


def _negotiate(*alternatives: str) -> str | None:
    """A non-HTML media type the client prefers to HTML, if any (browsers and */* get HTML)."""
    accept = request.accept_mimetypes
    best = accept.best_match(["text/html", *alternatives])
    if best in alternatives and accept[best] > accept["text/html"]:
        return best
    return None


def _see_other(location: str) -> Response:
    response = redirect(location, code=303)
    response.vary.add("Accept")
    return response


def _html(body: str, *, status: int = 200, vary_accept: bool = False) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.vary.add("Cookie")  # language, text size and contrast come from cookies
    response.vary.add("Accept-Language")
    if vary_accept:
        response.vary.add("Accept")
    return response
