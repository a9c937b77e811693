"""Deciding a request: one outcome of the 2021 template, the legal basis when anything is withheld,
and the reply (text and named attachments) sealed with a sha256 and never changed.

A data-access application decided 予以公开 or 部分公开 gives the applicant's account an access grant
to the dataset for the period asked (or until ``grant_until``), through the grants service. A
部分公开 may name masked or dropped columns of the dataset: the grant then withholds them (a partial
grant reaches the other columns through the row query API, never the files, which hold every
column; opendata.core.rowquery.withhold), and staff may attach an extract with the masked values.
A primary-key column cannot be withheld from a grant (the row order would carry it): such a
decision delivers its extract as an attachment and gives no grant.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import select

from opendata.core.errors import ConflictError, Problem
from opendata.core.requests import applicant as ap
from opendata.core.requests import states
from opendata.core.requests.vocab import (
    AUTOMATIC_OUTCOMES,
    GRANTING_OUTCOMES,
    OUTCOME_BY_KEY,
    OUTCOMES,
)
from opendata.services.access import Viewer
from opendata.services.grants import grant_for_application
from opendata.services.requests import notices, timeline
from opendata.services.requests.handling import resume_clock
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.staff import handled_request
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.requests import DisclosureRequest, RequestAttachment, RequestReply

REPLY_MAX = 50_000
WITHHELD_KINDS = ("masked", "dropped")


def reply_sha256(text: str, attachments: list[RequestAttachment]) -> str:
    """The seal of a reply: sha256 of its canonical JSON (text, then each attachment's name, size, sha256)."""
    document = {"text": text, "attachments": [{"filename": a.filename, "bytes": a.bytes, "sha256": a.sha256}
                                              for a in attachments]}
    canonical = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def decide_request(*, runtime: Runtime, policy: RequestPolicy, viewer: Viewer, code: str, outcome: str, reply: str,
                   legal_basis: str | None = None, attachment_ids: list[int] | None = None,
                   withheld_columns: dict[str, list[str]] | None = None, grant_until: date | None = None,
                   now: datetime | None = None) -> DisclosureRequest:
    """Close the request with its outcome and reply (staff of the receiving organisation)."""
    now = now or utcnow()
    term = OUTCOME_BY_KEY.get(outcome or "")
    if term is None:
        raise ap.invalid("outcome", f"outcome must be one of {', '.join(o.key for o in OUTCOMES)}")
    if outcome in AUTOMATIC_OUTCOMES:
        raise ap.invalid("outcome", f"{outcome} follows from a missed correction or an unpaid fee; the deadline "
                         "sweep sets it, staff do not choose it")
    reply = ap.check_text(reply, "reply", required=True, max_length=REPLY_MAX, multiline=True)
    legal_basis = ap.check_text(legal_basis, "legal_basis", required=term.withholds, max_length=2000, multiline=True)
    with transaction(runtime.sessions) as session:
        request = handled_request(session, viewer, code)
        if request.state == states.PAUSED:  # a decision ends the consultation on its day
            resume_clock(session, request, policy, viewer, policy.today(now), note=None, now=now)
        states.next_state(request.state, "decide")  # a closed request is refused before anything else
        attachments = _attachments(session, request, attachment_ids or [])
        columns = _withheld(request, outcome, withheld_columns)
        withheld_keys = sorted(_primary_key(request) & {c for names in columns.values() for c in names})
        grants = request.kind == "data-access" and outcome in GRANTING_OUTCOMES and not withheld_keys
        if withheld_keys and not attachments:
            raise ap.invalid("attachment_ids", f"column {withheld_keys[0]!r} is the primary key: a grant cannot "
                             "withhold it (the row order tells it), so deliver the permitted extract as an "
                             "attachment")
        expires = _grant_expiry(request, policy, grant_until, now) if grants else None
        before = timeline.move(request, "decide")
        request.outcome, request.legal_basis, request.decided_at = outcome, legal_basis, now
        request.withheld_columns = columns or None
        seal = reply_sha256(reply, attachments)
        session.add(RequestReply(request_id=request.id, text=reply, attachment_ids=[a.id for a in attachments],
                                 sha256=seal, created_by=timeline.actor_name(viewer), created_at=now))
        session.flush()
        if grants:
            grant = grant_for_application(session=session, actor=viewer, request_id=request.id, expires_at=expires,
                                          now=now, withheld=sorted({c for names in columns.values() for c in names}))
            timeline.record(session, request, viewer, "access-granted", at=now,
                            data={"dataset": request.dataset.identifier, "until": grant.expires_at,
                                  "withheld_columns": grant.withheld_columns})
        timeline.record(session, request, viewer, "decided", before_state=before, at=now, text=legal_basis,
                        data={"outcome": outcome, "row": term.row, "reply_sha256": seal,
                              "attachments": [a.id for a in attachments], "withheld_columns": columns or None})
        notices.notify_decided(session, policy, request)
        return request


def _attachments(session, request: DisclosureRequest, ids: list[int]) -> list[RequestAttachment]:
    if len(set(ids)) != len(ids):
        raise ap.invalid("attachment_ids", "an attachment is named twice")
    found = {a.id: a for a in session.scalars(select(RequestAttachment).where(
        RequestAttachment.request_id == request.id, RequestAttachment.id.in_(ids)))} if ids else {}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ap.invalid("attachment_ids", f"request has no attachment {missing[0]}", "not-found")
    return [found[i] for i in ids]


def _withheld(request: DisclosureRequest, outcome: str, given: dict[str, list[str]] | None) -> dict[str, list[str]]:
    """Masked and dropped columns of a partial decision, each a field of the dataset's schema."""
    if not given or not any(given.values()):
        return {}
    if outcome != "partial":
        raise ap.invalid("withheld_columns", "columns are withheld only by a partial decision (部分公开)")
    if request.dataset is None:
        raise ap.invalid("withheld_columns", "the request is not about a dataset, so it has no columns")
    fields = {f["name"] for f in request.dataset.table_schema.descriptor.get("fields", [])}
    out: dict[str, list[str]] = {}
    for kind, names in given.items():
        if kind not in WITHHELD_KINDS:
            raise ap.invalid("withheld_columns", f"withheld columns are {' or '.join(WITHHELD_KINDS)}, not {kind!r}")
        unknown = [n for n in names if n not in fields]
        if unknown:
            raise ap.invalid("withheld_columns", f"dataset {request.dataset.identifier!r} has no column "
                             f"{unknown[0]!r}", "unknown-column")
        if names:
            out[kind] = list(dict.fromkeys(names))
    both = set(out.get("masked", ())) & set(out.get("dropped", ()))
    if both:
        raise ap.invalid("withheld_columns", f"column {sorted(both)[0]!r} is both masked and dropped")
    return out


def _primary_key(request: DisclosureRequest) -> set[str]:
    """The primary-key columns of the request's dataset (Table Schema allows one name or a list)."""
    if request.dataset is None:
        return set()
    key = request.dataset.table_schema.descriptor.get("primaryKey") or []
    return {key} if isinstance(key, str) else set(key)


def _grant_expiry(request: DisclosureRequest, policy: RequestPolicy, until: date | None, now: datetime) -> datetime:
    """The end of the last day of the period (or of ``until``), in the offices' time zone."""
    last = until or request.period_end
    if last is None or last <= policy.today(now):
        raise ConflictError("the access period has ended; give grant_until, a later last day",
                            problems=[Problem("period-ended", "give grant_until", path="grant_until")])
    return datetime.combine(last, time(23, 59, 59), tzinfo=policy.timezone)


def reply_document(request: DisclosureRequest) -> dict[str, Any] | None:
    """The reply as shown to the applicant and staff (None before the decision)."""
    if request.reply is None:
        return None
    names = {a.id: a for a in request.attachments}
    return {"text": request.reply.text, "sha256": request.reply.sha256, "created_at": request.reply.created_at,
            "attachments": [{"id": i, "filename": names[i].filename, "media_type": names[i].media_type,
                             "bytes": names[i].bytes, "sha256": names[i].sha256} for i in request.reply.attachment_ids]}
