"""The one read model of a published dataset: listed datasets and the files a viewer may receive.

Every export (DCAT, data.json, schema.org, Data Package, bulk archives), the CKAN protocol and
the portal pages build on :func:`list_entries` / :func:`get_entry`, which apply
:mod:`opendata.services.access`: withdrawn datasets and unpublished versions never appear, and
distributions exist only for the latest version whose data the viewer may receive. The HTTP
layer reads through :func:`read_published`, which owns the session for the length of one answer.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import InstrumentedAttribute

from opendata.config import Config
from opendata.core import vocab
from opendata.core.catalog_file import CatalogSpec
from opendata.core.errors import NotFoundError
from opendata.core.urls import Links
from opendata.services.access import (
    Viewer,
    can_see_version,
    dataset_listed_clause,
    latest_served_version,
)
from opendata.services.runtime import Runtime
from opendata.store.models import CatalogInfoRecord, Dataset, Organization, Version


@dataclass(frozen=True)
class Distribution:
    """One served data file of a dataset's latest served version."""

    kind: str
    format: str
    media_type: str
    eu_format: str
    url: str
    bytes: int
    sha256: str
    artifact_path: str  # relative to the artifact store
    version_number: int
    published_at: datetime | None


@dataclass(frozen=True)
class DatasetEntry:
    """A listed dataset with its dates and the distributions the viewer may receive."""

    dataset: Dataset
    issued: datetime
    modified: datetime
    version: Version | None  # latest version whose data the viewer may receive
    distributions: tuple[Distribution, ...]

    @property
    def identifier(self) -> str:
        return self.dataset.identifier

    def distribution(self, kind: str) -> Distribution | None:
        return next((d for d in self.distributions if d.kind == kind), None)

    def artifact(self, kind: str):
        """An artifact of the served version (e.g. 'datapackage'), or None."""
        if self.version is None:
            return None
        return next((a for a in self.version.artifacts if a.kind == kind), None)


@dataclass(frozen=True)
class CatalogInfo:
    """The catalogue's own metadata (the ``catalog:`` block of catalog.yaml)."""

    title: str
    title_en: str | None
    description: str
    publisher: Organization | None
    homepage: str | None
    language: str
    description_en: str | None = None


def _options():
    return (selectinload(Dataset.versions).selectinload(Version.artifacts),
            selectinload(Dataset.organization).selectinload(Organization.parent))


def make_entry(viewer: Viewer, dataset: Dataset, links: Links) -> DatasetEntry:
    """The entry of one listed dataset (the caller has checked that it is listed)."""
    published = [v for v in dataset.versions if can_see_version(viewer, v) and v.published_at is not None]
    issued = min((v.published_at for v in published), default=dataset.created_at)
    served = latest_served_version(viewer, dataset)
    dists: list[Distribution] = []
    if served is not None:
        by_kind = {a.kind: a for a in served.artifacts}
        for kind in vocab.DISTRIBUTION_KINDS:
            art, spec = by_kind.get(kind), vocab.ARTIFACTS[kind]
            if art is not None:
                dists.append(Distribution(kind, spec.format, spec.media_type, spec.eu_format,
                                          links.download(dataset.identifier, kind),
                                          art.bytes, art.sha256, art.path, served.number, served.published_at))
    return DatasetEntry(dataset, issued, max(dataset.modified_at, issued), served, tuple(dists))


def count_entries(session: Session, viewer: Viewer) -> int:
    """How many datasets the viewer sees listed."""
    return session.scalar(select(func.count()).select_from(Dataset).where(dataset_listed_clause(viewer))) or 0


def list_entries(session: Session, viewer: Viewer, links: Links, *, offset: int = 0,
                 limit: int | None = None, identifiers: list[str] | None = None,
                 organization_id: int | None = None, theme: str | None = None) -> list[DatasetEntry]:
    """Listed datasets in identifier order (optionally a page, some identifiers, one publisher or theme)."""
    stmt = select(Dataset).where(dataset_listed_clause(viewer)).options(*_options()).order_by(Dataset.identifier)
    if identifiers is not None:
        stmt = stmt.where(Dataset.identifier.in_(identifiers))
    if organization_id is not None:
        stmt = stmt.where(Dataset.organization_id == organization_id)
    if theme is not None:
        stmt = stmt.where(Dataset.theme == theme)
    if offset:
        stmt = stmt.offset(offset)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [make_entry(viewer, ds, links) for ds in session.scalars(stmt)]


