"""The DCAT-AP 3 catalogue as an rdflib graph, paged with a hydra:PagedCollection.

Controlled values come from the EU publications office authority tables (data-theme,
frequency, access-right, file-type, language); media types are IANA URIs. Each IRI used as an
object is also typed (skos:Concept, dct:Frequency, ...) and labelled in the graph, because the
DCAT-AP SHACL shapes check classes without inference.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from typing import Any

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, RDFS, SKOS, XSD
from sqlalchemy.orm import Session

from opendata.config import Config
from opendata.core import vocab
from opendata.core.errors import NotFoundError
from opendata.core.escaping import iri, language_tag, mailto_iri, tel_iri
from opendata.core.urls import Links
from opendata.services.access import Viewer
from opendata.services.published.entries import (
    CatalogInfo,
    DatasetEntry,
    count_entries,
    list_entries,
    load_catalog_info,
    resolve_contact,
    term,
)
from opendata.store.models import Organization

SPDX = Namespace("http://spdx.org/rdf/terms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
EU = vocab.EU_AUTHORITY
THEME_SCHEME = URIRef(EU + "data-theme")
IANA = "https://www.iana.org/assignments/media-types/"
LANGUAGES = {"zh": "ZHO", "en": "ENG"}
PAGE_SIZE = 100
EU_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food", "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport", "ENER": "Energy", "ENVI": "Environment",
    "GOVE": "Government and public sector", "HEAL": "Health", "INTR": "International issues",
    "JUST": "Justice, legal system and public safety", "REGI": "Regions and cities",
    "SOCI": "Population and society", "TECH": "Science and technology", "TRAN": "Transport",
}
CONTEXT: dict[str, str] = {
    "dcat": str(DCAT), "dct": str(DCTERMS), "foaf": str(FOAF), "skos": str(SKOS), "vcard": str(VCARD),
    "spdx": str(SPDX), "hydra": str(HYDRA), "xsd": str(XSD), "rdfs": str(RDFS), "locn": str(LOCN),
    "adms": str(ADMS),
}


def _bind(g: Graph) -> None:
    for prefix, ns in CONTEXT.items():
        g.bind(prefix, Namespace(ns), override=True)


def _when(value: datetime | date) -> Literal:
    if isinstance(value, datetime):
        return Literal(value.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)
    return Literal(value.isoformat(), datatype=XSD.date)


def _concept(g: Graph, iri: URIRef, cls: URIRef, label: str, *, lang: str = "en") -> URIRef:
    """Type and label an authority-table IRI, so class checks pass without inference."""
    g.add((iri, RDF.type, cls))
    g.add((iri, SKOS.prefLabel, Literal(label, lang=lang)))
    return iri


def _agent(g: Graph, org: Organization, links: Links) -> URIRef:
    node = URIRef(links.organization(org.slug))
    g.add((node, RDF.type, FOAF.Agent))
    g.add((node, RDF.type, FOAF.Organization))
    g.add((node, FOAF.name, Literal(org.name, lang="zh")))
    if org.name_en:
        g.add((node, FOAF.name, Literal(org.name_en, lang="en")))
    if org.credit_code:
        g.add((node, DCTERMS.identifier, Literal(org.credit_code)))
    return node


def _bnode(kind: str, key: str) -> BNode:
    """A blank node with a stable label, so the same catalogue serializes to the same bytes (ETags)."""
    return BNode(f"{kind}-{re.sub(r'[^A-Za-z0-9_-]', '_', key)}")


def _contact(g: Graph, contact: dict[str, str], fallback: str, key: str) -> BNode:
    node = _bnode("contact", key)
    g.add((node, RDF.type, VCARD.Kind))
    g.add((node, RDF.type, VCARD.Organization))
    g.add((node, VCARD.fn, Literal(contact.get("name") or fallback)))
    if contact.get("email"):  # checked on the way in; escaped anyway for values stored before
        g.add((node, VCARD.hasEmail, URIRef(mailto_iri(str(contact["email"])))))
    if contact.get("phone") and (tel := tel_iri(str(contact["phone"]))) is not None:
        g.add((node, VCARD.hasTelephone, URIRef(tel)))
    if contact.get("address"):
        g.add((node, VCARD["street-address"], Literal(contact["address"])))
    return node


def _license(g: Graph, key: str) -> URIRef:
    node = URIRef(vocab.LICENSES.get(key) or iri(f"https://spdx.org/licenses/{key}.html"))
    g.add((node, RDF.type, DCTERMS.LicenseDocument))
    g.add((node, RDFS.label, Literal(key)))
    return node


def add_catalog(g: Graph, info: CatalogInfo, links: Links) -> URIRef:
    """The dcat:Catalog node with its own metadata (title, description, publisher, ...)."""
    node = URIRef(links.url("/catalog"))
    g.add((node, RDF.type, DCAT.Catalog))
    info = replace(info, language=language_tag(info.language))  # RDF refuses a malformed tag
    g.add((node, DCTERMS.title, Literal(info.title, lang=info.language)))
    if info.title_en:
        g.add((node, DCTERMS.title, Literal(info.title_en, lang="en")))
    g.add((node, DCTERMS.description, Literal(info.description, lang=info.language)))
    if info.description_en:
        g.add((node, DCTERMS.description, Literal(info.description_en, lang="en")))
    if info.publisher is not None:
        g.add((node, DCTERMS.publisher, _agent(g, info.publisher, links)))
    else:  # DCAT-AP requires a publisher
        anon = URIRef(links.url("/"))
        g.add((anon, RDF.type, FOAF.Agent))
        g.add((anon, FOAF.name, Literal(info.title, lang=info.language)))
        g.add((node, DCTERMS.publisher, anon))
    homepage = URIRef(iri(info.homepage or links.url("/")))
    g.add((homepage, RDF.type, FOAF.Document))
    g.add((node, FOAF.homepage, homepage))
    code = LANGUAGES.get(info.language.split("-")[0].lower(), "ZHO")
    lang = URIRef(f"{EU}language/{code}")
    g.add((lang, RDF.type, DCTERMS.LinguisticSystem))
    g.add((node, DCTERMS.language, lang))
    g.add((THEME_SCHEME, RDF.type, SKOS.ConceptScheme))
    g.add((THEME_SCHEME, DCTERMS.title, Literal("Data theme", lang="en")))
    g.add((node, DCAT.themeTaxonomy, THEME_SCHEME))
    return node


def dataset_iri(links: Links, identifier: str) -> str:
    """The dataset's IRI (its landing page is the same URL without the fragment)."""
    return links.dataset_page(identifier) + "#dataset"


