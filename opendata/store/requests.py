"""Disclosure requests (依申请公开) and data-access applications: the request, its timeline, fee, reply.

A request is never deleted (the database refuses DELETE); its timeline events, reply and
attachments are records, added and never changed (UPDATE and DELETE refused too). Every computed
date is stored beside the calendar version that produced it. The identity number is stored for
the handler alone: services mask it everywhere else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    event,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from opendata.core.requests import states, vocab
from opendata.core.requests.fees import BASES
from opendata.store.models import Base, Dataset, Organization, utcnow
from opendata.store.record_guards import postgresql_guards, sqlite_guards


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


def _first_receipt_date(context) -> date:
    """A new request's first receipt day is its receipt day (set once, at insert)."""
    return context.get_current_parameters()["receipt_date"]


class DisclosureRequest(Base):
    """One request for disclosure or data-access application, with its current clock and outcome."""

    __tablename__ = "disclosure_request"
    __table_args__ = (
        CheckConstraint(_in("kind", vocab.keys(vocab.KINDS)), name="kind"),
        CheckConstraint(_in("state", states.STATES), name="state"),
        CheckConstraint(_in("applicant_type", vocab.keys(vocab.APPLICANT_TYPES)), name="applicant_type"),
        CheckConstraint(_in("id_type", vocab.keys(vocab.ID_TYPES)), name="id_type"),
        CheckConstraint(_in("delivery_medium", vocab.keys(vocab.DELIVERY_MEDIA)), name="delivery_medium"),
        CheckConstraint(_in("delivery_channel", vocab.keys(vocab.DELIVERY_CHANNELS)), name="delivery_channel"),
        CheckConstraint(f"outcome IS NULL OR {_in('outcome', vocab.keys(vocab.OUTCOMES))}", name="outcome"),
        CheckConstraint("(state = 'closed') = (outcome IS NOT NULL)", name="closed_with_outcome"),
        CheckConstraint(f"pause_kind IS NULL OR {_in('pause_kind', vocab.keys(vocab.PAUSE_KINDS))}",
                        name="pause_kind"),
        CheckConstraint("extension_days BETWEEN 0 AND 20", name="extension_days"),
        CheckConstraint("paused_days >= 0", name="paused_days"),
        # the organisation's queue: filtered by state, ordered by due date; the subject last, so the
        # subject filter (LIKE '%word%') reads index entries, not every request's row
        Index("ix_disclosure_request_queue", "organization_id", "state", "due_date", "id", "subject"),
        # the handler filter (a clerk's own requests, the unassigned ones), by state and due date
        Index("ix_disclosure_request_handler", "organization_id", "handler_id", "state", "due_date"),
        Index("ix_disclosure_request_applicant", "organization_id", "applicant_key", "received_at"),
        Index("ix_disclosure_request_receipt", "organization_id", "receipt_date"),
        # the queue's calendar warning counts open requests by calendar version without reading rows
        Index("ix_disclosure_request_calendar", "organization_id", "state", "calendar_version", "calendar_warning"),
        # the annual report: an organisation's requests by year of arrival, with what table 三 needs
        Index("ix_disclosure_request_report", "organization_id", "first_receipt_date", "decided_at",
              "applicant_type", "outcome"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organization.id", ondelete="RESTRICT"))
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("dataset.id", ondelete="RESTRICT"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    delivery_medium: Mapped[str] = mapped_column(String(20))
    delivery_channel: Mapped[str] = mapped_column(String(20))
    applicant_type: Mapped[str] = mapped_column(String(40))
    applicant_name: Mapped[str] = mapped_column(String(200))
    id_type: Mapped[str] = mapped_column(String(40))
    id_number: Mapped[str] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(Text)
    # normalised contacts the status lookup compares ("email:…", "phone:…")
    contact_keys: Mapped[list[str]] = mapped_column(JSON, default=list)
    # sha256 of the identity document: the same applicant across requests (fees, duplicates, Art. 44)
    applicant_key: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    purpose: Mapped[str | None] = mapped_column(Text)
    intended_use: Mapped[str | None] = mapped_column(Text)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    idempotency_key: Mapped[str | None] = mapped_column(String(64), unique=True)  # sha256 of the client's key
    content_sha256: Mapped[str] = mapped_column(String(64), index=True)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)

    state: Mapped[str] = mapped_column(String(30), default=states.OPEN)
    handler_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id", ondelete="RESTRICT"), index=True)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    receipt_date: Mapped[date] = mapped_column(Date)
    # the day the request was first counted as received: the annual report's year. A correction
    # restarts the clock (receipt_date) but the request still arrived in its first year.
    first_receipt_date: Mapped[date] = mapped_column(Date, default=_first_receipt_date)
    due_date: Mapped[date] = mapped_column(Date)
    extension_days: Mapped[int] = mapped_column(Integer, default=0)
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    calendar_version: Mapped[str] = mapped_column(String(60))
    calendar_warning: Mapped[str | None] = mapped_column(Text)
    correction_notice_due: Mapped[date] = mapped_column(Date)
    correction_requested_on: Mapped[date | None] = mapped_column(Date)
    correction_due: Mapped[date | None] = mapped_column(Date)
    pause_kind: Mapped[str | None] = mapped_column(String(20))
    pause_started_on: Mapped[date | None] = mapped_column(Date)
    pause_bound: Mapped[int | None] = mapped_column(Integer)
    pause_ends_by: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(40))
    legal_basis: Mapped[str | None] = mapped_column(Text)
    withheld_columns: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    decided_at: Mapped[datetime | None]
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("access_grant.id", ondelete="RESTRICT"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(default=utcnow)

    organization: Mapped[Organization] = relationship()
    dataset: Mapped[Dataset | None] = relationship()
    events: Mapped[list[RequestEvent]] = relationship(back_populates="request", order_by="RequestEvent.id")
    fee: Mapped[RequestFee | None] = relationship(back_populates="request")
    reply: Mapped[RequestReply | None] = relationship(back_populates="request")
    attachments: Mapped[list[RequestAttachment]] = relationship(order_by="RequestAttachment.id")


class RequestEvent(Base):
    """One entry of a request's timeline; ``public`` entries are shown to the applicant, notes never."""

    __tablename__ = "request_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_request.id", ondelete="RESTRICT"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    public: Mapped[bool] = mapped_column(default=True)
    text: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # dates with their calendar version
    state: Mapped[str] = mapped_column(String(30))  # the request's state after the event

    request: Mapped[DisclosureRequest] = relationship(back_populates="events")


class RequestFee(Base):
    """The fee notice of a request (at most one), its amount by band, and its payment or absence."""

    __tablename__ = "request_fee"
    __table_args__ = (CheckConstraint(_in("basis", BASES), name="basis"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_request.id", ondelete="RESTRICT"), unique=True)
    basis: Mapped[str] = mapped_column(String(20))
    units: Mapped[int] = mapped_column(Integer)
    earlier_items: Mapped[int] = mapped_column(Integer, default=0)
    amount: Mapped[int] = mapped_column(Integer)  # yuan
    lines: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notified_on: Mapped[date] = mapped_column(Date)
    payment_due: Mapped[date] = mapped_column(Date)
    calendar_version: Mapped[str] = mapped_column(String(60))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(200))
    lapsed_on: Mapped[date | None] = mapped_column(Date)
    notified_by: Mapped[str] = mapped_column(String(200))

    request: Mapped[DisclosureRequest] = relationship(back_populates="fee")


class RequestAttachment(Base):
    """A file staff attached to a request (immutable); part of the reply once the decision names it."""

    __tablename__ = "request_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_request.id", ondelete="RESTRICT"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(100))
    bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(500))  # in the artifact store
    uploaded_by: Mapped[str] = mapped_column(String(200))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)


class RequestReply(Base):
    """The reply that closed a request: its text and the attachments it names, sealed by a sha256."""

    __tablename__ = "request_reply"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("disclosure_request.id", ondelete="RESTRICT"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    attachment_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    sha256: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    request: Mapped[DisclosureRequest] = relationship(back_populates="reply")


# Records are added, never changed; requests are never deleted. The same statements are in the
# migration (migrations never import models); here they serve metadata.create_all().
RECORD_TABLES = ("request_event", "request_attachment", "request_reply")


for _table, _updates in (("disclosure_request", True), *((t, False) for t in RECORD_TABLES)):
    _model_table = Base.metadata.tables[_table]
    for _sql in sqlite_guards(_table, updates=_updates):
        event.listen(_model_table, "after_create", DDL(_sql).execute_if(dialect="sqlite"))
    for _sql in postgresql_guards(_table, updates=_updates):
        event.listen(_model_table, "after_create", DDL(_sql).execute_if(dialect="postgresql"))
