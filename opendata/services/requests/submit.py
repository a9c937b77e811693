"""Submitting a request: anyone, signed in or not, to an organisation, optionally about a dataset.

A request about a conditional dataset is a data-access application: it is made signed in (the
access grant goes to that account) and states its purpose, intended use and period. A request
about an open dataset is refused with a pointer to the data; one about a closed dataset is an
ordinary request for disclosure. Every field is checked before anything is written; the answer
is the tracking code. The same ``Idempotency-Key`` with the same request answers the first
request again; the same applicant sending the same text to the same organisation while the first
is still open is refused as a duplicate, without revealing the first request's code.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from opendata.core import lifecycle
from opendata.core.errors import ConflictError, NotFoundError, Problem, ValidationError, Warnings
from opendata.core.requests import applicant as ap
from opendata.core.requests import clock, states, vocab
from opendata.core.textcheck import require_text
from opendata.core.workdays import uncovered_warning
from opendata.services.access import AuthenticationError, PermissionDeniedError, Viewer
from opendata.services.requests import notices, timeline
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import staff_scope
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import Dataset, Organization, utcnow
from opendata.store.requests import DisclosureRequest

SUBJECT_MAX = 300
DESCRIPTION_MAX = 10_000
LONG_TEXT_MAX = 2_000
MAX_ACCESS_DAYS = 3660  # the longest access period an application may ask for (as grants allow)
FIELDS = ("organization", "dataset", "subject", "description", "delivery_medium", "delivery_channel",
          "applicant_type", "applicant_name", "id_type", "id_number", "email", "phone", "address",
          "purpose", "intended_use", "period_start", "period_end")


@dataclass(frozen=True)
class Submitted:
    """The answer to a submission: the request and whether this call created it."""

    code: str
    created: bool
    receipt_date: date
    due_date: date
    calendar_version: str
    calendar_warning: str | None
    kind: str
    warnings: tuple[dict[str, Any], ...] = ()


def submit_request(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, form: dict[str, Any],
                   idempotency_key: str | None = None, received_at: datetime | None = None,
                   now: datetime | None = None) -> Submitted:
    """Check and store a new request in one transaction; queue the acknowledgement."""
    now = now or utcnow()
    unknown = sorted(set(form) - set(FIELDS))
    if unknown:
        raise ap.invalid(unknown[0], f"unknown field {unknown[0]!r}")
    with transaction(runtime.sessions) as session:
        values, warnings = _checked(session, viewer, form, policy, now)
        if received_at is not None:
            _check_backdating(session, viewer, values["organization_id"], received_at, now)
        arrived = received_at or now
        key_hash = hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest() if idempotency_key else None
        existing = _replayed(session, key_hash, values)
        if existing is not None:
            return _answer(existing, created=False)
        _refuse_duplicate(session, values)
        request = DisclosureRequest(code=_fresh_code(session), idempotency_key=key_hash, received_at=arrived,
                                    state=states.OPEN, warnings=[w.to_dict() for w in warnings.items],
                                    created_at=now, modified_at=now, **values)
        _start_clock(request, policy, arrived)
        session.add(request)
        session.flush()
        timeline.record(session, request, viewer, "submitted", at=now, data=timeline.clock_data(request))
        notices.notify_received(session, policy, request)
        return _answer(request, created=True)


def _answer(request: DisclosureRequest, *, created: bool) -> Submitted:
    return Submitted(code=request.code, created=created, receipt_date=request.receipt_date, due_date=request.due_date,
                     calendar_version=request.calendar_version, calendar_warning=request.calendar_warning,
                     kind=request.kind, warnings=tuple(request.warnings or ()))


def _start_clock(request: DisclosureRequest, policy: RequestPolicy, arrived: datetime) -> None:
    """Receipt day, reply due, correction notice due: stored with the calendar version (clock restarts too)."""
    request.receipt_date = policy.receipt(arrived)
    due = clock.reply_due(policy.calendar, clock.ClockInput(request.receipt_date))
    notice = clock.correction_notice_due(policy.calendar, request.receipt_date)
    request.due_date, request.correction_notice_due = due.date, notice.date
    request.extension_days, request.paused_days = 0, 0
    request.calendar_version = due.calendar_version
    years = tuple(sorted(set(due.uncovered_years) | set(notice.uncovered_years)))
    request.calendar_warning = uncovered_warning(years, due.calendar_version)


def restart_clock(request: DisclosureRequest, policy: RequestPolicy, arrived: datetime) -> None:
    """The clock after a correction: counted again from the day the corrected request arrived."""
    request.received_at = arrived
    _start_clock(request, policy, arrived)


def _checked(session: Session, viewer: Viewer, form: dict[str, Any], policy: RequestPolicy,
             now: datetime) -> tuple[dict[str, Any], Warnings]:
    """Every field checked and normalised; the first problem raises ValidationError naming its field."""
    org, dataset = _target(session, form.get("organization"), form.get("dataset"))
    kind = "disclosure"
    if dataset is not None:
        if dataset.disclosure == "unconditional":
            raise ap.invalid("dataset", f"dataset {dataset.identifier!r} is open without conditions: its data can be "
                             f"downloaded from /datasets/{dataset.identifier} without a request", "already-open")
        kind = "data-access" if dataset.disclosure == "conditional" else "disclosure"
    v: dict[str, Any] = {"organization_id": org.id, "dataset_id": dataset.id if dataset else None, "kind": kind}
    v["subject"] = ap.check_text(form.get("subject"), "subject", required=True, max_length=SUBJECT_MAX)
    v["description"] = ap.check_text(form.get("description"), "description", required=True,
                                     max_length=DESCRIPTION_MAX, multiline=True)
    for name, terms in (("delivery_medium", vocab.DELIVERY_MEDIA), ("delivery_channel", vocab.DELIVERY_CHANNELS),
                        ("applicant_type", vocab.APPLICANT_TYPES), ("id_type", vocab.ID_TYPES)):
        v[name] = _term(form.get(name), name, terms)
    v["applicant_name"] = ap.check_text(form.get("applicant_name"), "applicant_name", required=True, max_length=200)
    allowed = vocab.PERSON_ID_TYPES if v["applicant_type"] == "natural-person" else vocab.ORGANIZATION_ID_TYPES
    if v["id_type"] not in allowed:
        raise ap.invalid("id_type", f"a {v['applicant_type']} applicant identifies with one of "
                         f"{', '.join(sorted(allowed))}")
    warnings = Warnings()
    v["id_number"] = ap.check_id_number(v["id_type"], str(form.get("id_number") or ""), warnings)
    v["email"] = ap.check_email(form["email"]) if form.get("email") else None
    v["phone"] = ap.check_phone(form["phone"]) if form.get("phone") else None
    if not v["email"] and not v["phone"]:
        raise ap.invalid("email", "give an e-mail address or a telephone number: with the tracking code it lets "
                         "you follow the request", "required")
    v["address"] = ap.check_text(form.get("address"), "address", required=v["delivery_channel"] == "post",
                                 max_length=500)
    v["contact_keys"] = ap.contact_keys(email=v["email"], phone=v["phone"])
    v["applicant_key"] = hashlib.sha256(f"{v['id_type']}:{v['id_number']}".encode()).hexdigest()
    v["user_id"] = viewer.user_id
    v.update(_application(viewer, form, kind, policy.today(now)))
    v["content_sha256"] = _content_hash(v)
    return v, warnings


def _application(viewer: Viewer, form: dict[str, Any], kind: str, today: date) -> dict[str, Any]:
    """Purpose, intended use and period of a data-access application (nothing for other requests)."""
    if kind != "data-access":
        for name in ("purpose", "intended_use", "period_start", "period_end"):
            if form.get(name) not in (None, ""):
                raise ap.invalid(name, f"{name} belongs to a data-access application (a request about a "
                                 "conditional dataset)")
        return {}
    if viewer.is_anonymous:
        raise AuthenticationError("a data-access application is made signed in: the access grant goes to your "
                                  "account")
    start, end = _day(form.get("period_start"), "period_start"), _day(form.get("period_end"), "period_end")
    if end < start:
        raise ap.invalid("period_end", f"the period ends ({end}) before it starts ({start})", "wrong-order")
    if end <= today:
        raise ap.invalid("period_end", f"the period must end after today ({today})")
    if (end - start).days > MAX_ACCESS_DAYS:
        raise ap.invalid("period_end", f"an access period is at most {MAX_ACCESS_DAYS} days")
    return {"purpose": ap.check_text(form.get("purpose"), "purpose", required=True, max_length=LONG_TEXT_MAX,
                                     multiline=True),
            "intended_use": ap.check_text(form.get("intended_use"), "intended_use", required=True,
                                          max_length=LONG_TEXT_MAX, multiline=True),
            "period_start": start, "period_end": end}


def _target(session: Session, organization: Any, dataset: Any) -> tuple[Organization, Dataset | None]:
    ds = None
    if dataset not in (None, ""):
        if not isinstance(dataset, str):
            raise ap.invalid("dataset", "dataset is a dataset identifier")
        require_text(dataset, "dataset", multiline=True)  # PostgreSQL refuses a NUL in the lookup
        ds = session.scalar(select(Dataset).where(Dataset.identifier == dataset,
                                                  Dataset.state == lifecycle.DATASET_ACTIVE))
        if ds is None:
            raise ValidationError(f"no dataset {dataset[:100]!r} in the catalogue",
                                  problems=[Problem("not-found", "no such dataset in the catalogue", path="dataset")])
    if organization in (None, ""):
        if ds is None:
            raise ap.invalid("organization", "name the organisation the request is for (or a dataset)", "required")
        return ds.organization, ds
    if not isinstance(organization, str):
        raise ap.invalid("organization", "organization is an organisation id")
    require_text(organization, "organization", multiline=True)
    org = session.scalar(select(Organization).where(Organization.slug == organization))
    if org is None:
        raise ValidationError(f"no organisation {organization[:100]!r}",
                              problems=[Problem("not-found", "no such organisation", path="organization")])
    if ds is not None and ds.organization_id != org.id:
        raise ap.invalid("organization", f"dataset {ds.identifier!r} is published by {ds.organization.slug!r}; send "
                         "the request there")
    return org, ds


def _term(value: Any, path: str, terms: tuple[vocab.Label, ...]) -> str:
    if not isinstance(value, str) or vocab.label(terms, value) is None:
        raise ap.invalid(path, f"{path} must be one of {', '.join(vocab.keys(terms))}")
    return value


def _day(value: Any, path: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not value:
        raise ap.invalid(path, f"{path} is required (YYYY-MM-DD)", "required")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ap.invalid(path, f"{value[:40]!r} is not a date in the form YYYY-MM-DD") from None


def _content_hash(v: dict[str, Any]) -> str:
    text = json.dumps([v["organization_id"], v["dataset_id"], " ".join(v["subject"].split()),
                       " ".join(v["description"].split())], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _replayed(session: Session, key_hash: str | None, values: dict[str, Any]) -> DisclosureRequest | None:
    if key_hash is None:
        return None
    found = session.scalar(select(DisclosureRequest).where(DisclosureRequest.idempotency_key == key_hash))
    if found is None:
        return None
    if found.content_sha256 != values["content_sha256"] or found.applicant_key != values["applicant_key"]:
        raise ConflictError("this Idempotency-Key was used for a different request; use a new key for a new request",
                            problems=[Problem("idempotency-key-reused", "key used for another request",
                                              path="Idempotency-Key")])
    return found


def _refuse_duplicate(session: Session, values: dict[str, Any]) -> None:
    first = session.scalar(select(DisclosureRequest.receipt_date).where(
        DisclosureRequest.organization_id == values["organization_id"],
        DisclosureRequest.applicant_key == values["applicant_key"],
        DisclosureRequest.content_sha256 == values["content_sha256"],
        DisclosureRequest.state.in_(states.ACTIVE_STATES)).limit(1))
    if first is not None:
        message = (f"the same request from the same applicant is already being handled (received {first}); its "
                   "tracking code was sent to the contact given then")
        raise ConflictError(message, problems=[Problem("duplicate-request", message, path="description")])


def _check_backdating(session: Session, viewer: Viewer, organization_id: int, received_at: datetime,
                      now: datetime) -> None:
    """Staff entering a request that came by post or in person give the moment it really arrived."""
    if not staff_scope(session, viewer).may_handle(organization_id):
        raise PermissionDeniedError("only staff of the receiving organisation record when a request arrived")
    if received_at.tzinfo is None:
        raise ap.invalid("received_at", "received_at needs a time zone")
    if received_at > now + timedelta(minutes=5):
        raise ap.invalid("received_at", "received_at is in the future", "wrong-order")
    if received_at < now - timedelta(days=366):
        raise ap.invalid("received_at", "received_at is more than a year ago")


def _fresh_code(session: Session) -> str:
    for _ in range(10):
        code = ap.new_tracking_code()
        if session.scalar(select(DisclosureRequest.id).where(DisclosureRequest.code == code)) is None:
            return code
    raise ConflictError("could not draw a free tracking code; try again")  # ~79 bits: never in practice


def organizations_for_requests(*, runtime: Runtime) -> list[dict[str, str | None]]:
    """The organisations a request may be sent to, by name (the public form's choice; English names too)."""
    with runtime.sessions() as session:
        return [{"id": slug, "name": name, "name_en": name_en} for slug, name, name_en in session.execute(
            select(Organization.slug, Organization.name, Organization.name_en).order_by(Organization.name))]


def find_request(session: Session, code: str) -> DisclosureRequest:
    """The request with this canonical code (NotFoundError otherwise)."""
    request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
    if request is None:
        raise NotFoundError(f"no request {code!r}")
    return request