def get_entry(session: Session, viewer: Viewer, links: Links, identifier: str) -> DatasetEntry:
    """One listed dataset, or NotFoundError (also for withdrawn ones: they appear nowhere)."""
    ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier, dataset_listed_clause(viewer))
                        .options(*_options()))
    if ds is None:
        raise NotFoundError(f"dataset '{identifier}' does not exist")
    return make_entry(viewer, ds, links)


@dataclass(frozen=True)
class Contact:
    """A dataset's resolved contact: the declared fields and the name to show (vCard ``fn``)."""

    name: str  # the contact's own name, else the name of the organization it belongs to
    fields: dict[str, str]  # name, email, phone, address, url as declared in catalog.yaml

    @property
    def email(self) -> str | None:
        return self.fields.get("email") or None


def _contacts_nearest_first(dataset: Dataset, catalogue_publisher: Organization | None):
    """(contact, owner name): the dataset's, its organization's, each parent's, the catalogue publisher's."""
    yield dict(dataset.contact or {}), dataset.organization.name
    org, seen = dataset.organization, set()
    while org is not None and org.id not in seen:  # catalog.yaml rejects cycles; guard anyway
        seen.add(org.id)
        yield dict(org.contact or {}), org.name
        org = org.parent
    if catalogue_publisher is not None and catalogue_publisher.id not in seen:
        yield dict(catalogue_publisher.contact or {}), catalogue_publisher.name


def resolve_contact(dataset: Dataset, catalogue_publisher: Organization | None = None) -> Contact:
    """The nearest contact with an email (DCAT-US requires one), else the nearest declared one.

    Every export uses this, so data.json, DCAT-AP, schema.org and CKAN name the same contact.
    """
    chain = [(c, owner) for c, owner in _contacts_nearest_first(dataset, catalogue_publisher) if c]
    fields, owner = next(((c, o) for c, o in chain if c.get("email")), chain[0] if chain else ({}, ""))
    return Contact(name=fields.get("name") or owner or dataset.organization.name, fields=fields)


def contact_of(dataset: Dataset, catalogue_publisher: Organization | None = None) -> dict[str, str]:
    """The resolved contact's fields (see :func:`resolve_contact`)."""
    return dict(resolve_contact(dataset, catalogue_publisher).fields)


def default_catalogue_publisher(session: Session) -> Organization | None:
    """The catalogue publisher when catalog.yaml is not at hand: the first top-level organization."""
    return session.scalar(select(Organization).where(Organization.parent_id.is_(None))
                          .order_by(Organization.id).limit(1))


def contact_warnings(spec: CatalogSpec) -> list[str]:
    """Datasets no contact email reaches (their own, their organizations', the catalogue publisher's).

    data.json then shows ``hasEmail: "mailto:"`` (allowed by DCAT-US 1.1, but useless to a
    reader), so ``opendata sync`` warns instead of failing.
    """
    orgs = {o.slug: o for o in spec.organizations}
    top = next((o.slug for o in spec.organizations if o.parent is None), None)
    publisher = str(spec.info.get("publisher") or "") or top
    out = []
    for ds in spec.datasets:
        slugs, slug = [], ds.publisher
        while slug in orgs and slug not in slugs:
            slugs.append(slug)
            slug = orgs[slug].parent
        if ds.contact.get("email") or any(orgs[s].contact.get("email") for s in slugs):
            continue
        if publisher in orgs and orgs[publisher].contact.get("email"):
            continue
        out.append(f"line {ds.line}: dataset '{ds.identifier}' has no contact email: neither its contact, "
                   f"its organization and their parents, nor the catalogue publisher has one; data.json will "
                   f"show \"hasEmail\": \"mailto:\" (give the catalogue publisher a contact with an email)")
    return out


def term(vocabulary: str, key: str) -> vocab.Term:
    found = vocab.lookup(vocabulary, key)
    if found is None:  # the database constraints make this unreachable
        raise NotFoundError(f"unknown {vocabulary} '{key}'")
    return found


