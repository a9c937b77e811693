"""DCAT-US 1.1 (Project Open Data ``data.json``) and schema.org ``Dataset`` JSON-LD.

Both list every dataset's metadata; distributions (``downloadURL`` / ``DataDownload``) appear
only for files the viewer may receive. ``accessLevel`` maps the disclosure classes:
unconditional → public, conditional → restricted public, closed → non-public (with ``rights``
stating the legal basis, as DCAT-US requires for anything not public).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from opendata.config import Config
from opendata.core import vocab
from opendata.services.access import Viewer
from opendata.services.standards.served import (
    DatasetEntry,
    Links,
    contact_of,
    get_entry,
    list_entries,
    load_catalog_info,
    term,
)

POD_SCHEMA = "https://project-open-data.cio.gov/v1.1/schema"
ACCESS_LEVELS = {"unconditional": "public", "conditional": "restricted public", "closed": "non-public"}
# ISO 8601 repeating durations from the DCAT-US accrualPeriodicity list
PERIODICITY = {"realtime": "R/PT1S", "daily": "R/P1D", "weekly": "R/P1W", "monthly": "R/P1M",
               "quarterly": "R/P3M", "semiannual": "R/P6M", "annual": "R/P1Y", "irregular": "irregular"}


def _iso(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat()


def _publisher(org) -> dict[str, Any]:
    out: dict[str, Any] = {"@type": "org:Organization", "name": org.name}
    if org.parent is not None:
        out["subOrganizationOf"] = _publisher(org.parent)
    return out


def pod_dataset(entry: DatasetEntry, links: Links) -> dict[str, Any]:
    """One dataset in the DCAT-US 1.1 shape."""
    ds = entry.dataset
    contact = contact_of(ds)
    theme = term("theme", ds.theme)
    point: dict[str, Any] = {"@type": "vcard:Contact", "fn": contact.get("name") or ds.organization.name}
    if contact.get("email"):
        point["hasEmail"] = f"mailto:{contact['email']}"
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
        out["rights"] = ds.legal_basis
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
        "dataset": [pod_dataset(e, links) for e in list_entries(session, viewer, links)],
    }


def schema_org_dataset(entry: DatasetEntry, links: Links) -> dict[str, Any]:
    """schema.org ``Dataset`` JSON-LD for one dataset (the portal can embed it in its page)."""
    ds = entry.dataset
    theme = term("theme", ds.theme)
    org = ds.organization
    contact = contact_of(ds)
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
            "@type": "ContactPoint", "contactType": contact.get("name") or "data",
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


def dataset_jsonld(*, session: Session, viewer: Viewer, links: Links, identifier: str) -> dict[str, Any]:
    """schema.org JSON-LD of one listed dataset (NotFoundError otherwise)."""
    return schema_org_dataset(get_entry(session, viewer, links, identifier), links)
