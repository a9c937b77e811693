"""Reuse showcases (应用成果): apps, analyses and visualisations built on the catalogue's datasets.

``showcase`` is one submission with its moderation state (pending, published, rejected,
withdrawn) and its screenshot, stored in the artifact store under its sha256 like every file;
``showcase_dataset`` links it to the datasets it uses, in the submitter's order.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.core.showcase import KINDS, STATES
from opendata.store.models import Base, Dataset, _in, utcnow


class Showcase(Base):
    """One submitted showcase and its moderation."""

    __tablename__ = "showcase"
    __table_args__ = (
        CheckConstraint(_in("state", STATES), name="state"),
        CheckConstraint(_in("kind", tuple(KINDS)), name="kind"),
        Index("ix_showcase_state", "state", "published_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # CKAN's name and id, and the page's path
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(String(2000))
    kind: Mapped[str] = mapped_column(String(20))
    author: Mapped[str] = mapped_column(String(200))
    author_email: Mapped[str | None] = mapped_column(String(254))  # for the moderators only
    screenshot_path: Mapped[str | None] = mapped_column(String(500))
    screenshot_sha256: Mapped[str | None] = mapped_column(String(64))
    screenshot_type: Mapped[str | None] = mapped_column(String(50))
    screenshot_bytes: Mapped[int | None] = mapped_column(BigInteger)
    screenshot_width: Mapped[int | None] = mapped_column(Integer)
    screenshot_height: Mapped[int | None] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    submitted_by: Mapped[str | None] = mapped_column(String(200))  # the signed-in user, if any
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    moderated_by: Mapped[str | None] = mapped_column(String(200))
    moderated_at: Mapped[datetime | None] = mapped_column()
    moderation_note: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column()
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    links: Mapped[list[ShowcaseDataset]] = relationship(back_populates="showcase", order_by="ShowcaseDataset.position",
                                                        cascade="all, delete-orphan")


class ShowcaseDataset(Base):
    """A dataset a showcase uses (its position keeps the submitter's order)."""

    __tablename__ = "showcase_dataset"
    __table_args__ = (Index("ix_showcase_dataset_dataset", "dataset_id", "showcase_id"),)

    showcase_id: Mapped[int] = mapped_column(ForeignKey("showcase.id", ondelete="CASCADE"), primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="RESTRICT"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)

    showcase: Mapped[Showcase] = relationship(back_populates="links")
    dataset: Mapped[Dataset] = relationship()
