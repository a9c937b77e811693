"""DCAT-US 1.1 (Project Open Data ``data.json``) and schema.org ``Dataset`` JSON-LD.

Both list every dataset's metadata; distributions (``downloadURL`` / ``DataDownload``) appear
only for files the viewer may receive. ``accessLevel`` maps the disclosure classes:
unconditional → public, conditional → restricted public, closed → non-public (with ``rights``
stating the legal basis, as DCAT-US requires for anything not public).

DCAT-US 1.1 limits: ``contactPoint`` needs ``fn`` and ``hasEmail`` (the contact is resolved up the
organization tree to the catalogue publisher; ``mailto:`` when no email exists anywhere) and
``rights`` is at most 255 characters (a longer legal basis is cut, ending in "…"; the full text
is in DCAT-AP ``dct:rights``, schema.org ``conditionsOfAccess`` and the dataset's API resource).
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from opendata.config import Config
from opendata.core import vocab
from opendata.core.escaping import mailto_iri
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.published.entries import (
    DatasetEntry,
    default_catalogue_publisher,
    get_entry,
    list_entries,
    load_catalog_info,
    resolve_contact,
    term,
)
from opendata.store.models import Organization

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
ACCESS_LEVELS = {"unconditional": "public", "conditional": "restricted public", "closed": "non-public"}
# ISO 8601 repeating durations from the DCAT-US accrualPeriodicity list
PERIODICITY = {"realtime": "R/PT1S", "daily": "R/P1D", "weekly": "R/P1W", "monthly": "R/P1M",
               "quarterly": "R/P3M", "semiannual": "R/P6M", "annual": "R/P1Y", "irregular": "irregular"}
RIGHTS_MAX = 255  # DCAT-US 1.1 dataset.json: rights maxLength


def _rights(text: str) -> str:
    """The legal basis within RIGHTS_MAX characters (code points, as JSON Schema counts), cut with "…"."""
    text = text.strip()
    if len(text) <= RIGHTS_MAX:
        return text
    cut = RIGHTS_MAX - 1
    # never separate a combining mark, variation selector or joiner from the character before it
    while cut > 0 and (unicodedata.combining(text[cut]) or text[cut] in "\u200d\ufe0e\ufe0f"):
        cut -= 1
    return text[:cut].rstrip() + "…"


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _publisher(org) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "org:Organization", "name": org.name}
    if org.parent is not None:
        out["subOrganizationOf"] = _publisher(org.parent)
    return out


def pod_dataset(entry: DatasetEntry, links: Links, catalogue_publisher: Organization | None = None) -> dict[str, Any]:
    """One dataset in the DCAT-US 1.1 shape."""
    ds = entry.dataset
    contact = resolve_contact(ds, catalogue_publisher)
    theme = term("theme", ds.theme)
    # hasEmail is required; "mailto:" (no address) is what the v1.1 vcard pattern allows when none exists
    point = {"@type": "vcard:Contact", "fn": contact.name, "hasEmail": mailto_iri(contact.email or "")}
    out: dict[str, Any] = {
        "@type": "dcat:Dataset",
        "identifier": ds.identifier,
        "title": ds.title,
        "description": ds.description or ds.title,
        "keyword": list(ds.keywords or []) or [theme.zh],
        "issued": _iso(entry.issued),
        "modified": _iso(entry.modified),
        "publisher": _publisher(ds.organization),
        "contactPoint": point,
        "accessLevel": ACCESS_LEVELS[ds.disclosure],
        "license": vocab.LICENSES.get(ds.license, ds.license),
        "accrualPeriodicity": PERIODICITY[ds.frequency],
        "theme": [theme.zh, theme.en],
        "landingPage": links.dataset_page(ds.identifier),
        "language": ["zh"],
    }
    if ds.legal_basis:
        out["rights"] = _rights(ds.legal_basis)
    if ds.spatial:
        out["spatial"] = ds.spatial
    if ds.temporal_start and ds.temporal_end:
        out["temporal"] = f"{ds.temporal_start.isoformat()}/{ds.temporal_end.isoformat()}"
    if entry.distributions:
        out["distribution"] = [
            {"@type": "dcat:Distribution", "title": f"{ds.title} ({d.format})", "downloadURL": d.url,
             "mediaType": d.media_type, "format": d.format} for d in entry.distributions]
        out["describedBy"] = links.datapackage(ds.identifier)
        out["describedByType"] = "application/json"
    return out


def data_json(*, session: Session, config: Config, viewer: Viewer, links: Links) -> dict[str, Any]:
    """The whole catalogue as a DCAT-US 1.1 ``data.json`` document."""
    info = load_catalog_info(config, session)
    return {
        "@context": f"{POD_SCHEMA}/catalog.jsonld",
        "@id": links.url("/data.json"),
        "@type": "dcat:Catalog",
        "conformsTo": POD_SCHEMA,
        "describedBy": f"{POD_SCHEMA}/catalog.json",
        "title": info.title,
        "dataset": [pod_dataset(e, links, info.publisher) for e in list_entries(session, viewer, links)],
    }


def schema_org_dataset(entry: DatasetEntry, links: Links,
                       catalogue_publisher: Organization | None = None) -> dict[str, Any]:
    """schema.org ``Dataset`` JSON-LD for one dataset (the portal can embed it in its page)."""
    ds = entry.dataset
    theme = term("theme", ds.theme)
    org = ds.organization
    resolved = resolve_contact(ds, catalogue_publisher)
    contact = resolved.fields
    out: dict[str, Any] = {
        "@context": "https://schema.org/",
        "@type": "Dataset",
        "@id": links.dataset_page(ds.identifier),
        "url": links.dataset_page(ds.identifier),
        "identifier": [ds.identifier, ds.code],
        "name": ds.title,
        "alternateName": ds.title_en or None,
        "description": ds.description or ds.title,
        "keywords": list(ds.keywords or []),
        "about": {"@type": "Thing", "name": theme.zh, "alternateName": theme.en},
        "inLanguage": "zh-CN",
        "license": vocab.LICENSES.get(ds.license, ds.license),
        "isAccessibleForFree": ds.disclosure == "unconditional",
        "conditionsOfAccess": term("disclosure", ds.disclosure).zh + (f"：{ds.legal_basis}" if ds.legal_basis else ""),
        "publisher": {"@type": "GovernmentOrganization", "name": org.name,
                      "url": links.organization(org.slug)},
        "creator": {"@type": "GovernmentOrganization", "name": org.name},
        "datePublished": entry.issued.date().isoformat(),
        "dateModified": _iso(entry.modified),
        "version": str(entry.version.number) if entry.version is not None else None,
    }
    if contact.get("email") or contact.get("phone"):
        out["publisher"]["contactPoint"] = {
            "@type": "ContactPoint", "contactType": resolved.name,
            **({"email": contact["email"]} if contact.get("email") else {}),
            **({"telephone": contact["phone"]} if contact.get("phone") else {})}
    if ds.temporal_start or ds.temporal_end:
        start = ds.temporal_start.isoformat() if ds.temporal_start else ".."
        end = ds.temporal_end.isoformat() if ds.temporal_end else ".."
        out["temporalCoverage"] = f"{start}/{end}"
    if ds.spatial:
        out["spatialCoverage"] = {"@type": "Place", "name": ds.spatial}
    if entry.distributions:
        out["distribution"] = [
            {"@type": "DataDownload", "name": f"{ds.title} ({d.format})", "contentUrl": d.url,
             "encodingFormat": d.media_type, "contentSize": str(d.bytes), "sha256": d.sha256}
            for d in entry.distributions]
    return {k: v for k, v in out.items() if v is not None}


def dataset_jsonld(*, session: Session, viewer: Viewer, links: Links, identifier: str,
                   config: Config | None = None) -> dict[str, Any]:
    """schema.org JSON-LD of one listed dataset (NotFoundError otherwise).

    With ``config`` the contact falls back to catalog.yaml's publisher, as in data.json;
    without it, to the first top-level organization (the default publisher).
    """
    entry = get_entry(session, viewer, links, identifier)
    publisher = load_catalog_info(config, session).publisher if config else default_catalogue_publisher(session)
    return schema_org_dataset(entry, links, publisher)