def add_dataset(g: Graph, entry: DatasetEntry, links: Links, catalogue_publisher: Organization | None = None) -> URIRef:
    """One dcat:Dataset with its distributions (only files the viewer may receive)."""
    ds = entry.dataset
    node = URIRef(dataset_iri(links, ds.identifier))
    g.add((node, RDF.type, DCAT.Dataset))
    g.add((node, DCTERMS.identifier, Literal(ds.identifier)))
    adms_id = _bnode("identifier", ds.identifier)
    g.add((adms_id, RDF.type, ADMS.Identifier))
    g.add((adms_id, SKOS.notation, Literal(ds.code)))
    g.add((node, ADMS.identifier, adms_id))
    g.add((node, DCTERMS.title, Literal(ds.title, lang="zh")))
    if ds.title_en:
        g.add((node, DCTERMS.title, Literal(ds.title_en, lang="en")))
    g.add((node, DCTERMS.description, Literal(ds.description or ds.title, lang="zh")))
    if ds.description_en:
        g.add((node, DCTERMS.description, Literal(ds.description_en, lang="en")))
    for kw in ds.keywords or []:
        g.add((node, DCAT.keyword, Literal(kw, lang="zh")))
    theme = term("theme", ds.theme)
    theme_iri = _concept(g, URIRef(f"{EU}data-theme/{theme.eu}"), SKOS.Concept,
                         EU_THEMES.get(theme.eu or "", theme.en))
    g.add((theme_iri, SKOS.inScheme, THEME_SCHEME))
    g.add((node, DCAT.theme, theme_iri))
    g.add((node, DCTERMS.publisher, _agent(g, ds.organization, links)))
    contact = resolve_contact(ds, catalogue_publisher)  # the same contact as data.json and schema.org
    g.add((node, DCAT.contactPoint, _contact(g, contact.fields, contact.name, ds.identifier)))
    freq = term("frequency", ds.frequency)
    g.add((node, DCTERMS.accrualPeriodicity,
           _concept(g, URIRef(f"{EU}frequency/{freq.eu}"), DCTERMS.Frequency, freq.en)))
    access = term("disclosure", ds.disclosure)
    g.add((node, DCTERMS.accessRights,
           _concept(g, URIRef(f"{EU}access-right/{access.eu}"), DCTERMS.RightsStatement, access.en)))
    if ds.legal_basis:
        rights = _bnode("rights", ds.identifier)
        g.add((rights, RDF.type, DCTERMS.RightsStatement))
        g.add((rights, RDFS.label, Literal(ds.legal_basis, lang="zh")))
        g.add((node, DCTERMS.rights, rights))
    if ds.temporal_start or ds.temporal_end:
        period = _bnode("period", ds.identifier)
        g.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if ds.temporal_start:
            g.add((period, DCAT.startDate, _when(ds.temporal_start)))
        if ds.temporal_end:
            g.add((period, DCAT.endDate, _when(ds.temporal_end)))
        g.add((node, DCTERMS.temporal, period))
    if ds.spatial:
        place = _bnode("place", ds.identifier)
        g.add((place, RDF.type, DCTERMS.Location))
        g.add((place, LOCN.geographicName, Literal(ds.spatial)))
        g.add((node, DCTERMS.spatial, place))
    g.add((node, DCTERMS.issued, _when(entry.issued)))
    g.add((node, DCTERMS.modified, _when(entry.modified)))
    g.add((node, DCTERMS.license, _license(g, ds.license)))
    landing = URIRef(links.dataset_page(ds.identifier))
    g.add((landing, RDF.type, FOAF.Document))
    g.add((node, DCAT.landingPage, landing))
    for dist in entry.distributions:
        g.add((node, DCAT.distribution, _distribution(g, entry, dist, links)))
    return node


