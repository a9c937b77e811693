"""The outbox: messages to people (applicants, staff, publishers), written in the transaction that
caused them and delivered afterwards, at most once.

``dedup_key`` is unique, so a message is never queued twice (two sweeps at once, a retried
request). States: ``pending`` (to send, from ``next_attempt_at``), ``sending`` (claimed by one
sender), ``sent``, ``failed`` (refused for good, or out of attempts), ``unknown`` (a sender died
while sending: never resent by itself, since it may have arrived), ``manual`` (no e-mail address:
listed for staff to deliver by phone or post).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from opendata.store.models import Base, utcnow

OUTBOX_STATES = ("pending", "sending", "sent", "failed", "unknown", "manual")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class OutboxMessage(Base):
    """One message to one recipient, with its delivery attempts."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(_in("state", OUTBOX_STATES), name="state"),
        Index("ix_outbox_message_due", "state", "next_attempt_at"),
        Index("ix_outbox_message_subject_of", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(200), unique=True)
    topic: Mapped[str] = mapped_column(String(60))  # e.g. request-received, request-overdue
    audience: Mapped[str] = mapped_column(String(20))  # applicant, staff, publisher
    recipient: Mapped[str | None] = mapped_column(String(320))  # e-mail address; None: manual delivery
    recipient_name: Mapped[str | None] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    # what the message is about, for listings (e.g. "disclosure_request", "12")
    subject_type: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[str | None] = mapped_column(String(64))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"),
                                                        index=True)
    state: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    claimed_by: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def insert_message(session, values: dict) -> int | None:
    """Insert a message unless one with its ``dedup_key`` exists; the new id, or None when it existed.

    One statement (INSERT … ON CONFLICT DO NOTHING), so two processes queueing the same message at
    once leave exactly one, and neither transaction fails.
    """
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = (insert(OutboxMessage).values(**values)
                 .on_conflict_do_nothing(index_elements=["dedup_key"]).returning(OutboxMessage.id))
    return session.execute(statement).scalar_one_or_none()
