"""How our catalogue looks to CKAN clients: packages, resources, organizations, and CKAN's errors.

A dataset is a package (``name`` = ``id`` = identifier); its resources are the CSV and Parquet
downloads of the latest version the viewer may receive, with stable ids ``<identifier>-csv`` and
``<identifier>-parquet``. Conditional and closed packages have no resources at all (their
metadata, with the legal basis in ``extras``, stays public). Themes are CKAN groups.
"""

from __future__ import annotations

import json
from typing import Any

from opendata.api.arguments import INT64_MAX  # the one rule for client integers
from opendata.core import vocab
from opendata.core.urls import Links
from opendata.services.published.entries import DatasetEntry, Distribution, contact_of, term

RESOURCE_KINDS = ("csv", "parquet")
MAX_ROWS = 1000  # CKAN's caps: ckan.search.rows_max, ckan.group_and_organization_list_max


class CkanError(Exception):
    """An action failure in CKAN's vocabulary: ``__type``, HTTP status and message (or field errors)."""

    type_name = "Bad Request"
    status = 400

    def __init__(self, message: str, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}

    def to_error(self) -> dict[str, Any]:
        return {"__type": self.type_name, "message": self.message, **self.fields}


class CkanNotFound(CkanError):
    type_name, status = "Not Found Error", 404

    def __init__(self, what: str):
        super().__init__(f"Not found: {what}")


class CkanValidationError(CkanError):
    """CKAN answers 409 for validation errors; clients (ckanapi) depend on it, so we mirror it.

    As in CKAN 2.10 the error holds ``__type`` and the field lists only, no ``message``.
    """

    type_name, status = "Validation Error", 409

    def __init__(self, fields: dict[str, list[str]]):
        super().__init__("Validation Error", fields)

    def to_error(self) -> dict[str, Any]:
        return {"__type": self.type_name, **self.fields}


class CkanSearchQueryError(CkanError):
    type_name, status = "Search Query Error", 400

    def __init__(self, message: str):
        super().__init__(f"Search Query is invalid: {message}")


# -- parameters, checked as CKAN's validators do ----------------------------------------------
def param_int(data: dict[str, Any], key: str, default: int, *, low: int = 0, high: int = INT64_MAX) -> int:
    """An integer argument between ``low`` and ``high`` (the 64-bit range by default), else a Validation Error."""
    raw = data.get(key, default)
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw).strip())
    except ValueError:
        raise CkanValidationError({key: ["Invalid integer"]}) from None
    if value < low or value > high:
        bound = f"at least {low}" if value < low and high == INT64_MAX else f"between {low} and {high}"
        raise CkanValidationError({key: [f"Must be {bound}"]})
    return value


def param_bool(data: dict[str, Any], key: str, default: bool) -> bool:
    raw = data.get(key, default)
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1", "yes", "on"):
        return True
    if text in ("false", "0", "no", "off", ""):
        return False
    raise CkanValidationError({key: ["Value must be a boolean"]})


def param_json(data: dict[str, Any], key: str, default: Any) -> Any:
    """A parameter that CKAN accepts as a JSON string in GET requests (or as JSON in POST bodies)."""
    raw = data.get(key, default)
    if isinstance(raw, str):
        try:
            return json.loads(raw)
        except ValueError:
            raise CkanValidationError({key: ["Cannot parse JSON"]}) from None
    return raw