def _distribution(g: Graph, entry: DatasetEntry, dist, links: Links) -> URIRef:
    ds = entry.dataset
    node = URIRef(f"{links.dataset_page(ds.identifier)}#distribution-{dist.kind}")
    g.add((node, RDF.type, DCAT.Distribution))
    g.add((node, DCTERMS.title, Literal(f"{ds.title} ({dist.format})", lang="zh")))
    # typed rdfs:Resource: the DCAT-AP 3.0.0 shapes check that class, and SHACL runs without inference
    for prop, url in ((DCAT.accessURL, links.dataset_api(ds.identifier)), (DCAT.downloadURL, dist.url)):
        g.add((URIRef(url), RDF.type, RDFS.Resource))
        g.add((node, prop, URIRef(url)))
    media = URIRef(IANA + dist.media_type)
    g.add((media, RDF.type, DCTERMS.MediaType))
    g.add((node, DCAT.mediaType, media))
    fmt = URIRef(f"{EU}file-type/{dist.eu_format}")
    g.add((fmt, RDF.type, DCTERMS.MediaTypeOrExtent))
    g.add((node, DCTERMS["format"], fmt))
    g.add((node, DCAT.byteSize, Literal(dist.bytes, datatype=XSD.nonNegativeInteger)))
    checksum = _bnode("checksum", f"{ds.identifier}-{dist.kind}")
    g.add((checksum, RDF.type, SPDX.Checksum))
    g.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
    g.add((checksum, SPDX.checksumValue, Literal(dist.sha256, datatype=XSD.hexBinary)))
    g.add((SPDX.checksumAlgorithm_sha256, RDF.type, SPDX.ChecksumAlgorithm))
    g.add((node, SPDX.checksum, checksum))
    g.add((node, DCTERMS.license, _license(g, ds.license)))
    if dist.published_at is not None:
        g.add((node, DCTERMS.issued, _when(dist.published_at)))
    return node


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-total // page_size))


def _paging(g: Graph, page_url, page: int, pages: int, total: int, page_size: int) -> None:
    node = URIRef(page_url(page))
    g.add((node, RDF.type, HYDRA.PagedCollection))
    g.add((node, HYDRA.totalItems, Literal(total, datatype=XSD.nonNegativeInteger)))
    g.add((node, HYDRA.itemsPerPage, Literal(page_size, datatype=XSD.nonNegativeInteger)))
    g.add((node, HYDRA.firstPage, URIRef(page_url(1))))
    g.add((node, HYDRA.lastPage, URIRef(page_url(pages))))
    if page > 1:
        g.add((node, HYDRA.previousPage, URIRef(page_url(page - 1))))
    if page < pages:
        g.add((node, HYDRA.nextPage, URIRef(page_url(page + 1))))


def catalog_graph(*, session: Session, config: Config, viewer: Viewer, links: Links, page: int = 1,
                  page_size: int = PAGE_SIZE, page_url: Any = None) -> Graph:
    """One page of the DCAT-AP catalogue (NotFoundError past the last page)."""
    total = count_entries(session, viewer)
    pages = page_count(total, page_size)
    if page < 1 or page > pages:
        raise NotFoundError(f"page {page} does not exist; the catalogue has {pages} page(s)")
    g = Graph()
    _bind(g)
    info = load_catalog_info(config, session)
    catalog = add_catalog(g, info, links)
    for entry in list_entries(session, viewer, links, offset=(page - 1) * page_size, limit=page_size):
        g.add((catalog, DCAT.dataset, add_dataset(g, entry, links, info.publisher)))
    _paging(g, page_url or (lambda n: links.url(f"/catalog.jsonld?page={n}")), page, pages, total, page_size)
    return g
