"""Disclosure changes: one path for catalog.yaml, the API, the command line and disclosure requests.

A change of a dataset's class (or legal basis) enters through :func:`open_disclosure_change`,
whatever asked for it. A move that **loosens** access (closed → conditional → unconditional) is
held as a *pending* change: the dataset keeps serving under its current class until the configured
review steps (``OPENDATA_REVIEW_STEPS``, the same steps, roles and separation of duties as a
version's review, :mod:`opendata.services.review`) are all taken; the last one applies it. A move
that **tightens** access, or a new legal basis within the same class, takes effect at once and
supersedes any pending loosening. The rules of a fitting legal basis are
:mod:`opendata.core.disclosure`'s. Every request, step, rejection and application is audited with
its source (``catalog.yaml@sha256:<hex>``, ``api``, ``cli`` or the caller's own, e.g.
``request:<id>`` for a disclosure request moved to proactive disclosure).

Callers inside their own transaction (catalogue sync, disclosure requests) call
:func:`open_disclosure_change` with their session, then, after commit and only when the returned
change is ``applied``, :func:`after_disclosure_applied`. The API and the command line call the
use cases at the bottom, which own their transaction and run that hook themselves.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from opendata.core import disclosure as rules
from opendata.core import lifecycle, vocab
from opendata.core.errors import ConflictError, NotFoundError, Problem, ValidationError
from opendata.core.textcheck import require_text
from opendata.services.access import (
    AuthenticationError,
    PermissionDeniedError,
    Viewer,
    is_staff_of,
    staff_organization_clause,
)
from opendata.services.audit import audit_record
from opendata.services.review import (
    SUBMIT,
    decision_person_key,
    may_take_step,
    next_step,
    parse_review_steps,
    person_key,
)
from opendata.services.runtime import Runtime
from opendata.services.search import reindex_search
from opendata.services.standards.bulk import rebuild_bulk_soon
from opendata.services.unit_of_work import reading, unit_of_work
from opendata.store.disclosure import DisclosureChange, DisclosureDecision
from opendata.store.models import ChangeRecord, Dataset, utcnow

log = logging.getLogger(__name__)
MAX_ID = 2**63  # ids beyond what the database holds name no change
MAX_REASON = 4000


def _invalid(problems: list[Problem]) -> ValidationError:
    fields = ", ".join(dict.fromkeys(p.path for p in problems if p.path))
    return ValidationError(f"invalid disclosure change: {fields}", problems=problems)


def check_disclosure_target(disclosure: str | None, legal_basis: str | None,
                            reason: str | None) -> tuple[str, str | None, str]:
    """The class key, legal basis and reason, or ValidationError naming each wrong field."""
    require_text(legal_basis, "legal_basis", multiline=True)  # stored text must survive every outward format
    require_text(reason, "reason", multiline=True)
    problems: list[Problem] = []
    key = rules.disclosure_key(disclosure)
    if key is None:
        problems.append(Problem("unknown-disclosure", f"unknown disclosure '{disclosure}' (one of "
                                f"{', '.join(vocab.keys('disclosure'))})", path="disclosure"))
    else:
        problems += rules.legal_basis_problems(key, legal_basis)
    reason = (reason or "").strip()
    if not reason:
        problems.append(Problem("reason-required", "say why the disclosure class changes", path="reason"))
    elif len(reason) > MAX_REASON:
        problems.append(Problem("reason-too-long", f"at most {MAX_REASON} characters", path="reason"))
    if problems:
        raise _invalid(problems)
    return key, (legal_basis or "").strip() or None, reason


def _require_requester(actor: Viewer, ds: Dataset) -> None:
    """Asking is for the organization's publishers and reviewers (with their scope) and administrators."""
    if actor.is_admin:
        return
    if actor.is_anonymous:
        raise AuthenticationError("authentication required")
    if not (actor.can_publish_for(ds.organization_id) or actor.can_review_for(ds.organization_id)):
        raise PermissionDeniedError(f"only publishers and reviewers of the organization of dataset "
                                    f"'{ds.identifier}' may ask to change its disclosure class")


def pending_change(session: Session, dataset_id: int) -> DisclosureChange | None:
    """The change of the dataset waiting for review, if any (there is at most one)."""
    return session.scalar(select(DisclosureChange).where(DisclosureChange.dataset_id == dataset_id,
                                                         DisclosureChange.state == rules.PENDING))


