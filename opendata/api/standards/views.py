"""Standards endpoints: Data Package, DCAT-AP (JSON-LD, Turtle), DCAT-US data.json, schema.org, bulk.

Plain Flask views (their formats are defined by the standards, not by our OpenAPI document);
errors use the one JSON shape through opendata.api.errors.
"""

from __future__ import annotations

import base64
import html
import json
import re

from flask import Blueprint, Response, abort, request
from werkzeug.exceptions import NotFound

from opendata.api.context import caller, runtime
from opendata.api.files import StoredFile, send_redirect, send_stored
from opendata.api.html import page_renderer
from opendata.api.urls import links as request_links
from opendata.services.access import ANONYMOUS
from opendata.services.standards import bulk
from opendata.services.standards.datajson import data_json, dataset_jsonld
from opendata.services.standards.datapackage import served_datapackage
from opendata.services.standards.dcat import CONTEXT, PAGE_SIZE, catalog_graph

blp = Blueprint("standards", __name__)


def _json(body, *, media_type: str = "application/json") -> Response:
    return _conditional(Response(json.dumps(body, ensure_ascii=False, indent=1), mimetype=media_type))


def _conditional(response: Response) -> Response:
    """ETag from the body; If-None-Match answers 304 (harvesters poll these documents)."""
    response.add_etag()
    return response.make_conditional(request)


def _public():
    """Whole-catalogue documents are the same for everyone (cacheable): the anonymous view."""
    return ANONYMOUS


@blp.get("/datasets/<identifier>/datapackage.json")
def datapackage(identifier: str):
    """Frictionless Data Package of the latest served version, with absolute download URLs."""
    rt = runtime()
    with rt.sessions() as session:
        body = served_datapackage(session=session, store=rt.artifacts, viewer=caller(),
                                  links=request_links(), identifier=identifier)
    response = _json(body)
    response.vary.add("Authorization")  # a granted caller also gets conditional data
    return response


def _page() -> int:
    raw = request.args.get("page", "1")
    if not re.fullmatch(r"[0-9]{1,7}", raw) or not 1 <= int(raw) <= 1_000_000:
        abort(400, description="page must be a positive integer")
    return int(raw)


def _catalog(fmt: str, media_type: str, suffix: str) -> Response:
    rt = runtime()
    links = request_links()
    page = _page()
    with rt.sessions() as session:
        graph = catalog_graph(session=session, config=rt.config, viewer=_public(), links=links, page=page,
                              page_size=PAGE_SIZE, page_url=lambda n: links.url(f"/catalog.{suffix}?page={n}"))
    if fmt == "json-ld":
        body = graph.serialize(format="json-ld", context=CONTEXT, auto_compact=True)
    else:
        body = graph.serialize(format=fmt)
    return _conditional(Response(body, mimetype=media_type))


@blp.get("/catalog.jsonld")
def catalog_jsonld():
    """DCAT-AP 3 catalogue as JSON-LD, paged with ?page= (hydra:PagedCollection links)."""
    return _catalog("json-ld", "application/ld+json", "jsonld")


@blp.get("/catalog.ttl")
def catalog_ttl():
    """DCAT-AP 3 catalogue as Turtle, paged with ?page=."""
    return _catalog("turtle", "text/turtle", "ttl")


@blp.get("/data.json")
def pod_catalog():
    """DCAT-US 1.1 (Project Open Data) catalogue."""
    rt = runtime()
    with rt.sessions() as session:
        body = data_json(session=session, config=rt.config, viewer=_public(), links=request_links())
    return _json(body)


@blp.get("/datasets/<identifier>.jsonld")
def dataset_schema_org(identifier: str):
    """schema.org Dataset JSON-LD of one dataset."""
    rt = runtime()
    with rt.sessions() as session:
        body = dataset_jsonld(session=session, viewer=_public(), links=request_links(), identifier=identifier,
                              config=rt.config)
    return _json(body, media_type="application/ld+json")


def _public_index() -> dict:
    index = bulk.current_index(runtime=runtime())
    links = request_links()
    archives = [{**{k: v for k, v in a.items()}, "url": links.bulk(a["name"])}
                for a in index["archives"]]
    return {"generated_at": index["generated_at"], "archives": archives}


def _wants_html() -> bool:
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "text/html" and request.accept_mimetypes[best] > request.accept_mimetypes["application/json"]


@blp.get("/bulk")
@blp.get("/bulk/")
def bulk_index():
    """The bulk archives (JSON, or a simple HTML list for browsers)."""
    index = _public_index()
    if not _wants_html():
        return _json(index)
    render = page_renderer("bulk")
    if render is not None:  # the portal's page, in its layout
        return render(index)
    items = "".join(
        f'<li><a href="{html.escape(a["url"])}">{html.escape(a["name"])}</a> — {html.escape(a["title"])}, '
        f'{len(a["datasets"])} datasets, {a["bytes"]:,} bytes, sha256 <code>{a["sha256"]}</code></li>'
        for a in index["archives"])
    page = (f'<!doctype html><html lang="zh"><head><meta charset="utf-8"><title>批量下载 Bulk downloads</title>'
            f'</head><body><h1>批量下载 Bulk downloads</h1><p>Generated {html.escape(index["generated_at"])}. '
            f'<a href="/bulk.json">JSON</a></p><ul>{items}</ul></body></html>')
    return Response(page, mimetype="text/html")


@blp.get("/bulk.json")
def bulk_index_json():
    """The bulk archives as JSON."""
    return _json(_public_index())


@blp.get("/bulk/<name>")
def bulk_file(name: str):
    """One archive: Range, ETag = sha256, If-None-Match → 304, Content-Disposition."""
    rt = runtime()
    found = bulk.archive_file(rt, bulk.current_index(runtime=rt), name)
    if found is None:
        raise NotFound(f"no bulk archive named '{name}'")
    record = found.record
    stored = StoredFile(found.path, record["bytes"], record["sha256"], "application/zip", opener=found.opener)
    if found.url is not None:  # public data only: the object store sends it
        return send_redirect(stored, found.url)
    response = send_stored(stored, home=rt.config.home, accel_prefix=rt.config.ACCEL_REDIRECT_PREFIX,
                           cache_control="public, no-cache")  # rebuilt at each publication: revalidate
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Digest"] = f"sha-256={_b64(record['sha256'])}"
    return response


def _b64(hex_digest: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_digest)).decode("ascii")
