"""CKAN Action API actions over our catalogue: plain functions from a data dict to a result.

Searches go through :func:`opendata.services.search.search_datasets` and row queries through
:func:`opendata.services.rows.query_rows`, so CKAN clients see exactly what /api/v1 shows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opendata import __version__
from opendata.api.ckan.datastore import datastore_search
from opendata.api.ckan.groups import group_list, group_show
from opendata.api.ckan.protocol import (
    MAX_ROWS,
    CkanNotFound,
    CkanSearchQueryError,
    CkanValidationError,
    organization_dict,
    package_dict,
    param_bool,
    param_int,
    param_json,
    param_required,
    parse_resource_id,
    resource_dict,
)
from opendata.api.ckan.search_query import FIELDS, parse_package_query, parse_sort
from opendata.api.ckan.showcases import (
    ckanext_package_showcase_list,
    ckanext_showcase_list,
    ckanext_showcase_package_list,
    ckanext_showcase_show,
)
from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.published.entries import read_published
from opendata.services.runtime import Runtime
from opendata.services.search import FACETS, Clause, search_datasets


@dataclass(frozen=True)
class Context:
    """Who asks and how links are written (CKAN's mutable context dict, made explicit)."""

    runtime: Runtime
    viewer: Viewer
    links: Links


# -- actions -------------------------------------------------------------------------------------
def status_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Site information (CKAN-compatible subset)."""
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        info = published.catalog_info()
    return {"site_title": info.title, "site_description": info.description, "site_url": ctx.links.url(""),
            "ckan_version": "2.10.0", "opendata_version": __version__, "locale_default": "zh_Hans_CN",
            "extensions": ["datastore", "showcase"]}


def package_list(ctx: Context, data: dict[str, Any]) -> list[str]:
    """Names of every listed package, sorted."""
    limit = param_int(data, "limit", 0, low=0)
    offset = param_int(data, "offset", 0, low=0)
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        return published.identifiers(offset=offset, limit=limit)


def package_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One package by id or name."""
    name = param_required(data, "id")
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        try:
            entry = published.entry(name)
        except NotFoundError:
            raise CkanNotFound("Dataset") from None
        return package_dict(entry, ctx.links)


def package_search(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """Search packages: q, fq (field:value terms), rows, start, sort, facet.field, facet.limit."""
    rows = min(param_int(data, "rows", 10, low=0), MAX_ROWS)  # CKAN caps rows silently (ckan.search.rows_max)
    start = param_int(data, "start", 0, low=0, high=10**9)
    query = parse_package_query(str(data.get("q") or ""), str(data.get("fq") or ""))
    sort, descending = parse_sort(str(data.get("sort") or ""))
    if ctx.viewer.is_anonymous and any(c.name == "format" and not c.negated for c in query.clauses):
        # a CKAN resource exists only where data is served: for anonymous callers, open datasets
        query.clauses.append(Clause("disclosure", ("unconditional",)))
    facet_fields = param_json(data, "facet.field", [])
    if not isinstance(facet_fields, list) or not all(isinstance(f, str) for f in facet_fields):
        raise CkanValidationError({"facet.field": ["Must be a JSON list of field names"]})
    facet_limit = param_int(data, "facet.limit", 50, low=-1)
    mincount = param_int(data, "facet.mincount", 1, low=0)
    try:
        found = search_datasets(runtime=ctx.runtime, viewer=ctx.viewer, q=query.text, sort=sort,
                                descending=descending, clauses=query.clauses,
                                modified=(query.modified_from, query.modified_to), offset=start, limit=rows,
                                facet_limit=facet_limit if facet_limit >= 0 else 10_000)
    except ValidationError as exc:
        raise CkanSearchQueryError("; ".join(p.message for p in exc.problems) or exc.message) from None
    ids = [r["id"] for r in found["results"]]
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        entries = {e.identifier: e for e in published.entries(identifiers=ids)}
        results = [package_dict(entries[i], ctx.links) for i in ids if i in entries]
    facets: dict[str, dict[str, int]] = {}
    search_facets: dict[str, Any] = {}
    for field in facet_fields:
        ours = FIELDS.get(field)
        ours = ours if ours in FACETS else None
        items = [i for i in found["facets"].get(ours, []) if i["count"] >= mincount] if ours else []
        facets[field] = {i["value"]: i["count"] for i in items}
        search_facets[field] = {"title": field, "items": [
            {"name": i["value"], "display_name": i["label"], "count": i["count"]} for i in items]}
    return {"count": found["total"], "results": results, "facets": facets, "search_facets": search_facets,
            "sort": str(data.get("sort") or "score desc, metadata_modified desc")}


def organization_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Organization names, or dicts with ``all_fields``; sorted by name."""
    all_fields = param_bool(data, "all_fields", False)
    limit = min(param_int(data, "limit", MAX_ROWS, low=0), MAX_ROWS)
    offset = param_int(data, "offset", 0, low=0)
    wanted = param_json(data, "organizations", None)
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        orgs = published.organizations(slugs=[str(w) for w in wanted] if isinstance(wanted, list) else None,
                                       offset=offset, limit=limit)
        if not all_fields:
            return [o.slug for o in orgs]
        counts = published.listed_counts("organization")
        return [organization_dict(o, ctx.links, counts.get(o.id, 0)) for o in orgs]


def organization_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One organization by id or name; ``include_datasets`` adds its packages."""
    slug = param_required(data, "id")
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        org = published.organization(slug)
        if org is None:
            raise CkanNotFound("Organization was not found.")
        out = organization_dict(org, ctx.links, published.listed_counts("organization").get(org.id, 0))
        if param_bool(data, "include_datasets", False):
            entries = published.entries(organization_id=org.id, limit=MAX_ROWS)
            out["packages"] = [package_dict(e, ctx.links) for e in entries]
        return out


def resource_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One resource by id (``<identifier>-csv`` or ``<identifier>-parquet``)."""
    rid = param_required(data, "id")
    parsed = parse_resource_id(rid)
    if parsed is None:
        raise CkanNotFound("Resource was not found.")
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        try:
            entry = published.entry(parsed[0])
        except NotFoundError:
            raise CkanNotFound("Resource was not found.") from None
        for position, dist in enumerate(entry.distributions):
            if dist.kind == parsed[1]:
                return resource_dict(entry, dist, position)
    raise CkanNotFound("Resource was not found.")


def help_show(ctx: Context, data: dict[str, Any]) -> str:
    """The documentation of an action."""
    name = param_required(data, "name")
    action = ACTIONS.get(name)
    if action is None:
        raise CkanNotFound(f"Action function not found: {name}")
    return action.__doc__ or ""


ACTIONS: dict[str, Callable[[Context, dict[str, Any]], Any]] = {
    "status_show": status_show, "package_list": package_list, "package_show": package_show,
    "package_search": package_search, "organization_list": organization_list,
    "organization_show": organization_show, "resource_show": resource_show,
    "datastore_search": datastore_search, "help_show": help_show, "group_list": group_list,
    "group_show": group_show, "ckanext_showcase_list": ckanext_showcase_list,
    "ckanext_showcase_show": ckanext_showcase_show, "ckanext_showcase_package_list": ckanext_showcase_package_list,
    "ckanext_package_showcase_list": ckanext_package_showcase_list,
}
