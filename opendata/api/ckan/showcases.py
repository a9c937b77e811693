"""The ckanext-showcase actions over our reuse showcases, so CKAN tooling reads them as it reads CKAN's.

A showcase is a CKAN package of ``type`` ``showcase`` (as ckanext-showcase stores it): its ``id``
and ``name`` are our showcase's name, ``notes`` its description, ``url`` the showcase's address
and ``image_url`` its screenshot. Only published showcases exist here; the author's e-mail address
is never given (``author_email`` is empty). ``ckanext_showcase_package_list`` gives the packages
a showcase uses as ``package_show`` gives them, and ``ckanext_package_showcase_list`` a
package's showcases.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from opendata.api.ckan.protocol import (
    MAX_ROWS,
    CkanNotFound,
    package_dict,
    param_int,
    param_required,
)
from opendata.core.errors import NotFoundError
from opendata.services.access import ANONYMOUS
from opendata.services.published.entries import read_published
from opendata.services.showcases.reading import list_showcases, showcase_datasets, showcase_detail

if TYPE_CHECKING:
    from opendata.api.ckan.actions import Context


def showcase_package(sc: dict[str, Any]) -> dict[str, Any]:
    """A showcase as ckanext-showcase's package dict."""
    shot = sc.get("screenshot") or {}
    return {
        "id": sc["name"], "name": sc["name"], "title": sc["title"], "notes": sc["description"], "url": sc["url"],
        "type": "showcase", "state": "active", "private": False, "author": sc["author"], "author_email": "",
        "image_url": shot.get("url", ""), "image_display_url": shot.get("url", ""),
        "metadata_created": _naive(sc["submitted_at"]), "metadata_modified": _naive(sc["modified_at"]),
        "num_tags": 0, "tags": [], "groups": [], "resources": [], "num_resources": 0, "owner_org": None,
        "organization": None, "license_id": None,
        "extras": [{"key": "kind", "value": sc["kind"]}, {"key": "published", "value": sc["published_at"] or ""},
                   {"key": "page", "value": sc["links"]["page"]}],
    }


def ckanext_showcase_list(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Every published showcase as a package dict, newest first (``limit`` up to 1000, ``offset``)."""
    limit = min(param_int(data, "limit", MAX_ROWS, low=0), MAX_ROWS)
    offset = param_int(data, "offset", 0, low=0, high=10**9)
    out: list[dict[str, Any]] = []
    while len(out) < limit:  # the read service pages by at most 100
        page = list_showcases(runtime=ctx.runtime, links=ctx.links, offset=offset + len(out),
                              limit=min(100, limit - len(out)))
        out.extend(showcase_package(sc) for sc in page["results"])
        if len(page["results"]) < page["limit"]:
            break
    return out


def ckanext_showcase_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One published showcase by ``id`` (its name)."""
    return showcase_package(_showcase(ctx, param_required(data, "id")))


def ckanext_showcase_package_list(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The packages a showcase (``showcase_id``) uses, as package_show gives them, in the submitter's order."""
    name = param_required(data, "showcase_id")
    _showcase(ctx, name)
    try:
        identifiers = showcase_datasets(runtime=ctx.runtime, viewer=ANONYMOUS, name=name)
    except NotFoundError:
        raise CkanNotFound("Showcase") from None
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        entries = {e.identifier: e for e in published.entries(identifiers=identifiers)}
        return [package_dict(entries[i], ctx.links) for i in identifiers if i in entries]


def ckanext_package_showcase_list(ctx: Context, data: dict[str, Any]) -> list[dict[str, Any]]:
    """The published showcases that use a package (``package_id``), newest first."""
    identifier = param_required(data, "package_id")
    try:
        found = list_showcases(runtime=ctx.runtime, links=ctx.links, dataset=identifier, limit=100)
    except NotFoundError:
        raise CkanNotFound("Dataset") from None
    out = [showcase_package(sc) for sc in found["results"]]
    offset = len(out)
    while offset < found["total"]:
        page = list_showcases(runtime=ctx.runtime, links=ctx.links, dataset=identifier, offset=offset, limit=100)
        if not page["results"]:
            break
        out.extend(showcase_package(sc) for sc in page["results"])
        offset += len(page["results"])
    return out


def _showcase(ctx: Context, name: str) -> dict[str, Any]:
    """A published showcase (what the anonymous public sees: CKAN shows no moderation)."""
    try:
        return showcase_detail(runtime=ctx.runtime, viewer=ANONYMOUS, links=ctx.links, name=name)
    except NotFoundError:
        raise CkanNotFound("Showcase") from None


def _naive(iso: str) -> str:
    """CKAN's timestamp form: naive ISO 8601 in UTC with microseconds."""
    return datetime.fromisoformat(iso).replace(tzinfo=None).isoformat(timespec="microseconds")
