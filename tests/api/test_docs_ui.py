"""/api/docs is served whole by the app: every script and stylesheet it loads, from 'self' only."""

from __future__ import annotations

import logging
import re
import sys
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest

from opendata.api import docs_ui
from opendata.app import close_app, create_app

DOCS = "/api/docs"
ASSET_TYPES = {"script": "text/javascript", "stylesheet": "text/css"}


class _Assets(HTMLParser):
    """Every <script src> and <link href> of a page, with the kind of file each should be."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "script" and attributes.get("src"):
            self.found.append(("script", attributes["src"]))
        elif tag == "link" and attributes.get("href"):
            rel = (attributes.get("rel") or "").lower()
            self.found.append(("stylesheet" if rel == "stylesheet" else rel, attributes["href"]))


def _assets(html: str) -> list[tuple[str, str]]:
    parser = _Assets()
    parser.feed(html)
    return parser.found


def _directive(csp: str, name: str) -> list[str]:
    for part in csp.split(";"):
        words = part.split()
        if words and words[0] == name:
            return words[1:]
    raise AssertionError(f"no {name} in {csp!r}")


@pytest.fixture
def page(client):
    response = client.get(DOCS)
    assert response.status_code == 200 and response.mimetype == "text/html"
    return response


def test_docs_page_loads_every_asset_from_the_app(client, page):
    html = page.get_data(as_text=True)
    assets = _assets(html)
    kinds = sorted(kind for kind, _ in assets)
    assert kinds == ["script", "script", "stylesheet"], assets
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html, re.I)  # nothing off-site
    for kind, ref in assets:
        url = urlsplit(urljoin("http://localhost" + DOCS, ref))
        assert url.netloc == "localhost" and not url.query, ref
        asset = client.get(url.path)
        assert asset.status_code == 200, ref
        assert asset.mimetype == ASSET_TYPES[kind], (ref, asset.mimetype)
        assert len(asset.data) > 50_000, ref  # the real Swagger UI, not a stub
        assert "max-age" in asset.headers["Cache-Control"] and asset.headers.get("ETag"), ref
        again = client.get(url.path, headers={"If-None-Match": asset.headers["ETag"]})
        assert again.status_code == 304, ref
    bundle = next(ref for kind, ref in assets if ref.endswith("swagger-ui-bundle.js"))
    assert "SwaggerUIBundle" in client.get(urlsplit(bundle).path).get_data(as_text=True)


def test_docs_page_csp_allows_scripts_from_self_only(page):
    csp = page.headers["Content-Security-Policy"]
    script_src = _directive(csp, "script-src")
    assert script_src[0] == "'self'" and len(script_src) == 2  # 'self' and the inline script's hash
    assert re.fullmatch(r"'sha256-[A-Za-z0-9+/]+=*'", script_src[1])
    for name in ("default-src", "style-src", "img-src"):
        for source in _directive(csp, name):
            assert source in ("'self'", "'unsafe-inline'", "data:"), (name, source)
    assert "'unsafe-eval'" not in csp and "*" not in csp and "http" not in csp
    assert _directive(csp, "object-src") == ["'none'"]


# A .js file that exists outside Swagger UI's folder (werkzeug is a dependency of Flask)
OUTSIDE = "../../werkzeug/debug/shared/debugger.js"


@pytest.mark.parametrize("path", [
    OUTSIDE, OUTSIDE.replace("/", "%2F"), OUTSIDE.replace(".", "%2e"), "..%2f..%2fwerkzeug%2fdebug/shared/debugger.js",
    "../flask_swagger_ui.py", "/etc/passwd", "oauth2-redirect.html", "VERSION", "no-such-file.js",
])
def test_nothing_but_swagger_ui_assets_is_served(client, path):
    assert (docs_ui.dist_dir() / OUTSIDE).resolve().is_file()  # the traversal would find a file
    response = client.get(f"/api/static/swagger-ui/{path}", follow_redirects=True)
    assert response.status_code == 404, path
    assert b"import " not in response.data and b"root:" not in response.data and b"debugger" not in response.data


def test_without_the_package_the_docs_page_still_answers_and_the_log_says_why(tmp_path, monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, docs_ui.PACKAGE, None)  # how Python marks a package it cannot import
    assert docs_ui.dist_dir() is None
    with caplog.at_level(logging.WARNING):
        app = create_app(HOME=str(tmp_path / "home"))
    try:
        assert any(docs_ui.REQUIREMENT in r.getMessage() and DOCS in r.getMessage() for r in caplog.records)
        client = app.test_client()
        assert client.get(DOCS).status_code == 200
        assert client.get("/api/static/swagger-ui/swagger-ui-bundle.js").status_code == 404
    finally:
        close_app(app)