def rejected_change(session: Session, ds: Dataset, disclosure: str, legal_basis: str | None) -> DisclosureChange | None:
    """The dataset's newest change when it was this very move, rejected (sync does not ask again)."""
    newest = session.scalar(select(DisclosureChange).where(DisclosureChange.dataset_id == ds.id)
                            .order_by(DisclosureChange.id.desc()).limit(1))
    if newest is not None and newest.state == rules.REJECTED and (
            newest.from_disclosure, newest.from_legal_basis, newest.to_disclosure, newest.to_legal_basis) == (
            ds.disclosure, ds.legal_basis, disclosure, legal_basis):
        return newest
    return None


def _class_of(disclosure: str | None, legal_basis: str | None) -> dict[str, Any]:
    return {"disclosure": disclosure, "legal_basis": legal_basis}


def _close(session: Session, actor: Viewer, change: DisclosureChange, state: str, note: str, source: str) -> None:
    change.state, change.decided_at, change.decided_by, change.decision_note = state, utcnow(), actor.user, note
    session.flush()
    audit_record(session=session, actor=actor, action=f"disclosure-change-{state}", target_type="disclosure_change",
                 target_id=change.id, before={"state": rules.PENDING}, after={"state": state, "note": note},
                 source=source)


def _apply(session: Session, actor: Viewer, ds: Dataset, change: DisclosureChange, source: str) -> None:
    """Serve the dataset under the change's class from this transaction's commit on."""
    before = _class_of(ds.disclosure, ds.legal_basis)
    ds.disclosure, ds.legal_basis, ds.modified_at = change.to_disclosure, change.to_legal_basis, utcnow()
    session.add(ChangeRecord(dataset_id=ds.id, action="dataset-updated"))  # feeds and the search index follow
    session.flush()
    audit_record(session=session, actor=actor, action="dataset-disclosure-changed", target_type="dataset",
                 target_id=ds.identifier, before=before,
                 after={**_class_of(ds.disclosure, ds.legal_basis), "reason": change.reason, "change": change.id,
                        "requested_by": change.requested_by}, source=source)


def open_disclosure_change(*, session: Session, actor: Viewer, dataset: Dataset, disclosure: str | None,
                           legal_basis: str | None, reason: str | None, source: str) -> DisclosureChange | None:
    """Ask for a dataset's class (and legal basis): held for review when it loosens, applied at once otherwise.

    Returns the change: ``pending`` (the class served is unchanged until its last review step),
    ``applied`` (in force when the caller commits), ``superseded`` (the dataset already has that
    class and basis, and the pending change it had is withdrawn), or None (nothing to do). A pending
    change for the same move is returned as it is; any other pending change is superseded.
    """
    key, basis, reason = check_disclosure_target(disclosure, legal_basis, reason)
    _require_requester(actor, dataset)
    pending = pending_change(session, dataset.id)
    if pending is not None and (pending.to_disclosure, pending.to_legal_basis) == (key, basis):
        return pending
    if pending is not None:
        _close(session, actor, pending, rules.SUPERSEDED, f"superseded by a request from {source}", source)
    if (key, basis) == (dataset.disclosure, dataset.legal_basis):
        return pending
    loosens = rules.is_loosening(dataset.disclosure, key)
    change = DisclosureChange(
        dataset_id=dataset.id, from_disclosure=dataset.disclosure, from_legal_basis=dataset.legal_basis,
        to_disclosure=key, to_legal_basis=basis, reason=reason, source=source[:200],
        state=rules.PENDING if loosens else rules.APPLIED, requested_by=actor.user or "anonymous",
        requested_user_id=actor.user_id)
    if not loosens:
        change.decided_at, change.decided_by, change.decision_note = utcnow(), actor.user, "tightens: in force at once"
    session.add(change)
    try:
        session.flush()
    except IntegrityError:  # another request for this dataset was committed meanwhile
        raise ConflictError(f"another disclosure change of dataset '{dataset.identifier}' was just requested; "
                            "look at it and try again") from None
    audit_record(session=session, actor=actor, action="disclosure-change-requested", target_type="dataset",
                 target_id=dataset.identifier, before=_class_of(change.from_disclosure, change.from_legal_basis),
                 after={**_class_of(key, basis), "reason": reason, "change": change.id, "state": change.state},
                 source=source)
    if not loosens:
        _apply(session, actor, dataset, change, source)
    return change


def get_change(session: Session, viewer: Viewer, change_id: int) -> DisclosureChange:
    """A change the viewer may see (its organization's staff), else NotFoundError as for a missing one."""
    change = session.get(DisclosureChange, change_id) if 0 < change_id < MAX_ID else None
    if change is None or not is_staff_of(viewer, change.dataset.organization_id):
        raise NotFoundError(f"disclosure change {change_id} does not exist")
    return change


