"""The outbox: queue messages in the caller's transaction, deliver them afterwards, at most once.

Any use case that must tell someone something (an applicant, the staff handling a request, a
publisher whose dataset is overdue) calls :func:`outbox_enqueue` inside its own transaction, so the
message exists exactly when the change that caused it was committed. A stable ``dedup_key`` makes
queueing idempotent: the same reminder for the same day is queued once however often a sweep runs.

:func:`outbox_deliver` sends what is due through a :class:`Transport` (SMTP when configured). A
message is claimed by one sender in its own committed update before it is sent, so two senders
never send the same message; a transient failure is retried with exponential backoff
(``OPENDATA_OUTBOX_RETRY_SECONDS`` doubled per attempt, at most a day) until
``OPENDATA_OUTBOX_MAX_ATTEMPTS``; a permanent refusal fails at once. A message whose sender died
while sending is marked ``unknown`` and never resent by itself (it may have arrived): staff look
and requeue it with :func:`outbox_retry`. Without an e-mail address a message is ``manual``.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.services.access import Viewer
from opendata.services.audit import audit_record
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.outbox import OUTBOX_STATES, OutboxMessage, insert_message

log = logging.getLogger(__name__)
MAX_BACKOFF = timedelta(days=1)
STALE_SENDING = timedelta(minutes=15)  # a claim older than this belongs to a sender that died


@dataclass(frozen=True)
class Envelope:
    """What a transport needs to send one message."""

    message_id: str
    recipient: str
    recipient_name: str | None
    subject: str
    body: str


class DeliveryError(Exception):
    """A message could not be sent; ``permanent`` when retrying cannot help (a refused address)."""

    def __init__(self, message: str, *, permanent: bool):
        super().__init__(message)
        self.permanent = permanent


class Transport(Protocol):
    """Sends envelopes (SMTP in production); raises DeliveryError."""

    def send(self, envelope: Envelope) -> None: ...


@dataclass(frozen=True)
class DeliveryPolicy:
    """Attempts and backoff of deliveries (from OPENDATA_OUTBOX_* settings)."""

    max_attempts: int = 8
    retry_seconds: int = 60

    @classmethod
    def from_config(cls, config) -> DeliveryPolicy:
        return cls(max_attempts=max(1, config.OUTBOX_MAX_ATTEMPTS), retry_seconds=max(1, config.OUTBOX_RETRY_SECONDS))

    def backoff(self, attempts: int) -> timedelta:
        """Wait before the next attempt after ``attempts`` failed ones: retry_seconds × 2^(attempts-1)."""
        return min(MAX_BACKOFF, timedelta(seconds=self.retry_seconds * 2 ** min(attempts - 1, 20)))


def outbox_enqueue(*, session: Session, dedup_key: str, topic: str, audience: str, recipient: str | None,
                   subject: str, body: str, recipient_name: str | None = None, subject_type: str | None = None,
                   subject_id: str | int | None = None, organization_id: int | None = None,
                   now: datetime | None = None) -> int | None:
    """Queue one message in the caller's transaction; None when ``dedup_key`` was queued before."""
    now = now or utcnow()
    return insert_message(session, {
        "dedup_key": dedup_key[:200], "topic": topic, "audience": audience, "recipient": recipient or None,
        "recipient_name": recipient_name, "subject": subject[:300], "body": body, "subject_type": subject_type,
        "subject_id": None if subject_id is None else str(subject_id), "organization_id": organization_id,
        "state": "pending" if recipient else "manual", "next_attempt_at": now, "created_at": now})