def load_catalog_info(config: Config | None, session: Session) -> CatalogInfo:
    """The catalogue's metadata as the last ``opendata sync`` stored it, else sensible defaults."""
    del config  # kept in the signature for the exports' callers; the metadata lives in the database
    rec = session.get(CatalogInfoRecord, 1)
    info: dict[str, Any] = {k: getattr(rec, k) for k in ("title", "title_en", "description", "description_en",
                                                          "publisher", "homepage", "language")} if rec is not None else {}
    publisher = None
    if info.get("publisher"):
        publisher = session.scalar(select(Organization).where(Organization.slug == str(info["publisher"])))
    if publisher is None:  # the first top-level organization publishes the catalogue
        publisher = session.scalar(select(Organization).where(Organization.parent_id.is_(None))
                                   .order_by(Organization.id).limit(1))
    title = str(info.get("title") or "opendata 公共数据开放平台")
    return CatalogInfo(
        title=title, title_en=str(info["title_en"]) if info.get("title_en") else None,
        description=str(info.get("description") or title), publisher=publisher,
        description_en=str(info["description_en"]) if info.get("description_en") else None,
        homepage=str(info["homepage"]) if info.get("homepage") else None,
        language=str(info.get("language") or "zh"))


def listed_counts(session: Session, viewer: Viewer, column: InstrumentedAttribute) -> dict[Any, int]:
    """How many datasets the viewer sees listed, per value of a Dataset column (organization, theme)."""
    return dict(session.execute(select(column, func.count()).where(dataset_listed_clause(viewer))
                                .group_by(column)).all())


_COUNT_COLUMNS = {"organization": Dataset.organization_id, "theme": Dataset.theme}


class PublishedReader:
    """One viewer's read of the published catalogue, inside one session (see :func:`read_published`).

    What it returns (entries, organizations) is valid until the ``with`` block ends.
    """

    def __init__(self, session: Session, viewer: Viewer, links: Links, config: Config):
        self._session, self.viewer, self.links, self._config = session, viewer, links, config

    @property
    def session(self) -> Session:
        """The session of this read, for the export functions that take one."""
        return self._session

    def entry(self, identifier: str) -> DatasetEntry:
        """One listed dataset (NotFoundError when the viewer may not see it, as for a missing one)."""
        return get_entry(self._session, self.viewer, self.links, identifier)

    def entries(self, *, identifiers: list[str] | None = None, organization_id: int | None = None,
                theme: str | None = None, offset: int = 0, limit: int | None = None) -> list[DatasetEntry]:
        """Listed datasets in identifier order, optionally filtered and paged."""
        return list_entries(self._session, self.viewer, self.links, identifiers=identifiers,
                            organization_id=organization_id, theme=theme, offset=offset, limit=limit)

    def identifiers(self, *, offset: int = 0, limit: int | None = None) -> list[str]:
        """Identifiers of the listed datasets, sorted (a page of them when asked)."""
        stmt = select(Dataset.identifier).where(dataset_listed_clause(self.viewer)).order_by(Dataset.identifier)
        if limit:
            stmt = stmt.limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return list(self._session.scalars(stmt))

    def last_changes(self, limit: int) -> list[tuple[str, datetime]]:
        """(identifier, last metadata change) of the listed datasets, in identifier order."""
        return [tuple(r) for r in self._session.execute(
            select(Dataset.identifier, Dataset.modified_at).where(dataset_listed_clause(self.viewer))
            .order_by(Dataset.identifier).limit(limit)).all()]

    def listed_counts(self, by: str) -> dict[Any, int]:
        """Listed datasets per organization id (``by="organization"``) or per theme key (``by="theme"``)."""
        return listed_counts(self._session, self.viewer, _COUNT_COLUMNS[by])

    def organization(self, slug: str) -> Organization | None:
        """An organization by slug (organizations are public), or None."""
        return self._session.scalar(select(Organization).where(Organization.slug == slug))

    def organizations(self, *, slugs: list[str] | None = None, offset: int = 0,
                      limit: int | None = None) -> list[Organization]:
        """Organizations in slug order, optionally only some slugs, paged."""
        stmt = select(Organization).order_by(Organization.slug)
        if slugs is not None:
            stmt = stmt.where(Organization.slug.in_(slugs))
        return list(self._session.scalars(stmt.offset(offset).limit(limit)))

    def catalog_info(self) -> CatalogInfo:
        """The catalogue's own metadata."""
        return load_catalog_info(self._config, self._session)


@contextmanager
def read_published(runtime: Runtime, viewer: Viewer, links: Links) -> Iterator[PublishedReader]:
    """Read the published catalogue as ``viewer`` sees it, in one session closed at the end."""
    with runtime.sessions() as session:
        yield PublishedReader(session, viewer, links, runtime.config)
