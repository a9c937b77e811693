"""Review before publishing (三审): the steps taken on a version and how its PII findings were resolved.

Both tables are records: a decision or a resolution is added, never changed. Who acted is kept
as the audit name (``actor``) and, for users, their id, so separation of duties compares people.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.store.models import Base, Version, utcnow

DECISION_OUTCOMES = ("done", "rejected", "reprocessed")
RESOLUTION_ACTIONS = ("mask", "drop", "confirm")
MASK_METHODS = ("hash", "partial")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class ReviewDecision(Base):
    """One review step performed on a version (or its rejection, or the re-run of its outputs)."""

    __tablename__ = "review_decision"
    __table_args__ = (CheckConstraint(_in("outcome", DECISION_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[Version] = relationship()


class PiiResolution(Base):
    """How a reviewer resolved one personal-information finding of a version."""

    __tablename__ = "pii_resolution"
    __table_args__ = (
        CheckConstraint(_in("action", RESOLUTION_ACTIONS), name="action"),
        CheckConstraint(f"mask_method IS NULL OR {_in('mask_method', MASK_METHODS)}", name="mask_method"),
        CheckConstraint("action <> 'confirm' OR reason IS NOT NULL", name="confirm_reason"),
        UniqueConstraint("version_id", "field_name", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("version.id", ondelete="CASCADE"), index=True)
    field_name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(20))
    mask_method: Mapped[str | None] = mapped_column(String(20))
    keep_first: Mapped[int | None] = mapped_column(Integer)
    keep_last: Mapped[int | None] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    version: Mapped[Version] = relationship()