def _require_pending(change: DisclosureChange) -> None:
    if change.state != rules.PENDING:
        raise ConflictError(f"disclosure change {change.id} is {change.state}, not pending")


def take_step(*, session: Session, viewer: Viewer, change_id: int, step: str, note: str | None,
              steps: tuple[str, ...]) -> DisclosureChange:
    """Take the next review step of a pending change; the last step applies it."""
    change = get_change(session, viewer, change_id)
    ds = change.dataset
    if step not in steps:
        raise _invalid([Problem("unknown-step", f"unknown step '{step}'; the steps are {', '.join(steps)}",
                                path="step")])
    viewer.require_scope("publish" if step == SUBMIT else "review")
    if not may_take_step(viewer, ds, step):
        who = "publishers" if step == SUBMIT else "reviewers"
        raise PermissionDeniedError(f"step '{step}' is for {who} of the dataset's organization")
    _require_pending(change)
    expected = next_step(steps, change.decisions)
    if step != expected:
        raise ConflictError(f"the next step of disclosure change {change.id} is '{expected}', not '{step}'")
    mine = [d.step for d in change.decisions if d.outcome == "done" and decision_person_key(d) == person_key(viewer)]
    if mine:
        raise PermissionDeniedError(f"separation of duties: you already took step '{mine[0]}' of this change; "
                                    f"another person must take '{step}'")
    note = (note or "").strip() or None
    change.decisions.append(DisclosureDecision(step=step, outcome="done", actor=viewer.user or "anonymous",
                                               user_id=viewer.user_id, note=note))
    session.flush()
    audit_record(session=session, actor=viewer, action="disclosure-review-step", target_type="disclosure_change",
                 target_id=change.id, after={"step": step, "note": note, "dataset": ds.identifier})
    if step == steps[-1]:
        if (ds.disclosure, ds.legal_basis) != (change.from_disclosure, change.from_legal_basis):
            raise ConflictError(f"dataset '{ds.identifier}' changed class since change {change.id} was asked for")
        change.state, change.decided_at, change.decided_by = rules.APPROVED, utcnow(), viewer.user
        change.decision_note = note or f"approved at review step '{step}'"
        _apply(session, viewer, ds, change, change.source)
    return change


def reject(*, session: Session, viewer: Viewer, change_id: int, reason: str | None) -> DisclosureChange:
    """Reject a pending change with a reason (reviewers of the organization, administrators)."""
    change = get_change(session, viewer, change_id)
    viewer.require_scope("review")
    if not viewer.can_review_for(change.dataset.organization_id):
        raise PermissionDeniedError("rejecting is for reviewers of the dataset's organization")
    _require_pending(change)
    reason = (reason or "").strip()
    if not reason:
        raise _invalid([Problem("reason-required", "say why the change is rejected", path="reason")])
    change.decisions.append(DisclosureDecision(step="reject", outcome="rejected", actor=viewer.user or "anonymous",
                                               user_id=viewer.user_id, note=reason))
    _close(session, viewer, change, rules.REJECTED, reason, change.source)
    return change


def change_dict(change: DisclosureChange, viewer: Viewer, steps: tuple[str, ...]) -> dict[str, Any]:
    """A change as the API and the command line show it, with the next step and whether the viewer may take it."""
    ds = change.dataset
    step = next_step(steps, change.decisions) if change.state == rules.PENDING else None
    return {
        "id": change.id, "dataset": ds.identifier, "title": ds.title, "organization": ds.organization.slug,
        "from": _class_of(change.from_disclosure, change.from_legal_basis),
        "to": _class_of(change.to_disclosure, change.to_legal_basis),
        "loosens": rules.is_loosening(change.from_disclosure, change.to_disclosure),
        "reason": change.reason, "state": change.state, "source": change.source,
        "requested_by": change.requested_by, "requested_at": change.created_at.isoformat(),
        "decided_by": change.decided_by, "decided_at": change.decided_at.isoformat() if change.decided_at else None,
        "decision_note": change.decision_note,
        "steps": {"configured": list(steps), "next": step,
                  "you_may_act": step is not None and may_take_step(viewer, ds, step)},
        "decisions": [{"step": d.step, "outcome": d.outcome, "actor": d.actor, "at": d.at.isoformat(),
                       "note": d.note} for d in change.decisions],
    }


