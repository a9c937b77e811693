"""/sitemap.xml: the dataset pages anyone may see (sitemaps.org 0.9), for search engines.

Built for anonymous callers whoever asks, like the other whole-catalogue documents: catalogue
entries of active datasets (a closed dataset's page shows its legal reason, so it is listed),
with the date of the last change; nothing about versions that are not published.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from flask import Blueprint, Response

from opendata.api.context import runtime
from opendata.api.urls import links as request_links
from opendata.core.escaping import xml_text
from opendata.services.access import ANONYMOUS
from opendata.services.published.entries import read_published

blp = Blueprint("sitemap", __name__)
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
MAX_URLS = 50_000  # the protocol's limit per file


@blp.get("/sitemap.xml")
def sitemap():
    """Sitemap of the dataset pages visible to anonymous callers."""
    links = request_links()
    with read_published(runtime(), ANONYMOUS, links) as published:
        rows = published.last_changes(MAX_URLS)
    ET.register_namespace("", SITEMAP_NS)
    root = ET.Element(f"{{{SITEMAP_NS}}}urlset")
    for identifier, modified in rows:
        url = ET.SubElement(root, f"{{{SITEMAP_NS}}}url")
        ET.SubElement(url, f"{{{SITEMAP_NS}}}loc").text = xml_text(links.dataset_page(identifier))
        ET.SubElement(url, f"{{{SITEMAP_NS}}}lastmod").text = modified.date().isoformat()
    return Response(ET.tostring(root, encoding="utf-8", xml_declaration=True), mimetype="application/xml")
