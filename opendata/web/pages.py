"""What the catalogue-level pages show (home, search, themes, organizations, bulk), as plain dicts.

Every fact comes through the read services (:mod:`opendata.services.search`,
:mod:`opendata.services.published`), which apply the access rules. Templates only lay these dicts out; the dataset page is in ``dataset_page.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from opendata.core import vocab
from opendata.services.access import Viewer
from opendata.services.published import organizations
from opendata.services.published.entries import Links, read_published
from opendata.services.runtime import Runtime
from opendata.services.search import FACETS, search_datasets
from opendata.web.i18n import N_

PAGE_SIZE = 20
HOME_LIST = 6  # newest and most-used datasets on the home page
ORGANIZATION_DATASETS = 100  # listed on an organization's page; the rest through /catalog?publisher=
FACET_NAMES = {"theme": N_("Theme"), "publisher": N_("Publisher"), "disclosure": N_("Disclosure"),
               "format": N_("Format"), "frequency": N_("Update frequency"), "keyword": N_("Keyword"),
               "license": N_("Licence")}
SHOWN_FACETS = ("theme", "publisher", "disclosure", "format", "frequency")
# the search page's sort links: (sort, label); relevance only when there is a query
SORT_CHOICES = (("relevance", N_("Relevance")), ("modified", N_("Recently updated")), ("title", N_("Title")),
                ("downloads", N_("Most downloaded")))
VOCAB_OF_FACET = {"theme": "theme", "disclosure": "disclosure", "frequency": "frequency"}


def _organization_names(runtime: Runtime, viewer: Viewer) -> dict[str, dict[str, Any]]:
    return {o["id"]: o for o in organizations.list_organizations(runtime=runtime, viewer=viewer)}


def _localize_facets(facets: Mapping[str, list[dict[str, Any]]], orgs: Mapping[str, Mapping[str, Any]]
                     ) -> dict[str, list[dict[str, Any]]]:
    """Facet items with an English label beside the Chinese one (vocabulary terms, organizations)."""
    out = {}
    for name, items in facets.items():
        localized = []
        for item in items:
            label_en = None
            if name in VOCAB_OF_FACET:
                found = vocab.lookup(VOCAB_OF_FACET[name], item["value"])
                label_en = found.en if found else None
            elif name == "publisher":
                label_en = (orgs.get(item["value"]) or {}).get("name_en")
            localized.append({**item, "label_en": label_en})
        out[name] = localized
    return out


def _with_publisher_en(results: list[dict[str, Any]], orgs: Mapping[str, Mapping[str, Any]]) -> list[dict]:
    return [{**r, "publisher": {**r["publisher"], "name_en": (orgs.get(r["publisher"]["id"]) or {}).get("name_en")}}
            for r in results]


def home_page(*, runtime: Runtime, viewer: Viewer) -> dict[str, Any]:
    """The home page: the catalogue's name, platform figures, themes, organizations, newest and most used."""
    with read_published(runtime, viewer, Links("")) as published:
        info = published.catalog_info()
    orgs = _organization_names(runtime, viewer)
    everything = search_datasets(runtime=runtime, viewer=viewer, sort="modified", limit=HOME_LIST,
                                 facet_limit=100)
    used = search_datasets(runtime=runtime, viewer=viewer, sort="downloads", limit=HOME_LIST, facet_limit=0)
    facets = _localize_facets(everything["facets"], orgs)
    tree = organizations.organization_tree(runtime=runtime, viewer=viewer)
    downloadable = sum(o["open_datasets"] for o in orgs.values())
    return {
        "title": info.title, "title_en": info.title_en, "description": info.description,
        "description_en": info.description_en,
        "figures": {"datasets": everything["total"], "downloadable": downloadable,
                    "organizations": len(orgs), "themes": len(facets.get("theme", []))},
        "themes": facets.get("theme", []),
        "organizations": sorted((o for root in tree for o in [root, *root["children"]]),
                                key=lambda o: -o["datasets_total"])[:8],
        "newest": _with_publisher_en(everything["results"], orgs),
        "most_used": _with_publisher_en(used["results"], orgs),
    }


