"""The change feed (sequence cursor) and the Atom feed of new and updated datasets."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

from flask import Response
from flask.views import MethodView

from opendata.api.v1.common import base_url, make_blueprint, runtime, viewer
from opendata.api.v1.schemas import ChangesQueryArgsSchema, ChangesSchema, FeedQueryArgsSchema
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
                             base_url=base_url())


def atom_feed(limit: int) -> bytes:
    """The Atom document of the most recently published or updated datasets."""
    ET.register_namespace("", ATOM)
    base = base_url()
    items = recent_datasets(runtime=runtime(), limit=limit, viewer=viewer())
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": "zh"})
    ET.SubElement(feed, f"{{{ATOM}}}id").text = f"{base}/api/v1/feeds/datasets.atom"
    ET.SubElement(feed, f"{{{ATOM}}}title").text = "新增和更新的数据集"
    updated = max((d["modified"] for d in items), default=dt.datetime.now(dt.UTC).isoformat())
    ET.SubElement(feed, f"{{{ATOM}}}updated").text = updated
    ET.SubElement(feed, f"{{{ATOM}}}link", {"rel": "self", "href": f"{base}/api/v1/feeds/datasets.atom"})
    author = ET.SubElement(feed, f"{{{ATOM}}}author")
    ET.SubElement(author, f"{{{ATOM}}}name").text = "opendata"
    for d in items:
        entry = ET.SubElement(feed, f"{{{ATOM}}}entry")
        url = f"{base}/api/v1/datasets/{d['id']}"
        ET.SubElement(entry, f"{{{ATOM}}}id").text = url
        ET.SubElement(entry, f"{{{ATOM}}}title").text = d["title"]
        ET.SubElement(entry, f"{{{ATOM}}}updated").text = d["modified"]
        ET.SubElement(entry, f"{{{ATOM}}}published").text = d["created"]
        ET.SubElement(entry, f"{{{ATOM}}}link", {"rel": "alternate", "type": "application/json", "href": url})
        entry_author = ET.SubElement(entry, f"{{{ATOM}}}author")
        ET.SubElement(entry_author, f"{{{ATOM}}}name").text = d["publisher"]["name"]
        ET.SubElement(entry, f"{{{ATOM}}}category", {"term": d["theme"]["key"], "label": d["theme"]["name"]})
        version = d["latest_version"]
        note = f"（第 {version['number']} 版）" if version else ""
        ET.SubElement(entry, f"{{{ATOM}}}summary").text = (d["description"] or d["title"]) + note
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@blp.route("/feeds/datasets.atom")
class DatasetsFeed(MethodView):
    @blp.arguments(FeedQueryArgsSchema, location="query")
    @blp.response(200, content_type=ATOM_MEDIA, description="Atom 1.0 feed")
    def get(self, args):
        """Atom feed of new and updated datasets."""
        return Response(atom_feed(args["limit"]), mimetype=ATOM_MEDIA)
