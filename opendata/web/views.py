"""The portal's pages: the URLs the catalogue exports publish (landing pages, publishers, the catalogue).

Server-rendered HTML (Jinja templates, autoescaped), no JavaScript, one local stylesheet. A dataset
the viewer may not see answers the same 404 page as one that does not exist. Linked-data clients
asking for JSON-LD (or Turtle, for the catalogue) are sent to the documents with 303 See Other.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, urlencode

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from opendata.web import pages
from opendata.web.context import links, runtime, viewer

blp = Blueprint("web", __name__, template_folder="templates", static_folder="static",
                static_url_path="/assets")
_JSON_LD = "application/ld+json"
_TURTLE = "text/turtle"


@blp.get("/")
def home():
    """The catalogue is the portal's home page for now."""
    return redirect(url_for("web.catalog"))


@blp.get("/catalog")
def catalog():
    """The catalogue: its description, a search form, facets and one page of datasets."""
    wanted = _negotiate(_JSON_LD, _TURTLE)
    if wanted is not None:
        return _see_other("/catalog.jsonld" if wanted == _JSON_LD else "/catalog.ttl")
    page = _page_number()
    if page is None:
        return _error_page(400, "页码无效", "Invalid page", "页码须为正整数。The page number must be a positive integer.")
    filters = pages.facet_filters(request.args.to_dict(flat=False))
    data = pages.catalog_page(runtime=runtime(), viewer=viewer(), q=request.args.get("q"), filters=filters,
                              page=page)
    return _html(render_template("web/catalog.html", c=data, page_url=_catalog_url), vary_accept=True)


@blp.get("/datasets/<identifier>")
def dataset(identifier: str):
    """A dataset's landing page (DCAT landingPage, data.json, CKAN url, schema.org url, sitemap loc)."""
    if _negotiate(_JSON_LD) is not None:
        return _see_other(f"/datasets/{quote(identifier)}.jsonld")
    data = pages.dataset_page(runtime=runtime(), viewer=viewer(), links=links(), identifier=identifier)
    return _html(render_template("web/dataset.html", d=data), vary_accept=True)


@blp.get("/organizations/<slug>")
def organization(slug: str):
    """A publishing organization's page (the publisher IRI of the exports)."""
    data = pages.organization_page(runtime=runtime(), viewer=viewer(), slug=slug)
    return _html(render_template("web/organization.html", o=data))


def error_page(status: int, code: str, message: str, errors: Any = None) -> Response:
    """The HTML page of an error raised in a portal view (opendata.api.errors picks the status)."""
    del code
    if status == 404:
        # the same words whatever was asked for: a hidden dataset must read exactly as a missing one
        return _error_page(404, "页面不存在", "Not found", "没有这个页面，或它不公开。There is no such page, or it is not public.")
    if status == 422:
        problems = [p.get("message", "") for p in errors if isinstance(p, dict)] if isinstance(errors, list) else []
        return _error_page(422, "请求参数有误", "Invalid request", "; ".join(problems or [message]))
    if status >= 500:
        return _error_page(status, "服务器内部错误", "Internal error", "请稍后再试。Please try again later.")
    return _error_page(status, "请求无法处理", "Request not processed", message)


@blp.context_processor
def _helpers() -> dict[str, Any]:
    return {"filesize": filesize, "jsonld_script": jsonld_script}


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


def jsonld_script(doc: dict[str, Any]) -> Markup:
    """JSON for a <script type="application/ld+json"> block: '<', '>' and '&' escaped so no text ends it."""
    text = json.dumps(doc, ensure_ascii=False, indent=1)
    text = text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
    # JSON leaves DEL, the C1 controls and noncharacters raw, which HTML forbids: escape them too
    text = _NOT_IN_HTML_SCRIPT.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return Markup(text)  # noqa: S704 (escaped above; JSON inside a script element is not HTML)


def _catalog_url(**changes: Any) -> str:
    """/catalog with the current query, some parameters changed (None removes one)."""
    args = request.args.to_dict(flat=False)
    args.pop("page", None)
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value if isinstance(value, list) else [str(value)]
    query = urlencode([(k, v) for k, values in args.items() for v in values])
    return url_for("web.catalog") + (f"?{query}" if query else "")


def _page_number() -> int | None:
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 7 or int(raw) < 1:
        return None
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
    if vary_accept:
        response.vary.add("Accept")
    return response


def _error_page(status: int, title: str, title_en: str, message: str) -> Response:
    return _html(render_template("web/error.html", status=status, title=title, title_en=title_en, message=message),
                 status=status)