def catalog_page(*, runtime: Runtime, viewer: Viewer, q: str | None, filters: Mapping[str, Sequence[str]],
                 sort: str | None, page: int) -> dict[str, Any]:
    """The search page: one page of results, their count, the facets and the sort choices."""
    with read_published(runtime, viewer, Links("")) as published:
        info = published.catalog_info()
    q = (q or "").strip() or None
    sorts = [s for s in SORT_CHOICES if q or s[0] != "relevance"]
    if sort not in {s[0] for s in sorts}:
        sort = "relevance" if q else "modified"
    found = search_datasets(runtime=runtime, viewer=viewer, q=q, filters=dict(filters), sort=sort,
                            offset=(page - 1) * PAGE_SIZE, limit=PAGE_SIZE, facet_limit=20)
    orgs = _organization_names(runtime, viewer)
    facets = _localize_facets(found["facets"], orgs)
    chosen = {k: list(v) for k, v in filters.items()}
    return {"title": info.title, "title_en": info.title_en, "description": info.description,
            "description_en": info.description_en, "q": q or "", "sort": sort, "sorts": sorts, "filters": chosen,
            "filter_labels": {name: [_label(facets.get(name, []), v) for v in values]
                              for name, values in chosen.items()},
            "results": _with_publisher_en(found["results"], orgs), "total": found["total"],
            "page": page, "pages": max(1, -(-found["total"] // PAGE_SIZE)), "page_size": PAGE_SIZE,
            "facet_names": FACET_NAMES,
            "facet_groups": [{"name": name, "label": FACET_NAMES[name], "items": facets[name]}
                             for name in SHOWN_FACETS if facets.get(name)]}


def _label(items: list[dict[str, Any]], value: str) -> dict[str, Any]:
    for item in items:
        if item["value"] == value:
            return item
    return {"value": value, "label": value, "label_en": None}


def facet_filters(args: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """The facet filters of a query string (unknown parameters are ignored, empty values dropped)."""
    return {name: [v for v in args.get(name, ()) if v.strip()] for name in FACETS
            if any(v.strip() for v in args.get(name, ()))}


def themes_page(*, runtime: Runtime, viewer: Viewer) -> list[dict[str, Any]]:
    """Every theme of the vocabulary with the number of datasets the viewer may see in it."""
    found = search_datasets(runtime=runtime, viewer=viewer, limit=0, facet_limit=1000)
    counts = {item["value"]: item["count"] for item in found["facets"].get("theme", [])}
    return [{"key": t.key, "name": t.zh, "name_en": t.en, "count": counts.get(t.key, 0)}
            for t in vocab.THEMES]


def organizations_page(*, runtime: Runtime, viewer: Viewer) -> list[dict[str, Any]]:
    """The organizations as a tree, each with its own and its descendants' dataset counts."""
    return organizations.organization_tree(runtime=runtime, viewer=viewer)


def organization_page(*, runtime: Runtime, viewer: Viewer, slug: str) -> dict[str, Any]:
    """An organization's page: its fields, contact, parent, children and the datasets the viewer sees."""
    org = organizations.organization_detail(runtime=runtime, slug=slug, viewer=viewer)
    orgs = _organization_names(runtime, viewer)
    parent = orgs.get(org["parent"]) if org["parent"] else None
    found = search_datasets(runtime=runtime, viewer=viewer, filters={"publisher": [slug]},
                            sort="title", limit=ORGANIZATION_DATASETS, facet_limit=0)
    level = vocab.lookup("level", org["level"]["key"])
    return {**org, "parent": parent, "level_en": level.en if level else org["level"]["key"],
            "children": [{**c, "name_en": (orgs.get(c["id"]) or {}).get("name_en")} for c in org["children"]],
            "dataset_list": found["results"], "dataset_total": found["total"]}