def param_required(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    if value is None or str(value).strip() == "":
        raise CkanValidationError({key: ["Missing value"]})
    return str(value).strip()


def _iso(value) -> str:
    """CKAN's timestamp form: naive ISO 8601 in UTC with microseconds."""
    return value.replace(tzinfo=None).isoformat(timespec="microseconds") if value else None


def resource_id(identifier: str, kind: str) -> str:
    return f"{identifier}-{kind}"


def parse_resource_id(rid: str) -> tuple[str, str] | None:
    """(identifier, kind) of a resource id, or None when it is not one of ours."""
    identifier, _, kind = str(rid).rpartition("-")
    return (identifier, kind) if identifier and kind in RESOURCE_KINDS else None


def resource_dict(entry: DatasetEntry, dist: Distribution, position: int) -> dict[str, Any]:
    """A CKAN resource for one served file; both resources can be queried with datastore_search."""
    ds = entry.dataset
    return {
        "id": resource_id(ds.identifier, dist.kind),
        "package_id": ds.identifier,
        "name": f"{ds.title} ({dist.format})",
        "description": f"{ds.title}，第 {dist.version_number} 版（{dist.format}）",
        "format": dist.format,
        "mimetype": dist.media_type,
        "url": dist.url,
        "url_type": None,
        "size": dist.bytes,
        "hash": f"sha256:{dist.sha256}",
        "position": position,
        "state": "active",
        "created": _iso(dist.published_at),
        "last_modified": _iso(dist.published_at),
        "metadata_modified": _iso(dist.published_at),
        "datastore_active": True,
        "version": dist.version_number,
    }


def organization_dict(org: Any, links: Links, package_count: int | None = None) -> dict[str, Any]:
    """A CKAN organization (``id`` and ``name`` are the slug)."""
    out: dict[str, Any] = {
        "id": org.slug, "name": org.slug, "title": org.name, "display_name": org.name,
        "description": org.name_en or "", "type": "organization", "is_organization": True,
        "state": "active", "approval_status": "approved", "image_url": "",
        "image_display_url": "", "created": _iso(org.created_at), "url": links.organization(org.slug),
    }
    if package_count is not None:
        out["package_count"] = package_count
    return out


def group_dict(theme_key: str) -> dict[str, Any]:
    t = term("theme", theme_key)
    return {"id": t.key, "name": t.key, "title": t.zh, "display_name": t.zh, "description": t.en,
            "image_display_url": ""}


def package_dict(entry: DatasetEntry, links: Links) -> dict[str, Any]:
    """A CKAN package for a listed dataset."""
    ds = entry.dataset
    contact = contact_of(ds)
    disclosure = term("disclosure", ds.disclosure)
    frequency = term("frequency", ds.frequency)
    extras = {
        "code": ds.code, "title_en": ds.title_en, "theme": ds.theme, "disclosure": ds.disclosure,
        "disclosure_name": disclosure.zh, "access_rights": disclosure.eu, "legal_basis": ds.legal_basis,
        "frequency": ds.frequency, "frequency_name": frequency.zh,
        "temporal_start": ds.temporal_start.isoformat() if ds.temporal_start else None,
        "temporal_end": ds.temporal_end.isoformat() if ds.temporal_end else None,
        "spatial": ds.spatial, "data_available": "true" if entry.distributions else "false",
    }
    resources = [resource_dict(entry, d, i) for i, d in enumerate(entry.distributions)]
    tags = [{"id": kw, "name": kw, "display_name": kw, "state": "active", "vocabulary_id": None}
            for kw in ds.keywords or []]
    return {
        "id": ds.identifier,
        "name": ds.identifier,
        "title": ds.title,
        "notes": ds.description,
        "url": links.dataset_page(ds.identifier),
        "type": "dataset",
        "state": "active",
        "private": False,
        "isopen": ds.license in vocab.LICENSES,
        "license_id": ds.license,
        "license_title": ds.license,
        "license_url": vocab.LICENSES.get(ds.license),
        "author": ds.organization.name,
        "author_email": None,
        "maintainer": contact.get("name"),
        "maintainer_email": contact.get("email"),
        "version": str(entry.version.number) if entry.version is not None else None,
        "metadata_created": _iso(entry.issued),
        "metadata_modified": _iso(entry.modified),
        "owner_org": ds.organization.slug,
        "organization": organization_dict(ds.organization, links),
        "groups": [group_dict(ds.theme)],
        "tags": tags,
        "num_tags": len(tags),
        "resources": resources,
        "num_resources": len(resources),
        "extras": [{"key": k, "value": v} for k, v in extras.items() if v is not None],
        "relationships_as_object": [],
        "relationships_as_subject": [],
    }