@dataclass
class DeliveryReport:
    """What one delivery run did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    unknown: int = 0


def outbox_deliver(*, sessions: sessionmaker[Session], transport: Transport, policy: DeliveryPolicy = DeliveryPolicy(),
                   now: datetime | None = None, limit: int = 100) -> DeliveryReport:
    """Send the messages that are due, each claimed first so no other sender sends it too."""
    now = now or utcnow()
    report = DeliveryReport()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    with transaction(sessions) as session:
        report.unknown = session.execute(
            update(OutboxMessage).where(OutboxMessage.state == "sending", OutboxMessage.claimed_at < now - STALE_SENDING)
            .values(state="unknown", last_error="the sender stopped while sending; it may have arrived")).rowcount
        due = list(session.scalars(select(OutboxMessage.id).where(
            OutboxMessage.state == "pending", OutboxMessage.next_attempt_at <= now)
            .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit)))
    for message_id in due:
        envelope = _claim(sessions, message_id, worker, now)
        if envelope is None:
            continue  # another sender took it
        try:
            transport.send(envelope)
        except DeliveryError as exc:
            outcome = _record_failure(sessions, message_id, str(exc), exc.permanent, policy, now)
            setattr(report, outcome, getattr(report, outcome) + 1)
            continue
        with transaction(sessions) as session:
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id).values(
                state="sent", sent_at=utcnow(), last_error=None, message_id=envelope.message_id))
        report.sent += 1
    return report


def _claim(sessions: sessionmaker[Session], message_id: int, worker: str, now: datetime) -> Envelope | None:
    with transaction(sessions) as session:
        claimed = session.execute(
            update(OutboxMessage).where(OutboxMessage.id == message_id, OutboxMessage.state == "pending")
            .values(state="sending", claimed_by=worker, claimed_at=now, attempts=OutboxMessage.attempts + 1)).rowcount
        if claimed != 1:
            return None
        m = session.get(OutboxMessage, message_id)
        return Envelope(message_id=f"<outbox-{m.id}.{m.created_at:%Y%m%d%H%M%S}@opendata>", recipient=m.recipient,
                        recipient_name=m.recipient_name, subject=m.subject, body=m.body)


def _record_failure(sessions, message_id: int, error: str, permanent: bool, policy: DeliveryPolicy,
                    now: datetime) -> str:
    with transaction(sessions) as session:
        m = session.get(OutboxMessage, message_id)
        m.last_error = error[:2000]
        m.claimed_by = None
        if permanent or m.attempts >= policy.max_attempts:
            m.state = "failed"
            log.warning("outbox message %s failed for good: %s", message_id, error)
            return "failed"
        m.state = "pending"
        m.next_attempt_at = now + policy.backoff(m.attempts)
        return "retried"


def outbox_list(*, session: Session, actor: Viewer, states: tuple[str, ...] = (), subject_type: str | None = None,
                subject_id: str | None = None, organization_ids: frozenset[int] | None = None,
                limit: int = 100) -> list[OutboxMessage]:
    """Messages, newest first, by state and subject (administrators, or staff for their organisations)."""
    if organization_ids is None:
        actor.require_admin()
    unknown = [s for s in states if s not in OUTBOX_STATES]
    if unknown:
        raise ValidationError(f"unknown outbox state {unknown[0]!r}; states are {', '.join(OUTBOX_STATES)}")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(max(1, min(limit, 1000)))
    if states:
        query = query.where(OutboxMessage.state.in_(states))
    if subject_type is not None:
        query = query.where(OutboxMessage.subject_type == subject_type)
    if subject_id is not None:
        query = query.where(OutboxMessage.subject_id == str(subject_id))
    if organization_ids is not None:
        query = query.where(OutboxMessage.organization_id.in_(sorted(organization_ids)))
    return list(session.scalars(query))


def outbox_retry(*, session: Session, actor: Viewer, message_id: int, now: datetime | None = None) -> OutboxMessage:
    """Queue a failed or unknown message again, on purpose (administrators; audited)."""
    actor.require_admin()
    m = session.get(OutboxMessage, message_id)
    if m is None:
        raise NotFoundError(f"no outbox message {message_id}")
    if m.state not in ("failed", "unknown"):
        raise ConflictError(f"message {message_id} is {m.state}; only failed or unknown messages are sent again")
    before = {"state": m.state, "attempts": m.attempts, "last_error": m.last_error}
    m.state, m.next_attempt_at, m.attempts = "pending", now or utcnow(), 0
    audit_record(session=session, actor=actor, action="outbox-retried", target_type="outbox_message",
                 target_id=m.id, before=before, after={"state": "pending"})
    return m


def message_dict(m: OutboxMessage) -> dict:
    """A message as listings show it."""
    return {"id": m.id, "topic": m.topic, "audience": m.audience, "recipient": m.recipient,
            "subject": m.subject, "state": m.state, "attempts": m.attempts, "last_error": m.last_error,
            "created_at": m.created_at, "sent_at": m.sent_at, "next_attempt_at": m.next_attempt_at,
            "about": f"{m.subject_type}:{m.subject_id}" if m.subject_type else None}
