"""Disclosure changes: a dataset's move to another class, held for review when it loosens access.

A change is a record: requested once with its source (catalog.yaml's sha256, the API, the command
line, a disclosure request), then decided. The dataset's class is the one served; a pending change
alters nothing until its last review step applies it. Review steps are records too, never changed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.core import vocab
from opendata.core.disclosure import CHANGE_STATES, PENDING
from opendata.store.models import Base, Dataset, utcnow

DECISION_OUTCOMES = ("done", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class DisclosureChange(Base):
    """One requested change of a dataset's disclosure class (and legal basis), and its outcome."""

    __tablename__ = "disclosure_change"
    __table_args__ = (
        CheckConstraint(_in("state", CHANGE_STATES), name="state"),
        CheckConstraint(_in("from_disclosure", vocab.keys("disclosure")), name="from_disclosure"),
        CheckConstraint(_in("to_disclosure", vocab.keys("disclosure")), name="to_disclosure"),
        CheckConstraint("to_disclosure = 'unconditional' OR to_legal_basis IS NOT NULL", name="to_legal_basis"),
        # At most one pending change per dataset: a second request supersedes the first.
        Index("ix_disclosure_change_one_pending", "dataset_id", unique=True,
              sqlite_where=text(f"state = '{PENDING}'"), postgresql_where=text(f"state = '{PENDING}'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("dataset.id", ondelete="CASCADE"), index=True)
    from_disclosure: Mapped[str] = mapped_column(String(20))
    from_legal_basis: Mapped[str | None] = mapped_column(Text)
    to_disclosure: Mapped[str] = mapped_column(String(20))
    to_legal_basis: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    source: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[str] = mapped_column(String(200))
    requested_user_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(200))
    decision_note: Mapped[str | None] = mapped_column(Text)

    dataset: Mapped[Dataset] = relationship()
    decisions: Mapped[list[DisclosureDecision]] = relationship(back_populates="change",
                                                               order_by="DisclosureDecision.id")


class DisclosureDecision(Base):
    """One review step taken on a disclosure change, or its rejection."""

    __tablename__ = "disclosure_decision"
    __table_args__ = (CheckConstraint(_in("outcome", DECISION_OUTCOMES), name="outcome"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    change_id: Mapped[int] = mapped_column(ForeignKey("disclosure_change.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(Integer)
    note: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    change: Mapped[DisclosureChange] = relationship(back_populates="decisions")
