"""CKAN groups: our themes (opendata/core/vocab.py THEMES), as package dicts show them in ``groups``.

A group's ``id`` and ``name`` are the theme key, ``title``/``display_name`` the Chinese name and
``description`` the English one (:func:`opendata.api.ckan.protocol.group_dict`); every theme
is a group, also one without datasets. ``package_count`` counts the datasets the caller may see
listed, as ``organization_list`` does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opendata.api.ckan.protocol import (
    MAX_ROWS,
    CkanNotFound,
    CkanValidationError,
    group_dict,
    package_dict,
    param_bool,
    param_int,
    param_json,
    param_required,
)
from opendata.core import vocab
from opendata.services.published.entries import read_published

if TYPE_CHECKING:
    from opendata.api.ckan.actions import Context

SORT_FIELDS = {"name": "name", "title": "title", "package_count": "package_count", "packages": "package_count"}


def _full(key: str, count: int | None) -> dict[str, Any]:
    out = {**group_dict(key), "type": "group", "is_organization": False, "state": "active",
           "approval_status": "approved", "image_url": ""}
    if count is not None:
        out["package_count"] = count
    return out


def _sort(data: dict[str, Any]) -> tuple[str, bool]:
    """CKAN's ``sort`` ("name", "title desc", "package_count desc"): (field, descending)."""
    words = str(data.get("sort") or "name").split()
    field = SORT_FIELDS.get(words[0].lower()) if words else None
    order = words[1].lower() if len(words) == 2 else "asc"
    if field is None or len(words) > 2 or order not in ("asc", "desc"):
        raise CkanValidationError({"sort": [f"Cannot sort by '{data.get('sort')}' (name, title or package_count, "
                                            "then asc or desc)"]})
    return field, order == "desc"


def group_list(ctx: Context, data: dict[str, Any]) -> list[Any]:
    """Group (theme) names, or dicts with ``all_fields``; ``sort`` (name, title, package_count; default name),
    ``limit``, ``offset``, ``groups`` (a list of names to keep), ``include_dataset_count``."""
    all_fields = param_bool(data, "all_fields", False)
    with_count = param_bool(data, "include_dataset_count", True)
    limit = min(param_int(data, "limit", MAX_ROWS, low=0), MAX_ROWS)
    offset = param_int(data, "offset", 0, low=0)
    field, desc = _sort(data)
    wanted = param_json(data, "groups", None)
    if wanted is not None and not isinstance(wanted, list):
        raise CkanValidationError({"groups": ["Must be a list of group names"]})
    keys = sorted(t.key for t in vocab.THEMES if wanted is None or t.key in {str(w) for w in wanted})
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        counts = published.listed_counts("theme")
    if field != "name" or desc:  # a stable sort: equal titles or counts stay in name order
        primary = {"name": lambda k: k, "title": lambda k: vocab.lookup("theme", k).zh,
                   "package_count": lambda k: counts.get(k, 0)}[field]
        keys.sort(key=primary, reverse=desc)
    keys = keys[offset: offset + limit]
    if not all_fields:
        return keys
    return [_full(k, counts.get(k, 0) if with_count else None) for k in keys]


def group_show(ctx: Context, data: dict[str, Any]) -> dict[str, Any]:
    """One group (theme) by id or name; ``include_datasets`` adds its packages (up to 1000)."""
    key = param_required(data, "id")
    if key not in vocab.keys("theme"):
        raise CkanNotFound("Group was not found.")
    with read_published(ctx.runtime, ctx.viewer, ctx.links) as published:
        out = _full(key, published.listed_counts("theme").get(key, 0))
        if param_bool(data, "include_datasets", False):
            entries = published.entries(theme=key, limit=MAX_ROWS)
            out["packages"] = [package_dict(e, ctx.links) for e in entries]
        return out
