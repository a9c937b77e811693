"""What a dataset's page shows: metadata, a preview of its rows, charts and column profiles, API
examples with its real URLs, its versions with what changed, and the way to ask for closed data.

Facts come from the read services under the access rules: the preview through the rows service
(:func:`opendata.services.rows.query_rows`, the engine of the rows API), profiles and chart series
computed at publication (:mod:`opendata.services.profiles`), version changes from
:mod:`opendata.services.version_diff`. Templates only lay the dict out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from flask import current_app, url_for

from opendata.core import lifecycle
from opendata.core.errors import NotFoundError
from opendata.core.urls import SITE
from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.profiles import load_profile
from opendata.services.published.detail import dataset_detail
from opendata.services.published.downloads import resolve_download
from opendata.services.published.entries import Links, read_published
from opendata.services.rows import query_rows
from opendata.services.runtime import Runtime
from opendata.services.showcases.reading import list_showcases
from opendata.services.standards.datajson import dataset_jsonld
from opendata.services.version_diff import diff_versions
from opendata.web.i18n import N_
from opendata.web.navigation import REQUEST_FORM

PREVIEW_ROWS = 20
SHOWCASES = 6  # the newest showcases shown on a dataset's page
MAX_PREVIEW_PAGE = 500  # deeper pages are for the rows API and the downloads
DOWNLOADS = (("csv", N_("CSV (UTF-8)"), "csv"), ("csv-excel", N_("CSV for Excel (UTF-8 with BOM)"), "csv_excel"),
             ("parquet", N_("Apache Parquet"), "parquet"))


@dataclass(frozen=True)
class PreviewArgs:
    """The preview's page (1-based), sort (a column, '-' first for descending) and filter words."""

    page: int = 1
    sort: str | None = None
    q: str | None = None


def dataset_page(*, runtime: Runtime, viewer: Viewer, links: Links, identifier: str,
                 preview: PreviewArgs = PreviewArgs()) -> dict[str, Any]:
    """Everything the dataset page shows, as the viewer may see it."""
    data = _dataset_facts(runtime, viewer, links, identifier)
    served = data.get("download")
    return {**data, "preview": _preview(runtime, identifier, viewer, preview, data) if served else None,
            "request_url": _request_url(identifier) if data["disclosure"]["key"] != "unconditional" else None}


def _dataset_facts(runtime: Runtime, viewer: Viewer, links: Links, identifier: str) -> dict[str, Any]:
    """The page's facts other than the preview, kept in the runtime's read cache until the next commit.

    They change only when something is committed (a publication, a catalogue sync, usage counts
    flushed), and building them reads the catalogue's metadata, the JSON-LD and the profile.
    """
    key = ("web.dataset_page", viewer, links.base_url, identifier)
    found, cached = runtime.read_cache.lookup(key)
    if found:
        return cached
    detail = dataset_detail(runtime=runtime, identifier=identifier, viewer=viewer)
    with read_published(runtime, viewer, links) as published:
        entry = published.entry(identifier)
        issued, modified = entry.issued, entry.modified
        try:
            jsonld = dataset_jsonld(session=published.session, viewer=ANONYMOUS, links=links,
                                    identifier=identifier, config=runtime.config)
        except NotFoundError:
            jsonld = None
    path = quote(identifier)
    served = detail.get("download")
    profile = _profile(runtime, identifier, served, viewer)
    versions = [{**v, "state_name": lifecycle.STATE_NAMES_ZH.get(v["state"], v["state"]),
                 "published": _date(v["published"])} for v in detail["versions"]]
    available = [v["number"] for v in versions if v.get("data_available")]
    for v in versions:
        earlier = [n for n in available if n < v["number"]]
        v["compare_with"] = max(earlier) if v.get("data_available") and earlier else None
    facts = {
        **detail,
        "issued": _date(issued), "modified": _date(modified),
        "versions": versions,
        "downloads": _downloads(served, path),
        "canonical": links.dataset_page(identifier),
        "jsonld": jsonld, "jsonld_url": f"/datasets/{path}.jsonld",
        "profiles": (profile or {}).get("fields", {}),
        "charts": (profile or {}).get("charts", []),
        "examples": api_examples(links.url(""), identifier) if served else None,
        "showcases": _showcases(runtime, identifier),
    }
    runtime.read_cache.store(key, facts, cached)
    return facts


def _profile(runtime: Runtime, identifier: str, served: dict[str, Any] | None, viewer: Viewer) -> dict | None:
    if not served:
        return None
    found = resolve_download(runtime=runtime, identifier=identifier, kind="parquet", viewer=viewer)
    return load_profile(runtime=runtime, version_id=found.version_id) if found is not None else None


