"""Reading the portal's HTML in tests with the standard library's parser: links, headings, tables, scripts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urlsplit

BASE_URL = "http://data.example.gov.cn"  # tests/api/standards/catalogue.py
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


@dataclass
class Page:
    """What a test needs to know about one HTML page."""

    lang: str | None = None
    headings: list[tuple[int, str]] = field(default_factory=list)
    links: list[str] = field(default_factory=list)  # a/@href, link/@href, form/@action
    assets: list[str] = field(default_factory=list)  # stylesheet, script and image URLs
    scripts: list[tuple[str | None, str]] = field(default_factory=list)  # (type, text)
    tables: list[dict] = field(default_factory=list)  # {"caption": bool, "th_without_scope": int}
    forms: list[dict[str, str]] = field(default_factory=list)
    inputs: list[dict[str, str]] = field(default_factory=list)
    inline_styles: int = 0
    text: str = ""

    def jsonld(self) -> list[dict]:
        return [json.loads(text) for kind, text in self.scripts if kind == "application/ld+json"]

    def heading_texts(self, level: int) -> list[str]:
        return [text for lvl, text in self.headings if lvl == level]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._heading: list | None = None
        self._script: list | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        p = self.page
        if "style" in a:
            p.inline_styles += 1
        if tag == "html":
            p.lang = a.get("lang")
        elif tag in HEADINGS:
            self._heading = [int(tag[1]), []]
        elif tag == "a" and "href" in a:
            p.links.append(a["href"])
        elif tag == "link":
            (p.assets if a.get("rel") == "stylesheet" else p.links).append(a.get("href", ""))
        elif tag in ("img", "iframe") or (tag == "script" and "src" in a):
            p.assets.append(a.get("src", ""))
        elif tag == "style":
            p.inline_styles += 1
        elif tag == "form":
            p.forms.append(a)
            p.links.append(a.get("action", ""))
        elif tag == "input":
            p.inputs.append(a)
        elif tag == "table":
            p.tables.append({"caption": False, "th_without_scope": 0})
        elif tag == "caption" and p.tables:
            p.tables[-1]["caption"] = True
        elif tag == "th" and p.tables and a.get("scope") not in ("col", "row", "colgroup", "rowgroup"):
            p.tables[-1]["th_without_scope"] += 1
        if tag == "script":
            self._script = [a.get("type"), []]

    def handle_endtag(self, tag: str) -> None:
        if tag in HEADINGS and self._heading is not None:
            self.page.headings.append((self._heading[0], " ".join("".join(self._heading[1]).split())))
            self._heading = None
        elif tag == "script" and self._script is not None:
            self.page.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None

    def handle_data(self, data: str) -> None:
        if self._script is not None:
            self._script[1].append(data)
            return
        if self._heading is not None:
            self._heading[1].append(data)
        self._text.append(data)

    def close(self) -> None:
        super().close()
        self.page.text = " ".join("".join(self._text).split())


def read_page(html: str) -> Page:
    """Parse one HTML document."""
    reader = _Reader()
    reader.feed(html)
    reader.close()
    return reader.page


def local_path(url: str) -> str | None:
    """The path (with query) to ask the test client for, or None for mailto:, tel:, #… and other hosts."""
    if url.startswith(BASE_URL):
        url = url[len(BASE_URL):] or "/"
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
