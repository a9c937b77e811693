"""Annual disclosure reports: what staff enter for an organisation and year, and the published versions.

``report_entry`` is the working copy (one per organisation and year): the texts of sections 一, 五
and 六 and the figures of tables 二 and 四, changed by staff until they publish. ``report_version``
is a published report: its canonical JSON document, the sha256 of those bytes, and its XLSX and
DOCX files in the artifact store with their own sha256. A version is a record: the database
refuses to change or delete it, and a second publication for the same organisation and year is
the next number, never an overwrite.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    DDL,
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.store.models import Base, Organization, utcnow
from opendata.store.record_guards import postgresql_guards, sqlite_guards

YEAR_CHECK = "year BETWEEN 2008 AND 2999"  # the disclosure regulation took effect in 2008


class ReportEntry(Base):
    """Staff's working copy of a year's report: texts and the figures the platform does not own."""

    __tablename__ = "report_entry"
    __table_args__ = (UniqueConstraint("organization_id", "year"), CheckConstraint(YEAR_CHECK, name="year"))

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    sections: Mapped[dict[str, Any]] = mapped_column(default=dict)  # overview, problems, other
    table_two: Mapped[dict[str, Any]] = mapped_column(default=dict)  # amounts as decimal strings
    table_four: Mapped[dict[str, Any]] = mapped_column(default=dict)
    modified_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()


class ReportVersion(Base):
    """A published report (immutable): the document's canonical bytes, their sha256, and its files."""

    __tablename__ = "report_version"
    __table_args__ = (
        UniqueConstraint("organization_id", "year", "number"),
        CheckConstraint(YEAR_CHECK, name="year"),
        CheckConstraint("number >= 1", name="number"),
        Index("ix_report_version_year", "year", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))
    year: Mapped[int] = mapped_column(Integer)
    number: Mapped[int] = mapped_column(Integer)
    document: Mapped[str] = mapped_column(Text)  # canonical JSON, exactly the bytes hashed
    sha256: Mapped[str] = mapped_column(String(64))
    xlsx_path: Mapped[str] = mapped_column(String(500))
    xlsx_sha256: Mapped[str] = mapped_column(String(64))
    xlsx_bytes: Mapped[int] = mapped_column(BigInteger)
    docx_path: Mapped[str] = mapped_column(String(500))
    docx_sha256: Mapped[str] = mapped_column(String(64))
    docx_bytes: Mapped[int] = mapped_column(BigInteger)
    published_by: Mapped[str] = mapped_column(String(200))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()


# A published version is a record; the same statements are in the migration.
_version_table = Base.metadata.tables["report_version"]
for _sql in sqlite_guards("report_version", updates=False):
    event.listen(_version_table, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
for _sql in postgresql_guards("report_version", updates=False):
    event.listen(_version_table, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
