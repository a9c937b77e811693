"""Database models (SQLAlchemy 2.0, typed). SQLAlchemy is used only inside opendata.store."""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from opendata.core import lifecycle, vocab

# Stable constraint names so Alembic migrations match across SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _in(column: str, values: list[str] | tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class UTCDateTime(TypeDecorator):
    """Timestamps stored in UTC and always returned timezone-aware (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; use an aware UTC datetime")
            value = value.astimezone(UTC)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            # SQLite keeps no zone; PostgreSQL answers in the session's zone (a fixed offset object,
            # not datetime.UTC, which email.utils.format_datetime(usegmt=True) requires)
            value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {dict[str, Any]: JSON, list[str]: JSON, datetime: UTCDateTime()}


class Organization(Base):
    """A publishing body (部门), in a tree of administrative levels."""

    __tablename__ = "organization"
    __table_args__ = (CheckConstraint(_in("level", vocab.keys("level")), name="level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(300))
    credit_code: Mapped[str | None] = mapped_column(String(18), unique=True)
    level: Mapped[str] = mapped_column(String(20))
    division_code: Mapped[str] = mapped_column(String(9))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    origin: Mapped[str] = mapped_column(String(20), default="catalog")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    parent: Mapped[Organization | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Organization]] = relationship(back_populates="parent")
    datasets: Mapped[list[Dataset]] = relationship(back_populates="organization")


class TableSchemaRecord(Base):
    """A registered Frictionless Table Schema (schema registry)."""

    __tablename__ = "table_schema"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    descriptor: Mapped[dict[str, Any]]
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)


class Dataset(Base):
    """A catalogue entry (信息资源), registered against a Table Schema."""

    __tablename__ = "dataset"
    __table_args__ = (
        CheckConstraint(_in("disclosure", vocab.keys("disclosure")), name="disclosure"),
        CheckConstraint(_in("frequency", vocab.keys("frequency")), name="frequency"),
        CheckConstraint(_in("theme", vocab.keys("theme")), name="theme"),
        CheckConstraint(_in("state", lifecycle.DATASET_STATES), name="state"),
        CheckConstraint("disclosure = 'unconditional' OR legal_basis IS NOT NULL", name="legal_basis"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier: Mapped[str] = mapped_column(String(100), unique=True)
    code: Mapped[str] = mapped_column(String(100), unique=True)
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    description_en: Mapped[str | None] = mapped_column(Text)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"), index=True)
    theme: Mapped[str] = mapped_column(String(50))
    keywords: Mapped[list[str]] = mapped_column(default=list)
    license: Mapped[str] = mapped_column(String(50))
    disclosure: Mapped[str] = mapped_column(String(20))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(String(20))
    temporal_start: Mapped[date | None] = mapped_column(Date)
    temporal_end: Mapped[date | None] = mapped_column(Date)
    spatial: Mapped[str | None] = mapped_column(String(200))
    contact: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schema_id: Mapped[int] = mapped_column(ForeignKey("table_schema.id", ondelete="RESTRICT"), index=True)
    source: Mapped[str | None] = mapped_column(String(500))
    source_sheet: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20), default=lifecycle.DATASET_ACTIVE)
    origin: Mapped[str] = mapped_column(String(20), default="catalog")
    # Keys the hashes of `x-mask: hash` fields, so they cannot be reversed by hashing every
    # possible ID number; never shown outside the database.
    mask_salt: Mapped[str] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship(back_populates="datasets")
    table_schema: Mapped[TableSchemaRecord] = relationship()
    versions: Mapped[list[Version]] = relationship(back_populates="dataset", order_by="Version.number")


_LIVE = f"state <> '{lifecycle.FAILED}'"


class Version(Base):
    """An immutable, numbered upload of a dataset and everything derived from it."""

    __tablename__ = "version"
    __table_args__ = (
        UniqueConstraint("dataset_id", "number"),
        # Identical bytes make no new version, except after a failed ingest: a failed version
        # holds nothing, so the same file uploaded again is a new attempt, not a duplicate.
        Index("uq_version_dataset_id_source_sha256_live", "dataset_id", "source_sha256", unique=True,
              sqlite_where=text(_LIVE), postgresql_where=text(_LIVE)),
        CheckConstraint(_in("state", lifecycle.VERSION_STATES), name="state"),
        Index("ix_version_state_published", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="RESTRICT"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default=lifecycle.RECEIVED)
    source_filename: Mapped[str] = mapped_column(String(500))
    source_format: Mapped[str | None] = mapped_column(String(20))
    source_encoding: Mapped[str | None] = mapped_column(String(30))
    source_bytes: Mapped[int] = mapped_column(BigInteger)
    source_sha256: Mapped[str] = mapped_column(String(64))
    schema_sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int | None] = mapped_column(BigInteger)
    pii: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]

    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    artifacts: Mapped[list[Artifact]] = relationship(back_populates="version", order_by="Artifact.kind")
    events: Mapped[list[VersionEvent]] = relationship(back_populates="version", order_by="VersionEvent.id")
    # the validation report lives in its own table: reading a version never reads it unless asked
    report_record: Mapped[VersionReport | None] = relationship(
        back_populates="version", cascade="all, delete-orphan", single_parent=True)

    @property
    def report(self) -> dict[str, Any] | None:
        """The validation report (Frictionless v5 shape), loaded on first use."""
        return self.report_record.report if self.report_record is not None else None

    @report.setter
    def report(self, value: dict[str, Any] | None) -> None:
        if value is None:
            self.report_record = None
            return
        stats = value.get("stats") or {}
        record = self.report_record or VersionReport()
        record.valid, record.report = value.get("valid"), value
        record.errors, record.warnings = stats.get("errors"), stats.get("warnings")
        self.report_record = record


class VersionReport(Base):
    """A version's validation report (bounded to 1 MiB when built), and its summary counts.

    Apart from ``version`` so that dataset pages, lists and exports never read reports; the
    summary columns answer job lists without reading the report itself (deferred).
    """

    __tablename__ = "version_report"

    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), primary_key=True)
    valid: Mapped[bool | None]
    errors: Mapped[int | None] = mapped_column(BigInteger)
    warnings: Mapped[int | None] = mapped_column(BigInteger)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, deferred=True)

    version: Mapped[Version] = relationship(back_populates="report_record")


class Artifact(Base):
    """A file derived from a version (canonical CSV, Parquet, datapackage.json, …)."""

    __tablename__ = "artifact"
    __table_args__ = (UniqueConstraint("version_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    path: Mapped[str] = mapped_column(String(500))  # relative to the artifact store root
    media_type: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)

    version: Mapped[Version] = relationship(back_populates="artifacts")


class VersionEvent(Base):
    """Who moved a version to which state, when, and why (append-only)."""

    __tablename__ = "version_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(20))
    to_state: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[Version] = relationship(back_populates="events")


class ChangeRecord(Base):
    """The change feed: one row per outward-visible change, in sequence order (append-only)."""

    __tablename__ = "change_record"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"))
    action: Mapped[str] = mapped_column(String(40))  # dataset-created, dataset-updated, version-published, …
    at: Mapped[datetime] = mapped_column(default=utcnow)


class UsageDaily(Base):
    """Downloads and API calls per dataset and day (flushed in batches from memory)."""

    __tablename__ = "usage_daily"

    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)
    api_calls: Mapped[int] = mapped_column(BigInteger, default=0)


class CatalogInfoRecord(Base):
    """The catalogue's own metadata (catalog.yaml's ``catalog:`` block), one row written by ``opendata sync``."""

    __tablename__ = "catalog_info"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    title: Mapped[str | None] = mapped_column(String(500))
    title_en: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    publisher: Mapped[str | None] = mapped_column(String(100))  # an organization's slug
    homepage: Mapped[str | None] = mapped_column(String(500))
    language: Mapped[str | None] = mapped_column(String(20))
    modified_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
