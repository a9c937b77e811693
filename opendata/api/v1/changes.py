"""The change feed (sequence cursor) and the Atom feed of new and updated datasets."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from flask import Response
from flask.views import MethodView

from opendata.api.urls import links
from opendata.api.v1.common import make_blueprint, runtime, viewer
from opendata.api.v1.schemas import ChangesQueryArgsSchema, ChangesSchema, FeedQueryArgsSchema
from opendata.core.escaping import xml_text
from opendata.services.changes import changes_since, recent_datasets

blp = make_blueprint("changes", "What changed: a sequence-cursor feed for harvesters and an Atom feed.")

ATOM = "http://www.w3.org/2005/Atom"
ATOM_MEDIA = "application/atom+xml"


@blp.route("/changes")
class Changes(MethodView):
    @blp.arguments(ChangesQueryArgsSchema, location="query")
    @blp.response(200, ChangesSchema)
    def get(self, args):
        """List changes after a sequence number (pass `next` as `since` to continue)."""
        return changes_since(runtime=runtime(), since=args["since"], limit=args["limit"], viewer=viewer(),
                             links=links())


def _el(parent: ET.Element, tag: str, text: object = None, **attrs: object) -> ET.Element:
    """A child element; text and attributes as XML 1.0 can hold them (stored text may predate the checks)."""
    el = ET.SubElement(parent, f"{{{ATOM}}}{tag}", {k: xml_text(v) for k, v in attrs.items()})
    if text is not None:
        el.text = xml_text(text)
    return el


def atom_feed(limit: int) -> bytes:
    """The Atom document of the most recently published or updated datasets."""
    ET.register_namespace("", ATOM)
    site = links()
    items = recent_datasets(runtime=runtime(), limit=limit, viewer=viewer())
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh"})
    _el(feed, "id", site.datasets_feed())
    _el(feed, "title", "新增和更新的数据集")
    _el(feed, "updated", max((d["modified"] for d in items), default=dt.datetime.now(dt.UTC).isoformat()))
    _el(feed, "link", rel="self", href=site.datasets_feed())
    _el(_el(feed, "author"), "name", "opendata")
    for d in items:
        entry = _el(feed, "entry")
        url = site.dataset_api(d["id"])
        _el(entry, "id", url)
        _el(entry, "title", d["title"])
        _el(entry, "updated", d["modified"])
        _el(entry, "published", d["created"])
        _el(entry, "link", rel="alternate", type="application/json", href=url)
        _el(_el(entry, "author"), "name", d["publisher"]["name"])
        _el(entry, "category", term=d["theme"]["key"], label=d["theme"]["name"])
        version = d["latest_version"]
        note = f"（第 {version['number']} 版）" if version else ""
        _el(entry, "summary", (d["description"] or d["title"]) + note)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@blp.route("/feeds/datasets.atom")
class DatasetsFeed(MethodView):
    @blp.arguments(FeedQueryArgsSchema, location="query")
    @blp.response(200, content_type=ATOM_MEDIA, description="Atom 1.0 feed")
    def get(self, args):
        """Atom feed of new and updated datasets."""
        return Response(atom_feed(args["limit"]), mimetype=ATOM_MEDIA)