def _showcases(runtime: Runtime, identifier: str) -> dict[str, Any]:
    """The newest published showcases that use the dataset (none for a dataset withdrawn from the catalogue);
    site-relative links, so screenshots come from the page's own origin."""
    try:
        return list_showcases(runtime=runtime, links=SITE, dataset=identifier, limit=SHOWCASES)
    except NotFoundError:
        return {"total": 0, "results": []}


def _preview(runtime: Runtime, identifier: str, viewer: Viewer, args: PreviewArgs,
             detail: dict[str, Any]) -> dict[str, Any]:
    """One page of rows through the rows service (sort and filter as the rows API takes them)."""
    columns = [f["name"] for f in detail["schema"]["fields"]]
    sort = args.sort if args.sort and args.sort.lstrip("-") in columns else None
    page = min(args.page, MAX_PREVIEW_PAGE)
    query = {"limit": str(PREVIEW_ROWS), "offset": str((page - 1) * PREVIEW_ROWS)}
    if sort:
        query["sort"] = sort
    if args.q:
        query["q"] = args.q
    _pk, result = query_rows(runtime=runtime, identifier=identifier, args=query, viewer=viewer)
    total = result.total if result.total is not None else len(result.rows)
    pages = min(MAX_PREVIEW_PAGE, max(1, -(-total // PREVIEW_ROWS)))
    titles = {f["name"]: f.get("title") for f in detail["schema"]["fields"]}
    return {"columns": [{"name": c, "title": titles.get(c)} for c in result.columns],
            "rows": [["" if v is None else v for v in row] for row in result.rows],
            "total": total, "page": page, "pages": pages, "sort": sort, "q": args.q or "",
            "first": (page - 1) * PREVIEW_ROWS + 1 if result.rows else 0,
            "last": (page - 1) * PREVIEW_ROWS + len(result.rows)}


def _request_url(identifier: str) -> str | None:
    """The disclosure-request form for this dataset, once a feature has registered one."""
    endpoint = current_app.extensions.get(REQUEST_FORM)
    return url_for(endpoint, dataset=identifier) if endpoint is not None else None


def _downloads(download: dict[str, Any] | None, path: str) -> list[dict[str, Any]]:
    """Rows of the download table: data files with size and sha256, then the Data Package and the rows API."""
    if not download:
        return []
    files = {f["kind"]: f for f in download["files"]}
    rows = [{"label": label, "url": download[key], "bytes": files[kind]["bytes"], "sha256": files[kind]["sha256"]}
            for kind, label, key in DOWNLOADS if kind in files]
    rows.append({"label": N_("Data Package (datapackage.json)"), "url": f"/datasets/{path}/datapackage.json",
                 "bytes": None, "sha256": None})
    rows.append({"label": N_("Rows API (JSON)"), "url": download["rows"], "bytes": None, "sha256": None})
    return rows


def api_examples(base: str, identifier: str) -> list[dict[str, str]]:
    """Ready-to-copy calls with this dataset's real URLs: curl, Python (requests, pandas), R, JavaScript, ckanapi."""
    root = f"{base}/api/v1/datasets/{quote(identifier)}"
    rows, csv = f"{root}/rows?limit=100", f"{root}/download.csv"
    return [
        {"name": "curl", "code": f"curl '{rows}'"},
        {"name": "Python (requests)", "code": "import requests\n\n"
                                              f"page = requests.get('{rows}', timeout=30).json()\n"
                                              "print(page['total'], page['rows'][:3])"},
        {"name": "Python (pandas)", "code": f"import pandas as pd\n\ndf = pd.read_csv('{csv}')\nprint(df.head())"},
        {"name": "R", "code": f'df <- read.csv("{csv}", encoding = "UTF-8")\nhead(df)'},
        {"name": "JavaScript (fetch)", "code": f"const page = await (await fetch('{rows}')).json();\n"
                                               "console.log(page.total, page.rows.slice(0, 3));"},
        {"name": "ckanapi", "code": f"ckanapi action package_show id={identifier} -r {base}\n"
                                    f"ckanapi action datastore_search resource_id={identifier}-csv limit=5 -r {base}"},
    ]


def changes_page(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int,
                 against: int | None) -> dict[str, Any]:
    """A version's changes against an earlier one, with the dataset's title for the page."""
    detail = dataset_detail(runtime=runtime, identifier=identifier, viewer=viewer)
    diff = diff_versions(runtime=runtime, identifier=identifier, number=number, against=against, viewer=viewer)
    return {"id": identifier, "title": detail["title"], "title_en": detail.get("title_en"), **diff,
            "api_url": f"/api/v1/datasets/{quote(identifier)}/versions/{number}/diff?against={diff['against']}"}


def _date(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10]
    return value.date().isoformat()
