"""What each portal page shows, as plain dicts built from the read services.

Every fact comes through :mod:`opendata.services.published` and
:mod:`opendata.services.published.entries`, which apply the access rules: a dataset the viewer may
not see raises the same NotFoundError as a missing one, and files appear only where the viewer
may receive the data. Templates only lay these dicts out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from opendata.core import lifecycle, vocab
from opendata.core.urls import SITE, Links
from opendata.services.access import Viewer
from opendata.services.published import detail as published_detail
from opendata.services.published import organizations
from opendata.services.published.entries import read_published
from opendata.services.runtime import Runtime
from opendata.services.search import FACETS, search_datasets

PAGE_SIZE = 20
ORGANIZATION_DATASETS = 100  # listed on an organization's page; the rest through /catalog?publisher=
# (artifact kind, label, English label, key of the latest-version link in dataset_detail's "download")
FACET_NAMES = {"theme": ("主题", "Theme"), "publisher": ("发布机构", "Publisher"),
               "disclosure": ("开放属性", "Disclosure"), "format": ("格式", "Format"),
               "frequency": ("更新频率", "Update frequency"), "keyword": ("关键词", "Keyword"),
               "license": ("许可协议", "Licence")}
SHOWN_FACETS = ("theme", "publisher", "disclosure", "format")
DOWNLOADS = (("csv", "CSV", "CSV (UTF-8)", "csv"),
             ("csv-excel", "Excel 用 CSV", "CSV for Excel", "csv_excel"),
             ("parquet", "Parquet", "Apache Parquet", "parquet"))


def dataset_page(*, runtime: Runtime, viewer: Viewer, links: Links, identifier: str) -> dict[str, Any]:
    """A dataset's page: its metadata, schema, versions and downloads as the viewer may see them.

    ``jsonld`` is the public schema.org document (the one /datasets/{id}.jsonld serves), or None
    when the dataset is not in the public catalogue (only an administrator sees such a page).
    """
    view = published_detail.dataset_view(runtime=runtime, identifier=identifier, viewer=viewer, links=links)
    detail, issued, modified, jsonld = view.detail, view.issued, view.modified, view.jsonld
    return {
        **detail,
        "issued": _date(issued), "modified": _date(modified),
        "license_name": detail["license"]["id"],
        "versions": [{**v, "state_name": lifecycle.STATE_NAMES_ZH.get(v["state"], v["state"]),
                      "published": _date(v["published"])} for v in detail["versions"]],
        "downloads": _downloads(detail.get("download"), identifier),
        "canonical": links.dataset_page(identifier),
        "jsonld": jsonld,
        "jsonld_url": SITE.schema_org(identifier),
    }


def _downloads(download: Mapping[str, Any] | None, identifier: str) -> list[dict[str, Any]]:
    """Rows of the download table: data files with size and sha256, then the Data Package and the rows API."""
    if not download:
        return []
    files = {f["kind"]: f for f in download["files"]}
    rows = []
    for kind, label, label_en, key in DOWNLOADS:
        found = files.get(kind)
        if found is not None:
            rows.append({"label": label, "label_en": label_en, "url": download[key],
                         "bytes": found["bytes"], "sha256": found["sha256"]})
    rows.append({"label": "数据包描述", "label_en": "Data Package (datapackage.json)",
                 "url": SITE.datapackage(identifier), "bytes": None, "sha256": None})
    rows.append({"label": "行数据接口", "label_en": "Rows API (JSON)", "url": download["rows"],
                 "bytes": None, "sha256": None})
    return rows


def organization_page(*, runtime: Runtime, viewer: Viewer, slug: str) -> dict[str, Any]:
    """An organization's page: its fields, contact, parent, children and the datasets the viewer sees."""
    org = organizations.organization_detail(runtime=runtime, slug=slug, viewer=viewer)
    parent = None
    if org["parent"]:
        with read_published(runtime, viewer, Links("")) as published:  # organizations are public
            row = published.organization(org["parent"])
        parent = {"id": org["parent"], "name": row.name if row else org["parent"],
                  "name_en": row.name_en if row else None}
    found = search_datasets(runtime=runtime, viewer=viewer, filters={"publisher": [slug]},
                                      sort="title", limit=ORGANIZATION_DATASETS, facet_limit=0)
    level = vocab.lookup("level", org["level"]["key"])
    return {**org, "parent": parent, "level_en": level.en if level else org["level"]["key"],
            "dataset_list": found["results"], "dataset_total": found["total"]}


def catalog_page(*, runtime: Runtime, viewer: Viewer, q: str | None, filters: Mapping[str, Sequence[str]],
                 page: int) -> dict[str, Any]:
    """The catalogue's home: its own metadata, one page of search results and the facets."""
    with read_published(runtime, viewer, Links("")) as published:
        info = published.catalog_info()
        publisher = ({"id": info.publisher.slug, "name": info.publisher.name}
                     if info.publisher is not None else None)
    q = (q or "").strip() or None
    found = search_datasets(runtime=runtime, viewer=viewer, q=q, filters=dict(filters),
                                      sort="relevance" if q else "title", offset=(page - 1) * PAGE_SIZE,
                                      limit=PAGE_SIZE, facet_limit=20)
    pages = max(1, -(-found["total"] // PAGE_SIZE))
    return {"title": info.title, "title_en": info.title_en, "description": info.description,
            "publisher": publisher, "q": q or "", "filters": {k: list(v) for k, v in filters.items()},
            "results": found["results"], "total": found["total"], "facets": found["facets"],
            "page": page, "pages": pages, "page_size": PAGE_SIZE, "facet_names": FACET_NAMES,
            "facet_groups": [{"name": name, "zh": FACET_NAMES[name][0], "en": FACET_NAMES[name][1],
                              "items": found["facets"][name]}
                             for name in SHOWN_FACETS if found["facets"].get(name)]}


def facet_filters(args: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The facet filters of a query string (unknown parameters are ignored, empty values dropped)."""
    return {name: [v for v in args.get(name, ()) if v.strip()] for name in FACETS
            if any(v.strip() for v in args.get(name, ()))}


def _date(value: datetime | str | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value[:10]
    return value.date().isoformat()