def after_disclosure_applied(*, runtime: Runtime, dataset_id: int) -> None:
    """After commit: the search index and bulk archives follow the class in force (failures only logged).

    Reads never depend on this: access is decided from the database on every request, and the bulk
    archives are rebuilt on read when what they hold no longer matches what is served.
    """
    try:
        reindex_search(runtime=runtime, dataset_ids=[dataset_id])
        rebuild_bulk_soon(runtime=runtime)
    except Exception:
        log.exception("could not refresh derived data after the disclosure change of dataset %s", dataset_id)


# -- use cases for the API and the command line (each owns its transaction) ----------------------------
def _steps(runtime: Runtime) -> tuple[str, ...]:
    return parse_review_steps(runtime.config.REVIEW_STEPS)


def _finish(runtime: Runtime, viewer: Viewer, change_id: int, applied_to: int | None) -> dict[str, Any]:
    if applied_to is not None:
        after_disclosure_applied(runtime=runtime, dataset_id=applied_to)
    with reading(runtime) as session:
        return change_dict(get_change(session, viewer, change_id), viewer, _steps(runtime))


def request_disclosure_change(*, runtime: Runtime, viewer: Viewer, identifier: str, disclosure: str | None,
                              legal_basis: str | None, reason: str | None, source: str = "api") -> dict[str, Any]:
    """Ask for a new class: the change as a dict (``state`` pending or applied); 409 when nothing would change."""
    with unit_of_work(runtime) as session:
        ds = session.scalar(select(Dataset).where(Dataset.identifier == identifier))
        if ds is None or (ds.state != lifecycle.DATASET_ACTIVE and not viewer.is_admin):
            raise NotFoundError(f"dataset '{identifier}' does not exist")
        change = open_disclosure_change(session=session, actor=viewer, dataset=ds, disclosure=disclosure,
                                        legal_basis=legal_basis, reason=reason, source=source)
        if change is None:
            raise ConflictError(f"dataset '{identifier}' is already {ds.disclosure} with this legal basis")
        change_id, applied = change.id, ds.id if change.state == rules.APPLIED else None
    return _finish(runtime, viewer, change_id, applied)


def take_disclosure_step(*, runtime: Runtime, viewer: Viewer, change_id: int, step: str,
                         note: str | None = None) -> dict[str, Any]:
    """Take a review step of a pending change (the last one applies it)."""
    with unit_of_work(runtime) as session:
        change = take_step(session=session, viewer=viewer, change_id=change_id, step=step, note=note,
                           steps=_steps(runtime))
        applied = change.dataset_id if change.state == rules.APPROVED else None
    return _finish(runtime, viewer, change_id, applied)


def reject_disclosure_change(*, runtime: Runtime, viewer: Viewer, change_id: int, reason: str | None) -> dict[str, Any]:
    """Reject a pending change with a reason."""
    with unit_of_work(runtime) as session:
        reject(session=session, viewer=viewer, change_id=change_id, reason=reason)
    return _finish(runtime, viewer, change_id, None)


def show_disclosure_change(*, runtime: Runtime, viewer: Viewer, change_id: int) -> dict[str, Any]:
    """One change (its organization's staff only; 404 otherwise)."""
    return _finish(runtime, viewer, change_id, None)


def list_disclosure_changes(*, runtime: Runtime, viewer: Viewer, state: str | None = rules.PENDING,
                            dataset: str | None = None) -> list[dict[str, Any]]:
    """Changes of the organizations the viewer is staff of, oldest first (``state`` None: every state)."""
    if state is not None and state not in rules.CHANGE_STATES:
        raise _invalid([Problem("unknown-state", f"state must be one of {', '.join(rules.CHANGE_STATES)}",
                                path="state")])
    # a value with a character no stored text holds cannot match; PostgreSQL would refuse a NUL outright
    require_text(dataset, "dataset", multiline=True)
    steps = _steps(runtime)
    query = (select(DisclosureChange).join(Dataset, Dataset.id == DisclosureChange.dataset_id)
             .where(staff_organization_clause(viewer, Dataset.organization_id))
             .options(selectinload(DisclosureChange.dataset).selectinload(Dataset.organization),
                      selectinload(DisclosureChange.decisions))
             .order_by(DisclosureChange.id))
    if state is not None:
        query = query.where(DisclosureChange.state == state)
    if dataset is not None:
        query = query.where(Dataset.identifier == dataset)
    with reading(runtime) as session:
        return [change_dict(c, viewer, steps) for c in session.scalars(query)]
