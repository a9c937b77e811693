"""What applicants see: their request found by tracking code plus contact (or as the signed-in user
who submitted it), its public timeline without internal notes, the reply and its attachments.

An unknown code and a wrong contact get the same answer, and the contact is compared by keyed
digests in constant time, against two digests whether or not the code exists, so neither the
answer nor its timing tells whether a code is real. (Callers also rate-limit look-ups.) The
identity number is never part of an applicant view. Attachment links carry a signed token that
expires after an hour, so the contact never travels in a URL.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core.errors import NotFoundError
from opendata.core.requests import applicant as ap
from opendata.core.requests import states
from opendata.core.requests.clock import standing
from opendata.core.requests.vocab import (
    DELIVERY_CHANNELS,
    DELIVERY_MEDIA,
    KINDS,
    OUTCOME_BY_KEY,
    label,
)
from opendata.services.access import ANONYMOUS, Viewer
from opendata.services.requests.decision import reply_document
from opendata.services.requests.handling import apply_correction
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.queue import fee_dict
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest, RequestAttachment

NOT_FOUND = "no request with this tracking code and contact"  # one message for both failures
LINK_SECONDS = 3600
_FILLER = b"\x00" * 32
# timeline data an applicant may read (dates, periods, outcome); the rest is for staff
PUBLIC_DATA = ("receipt_date", "due_date", "extension_days", "calendar_version", "calendar_warning",
               "correction_due", "period_days", "days", "paused_on", "resumed_on", "resumes_by", "kind",
               "paused_working_days", "outcome", "row", "amount", "basis", "units", "payment_due", "paid_on",
               "reply_sha256", "dataset", "until")


def find_by_code_and_contact(session: Session, policy: RequestPolicy, code: str, contact: str) -> DisclosureRequest:
    """The request whose code and contact both match; the same NotFoundError otherwise."""
    canonical = ap.normalize_tracking_code(code)
    request = (session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == canonical))
               if canonical else None)
    given = policy.contact_digest(ap.lookup_key(contact or ""))
    stored = [policy.contact_digest(k) for k in (request.contact_keys if request else [])]
    stored = (stored + [_FILLER, _FILLER])[:2]  # always two comparisons
    matched = False
    for digest in stored:
        matched |= hmac.compare_digest(digest, given)
    if request is None or not matched:
        raise NotFoundError(NOT_FOUND)
    return request


def lookup_request(*, runtime: Runtime, policy: RequestPolicy, code: str, contact: str,
                   now: datetime | None = None) -> dict[str, Any]:
    """The applicant's view of a request, found by tracking code and contact."""
    with runtime.sessions() as session:
        request = find_by_code_and_contact(session, policy, code, contact)
        return applicant_view(request, policy, now=now)


def my_requests(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, limit: int = 100) -> list[dict[str, Any]]:
    """The signed-in user's own requests, newest first."""
    if viewer.user_id is None:
        return []
    with runtime.sessions() as session:
        found = session.scalars(select(DisclosureRequest).where(DisclosureRequest.user_id == viewer.user_id)
                                .order_by(DisclosureRequest.id.desc()).limit(max(1, min(limit, 500))))
        return [applicant_view(r, policy, with_timeline=False) for r in found]


def own_request(session: Session, viewer: Viewer, code: str) -> DisclosureRequest | None:
    """The request if the viewer is the signed-in user who submitted it."""
    if viewer.user_id is None:
        return None
    request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
    return request if request is not None and request.user_id == viewer.user_id else None


def correct_as_applicant(*, runtime: Runtime, policy: RequestPolicy, code: str, contact: str, description: str,
                         subject: str | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The applicant sends the corrected request (code and contact identify them); the clock restarts."""
    now = now or utcnow()
    with transaction(runtime.sessions) as session:
        request = find_by_code_and_contact(session, policy, code, contact)
        apply_correction(session, request, policy, ANONYMOUS, description=description, subject=subject,
                         arrived=now, now=now)
        return applicant_view(request, policy, now=now)


def applicant_view(request: DisclosureRequest, policy: RequestPolicy, *, with_timeline: bool = True,
                   now: datetime | None = None) -> dict[str, Any]:
    """Everything the applicant may read about their request (no identity number, no internal notes)."""
    today = policy.today(now)
    left = standing(policy.calendar, today, request.due_date).days_left if request.state == states.OPEN else None
    outcome = OUTCOME_BY_KEY.get(request.outcome or "")
    reply = reply_document(request)
    if reply is not None:
        for a in reply["attachments"]:
            a["token"] = attachment_token(policy, request.id, a["id"])
    view = {
        "code": request.code, "tracking_code": ap.format_tracking_code(request.code),
        "organization": {"id": request.organization.slug, "name": request.organization.name},
        "dataset": request.dataset.identifier if request.dataset else None,
        "kind": request.kind, "kind_name": label(KINDS, request.kind).zh,
        "subject": request.subject, "description": request.description,
        "delivery_medium": label(DELIVERY_MEDIA, request.delivery_medium).zh,
        "delivery_channel": label(DELIVERY_CHANNELS, request.delivery_channel).zh,
        "applicant_name": request.applicant_name, "state": request.state,
        "state_name": states.STATE_NAMES[request.state][0], "state_name_en": states.STATE_NAMES[request.state][1],
        "received_at": request.received_at, "receipt_date": request.receipt_date, "due_date": request.due_date,
        "days_left": left, "calendar_version": request.calendar_version, "calendar_warning": request.calendar_warning,
        "extension_days": request.extension_days, "correction_due": request.correction_due,
        "pause_resumes_by": request.pause_ends_by, "fee": _public_fee(request),
        "outcome": request.outcome, "outcome_row": outcome.row if outcome else None,
        "outcome_en": outcome.en if outcome else None, "legal_basis": request.legal_basis,
        "withheld_columns": request.withheld_columns, "decided_at": request.decided_at, "reply": reply,
        "purpose": request.purpose, "period_start": request.period_start, "period_end": request.period_end,
    }
    if with_timeline:
        view["timeline"] = [{"at": e.at, "action": e.action, "text": e.text,
                             "data": {k: v for k, v in e.data.items() if k in PUBLIC_DATA}}
                            for e in request.events if e.public]
    return view


def _public_fee(request: DisclosureRequest) -> dict[str, Any] | None:
    fee = fee_dict(request.fee)
    if fee is not None:
        fee.pop("earlier_items", None)
    return fee


def attachment_token(policy: RequestPolicy, request_id: int, attachment_id: int) -> str:
    """A link token for one reply attachment, valid for an hour."""
    return _serializer(policy).dumps([request_id, attachment_id])


def attachment_by_token(*, runtime: Runtime, policy: RequestPolicy, token: str) -> RequestAttachment:
    """The reply attachment a valid, unexpired token names; the same NotFoundError for any other token."""
    try:
        request_id, attachment_id = _serializer(policy).loads(token, max_age=LINK_SECONDS)
    except (BadSignature, SignatureExpired, ValueError, TypeError):
        raise NotFoundError("no such file, or the link has expired: open the status page again") from None
    with runtime.sessions() as session:
        request = session.get(DisclosureRequest, request_id)
        found = session.get(RequestAttachment, attachment_id)
        if (request is None or request.reply is None or found is None or found.request_id != request_id
                or attachment_id not in request.reply.attachment_ids):
            raise NotFoundError("no such file, or the link has expired: open the status page again")
        session.expunge(found)
        return found


def _serializer(policy: RequestPolicy) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(policy.secret, salt="opendata.request-attachment")

