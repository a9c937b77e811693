"""Review before publishing (三审): configured steps, PII resolutions, rejection, explicit publish.

A version that passed validation (awaiting review) goes through the steps of
``OPENDATA_REVIEW_STEPS`` (default ``submit,review,approve``) in order. A step named ``submit``
is taken by a publisher of the dataset's organization, every other step by a reviewer of it (an
administrator may take any). Separation of duties: one person may not take two different steps
of the same version. Every personal-information finding must be resolved (mask, drop, or confirm
lawful with a reason) before the last step, which publishes: masked or dropped columns are first
re-derived from the stored source (:mod:`opendata.services.review_outputs`). A reviewer may reject
at any step with a reason. Every write is audited; a version the caller may not review answers
the same NotFoundError as one that does not exist.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from opendata.core import lifecycle, vocab
from opendata.core.errors import ConflictError, NotFoundError, Problem, ValidationError
from opendata.core.textcheck import require_text
from opendata.services.access import (
    PermissionDeniedError,
    Viewer,
    is_staff_of,
    staff_organization_clause,
)
from opendata.services.audit import audit_record
from opendata.services.publication import (
    after_withdraw,
    lock_version,
    move_version,
    publish_prepared,
    unresolved_pii,
    withdraw_version,
)
from opendata.services.review_outputs import prepare_outputs
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.models import Dataset, Version
from opendata.store.review import MASK_METHODS, RESOLUTION_ACTIONS, PiiResolution, ReviewDecision

SUBMIT = "submit"
_STEP_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")
MAX_KEEP = 32


def parse_review_steps(text: str) -> tuple[str, ...]:
    """The configured steps, in order (ValidationError for an empty list, bad or repeated names)."""
    steps = tuple(s.strip() for s in (text or "").split(",") if s.strip())
    bad = [s for s in steps if not _STEP_NAME.match(s) or s in ("reject", "reprocess")]
    if not steps or bad or len(set(steps)) != len(steps):
        raise ValidationError("OPENDATA_REVIEW_STEPS must list distinct lowercase step names, e.g. "
                              "'submit,review,approve'", problems=[Problem("validation-error", text, path="REVIEW_STEPS")])
    return steps


def _invalid(path: str, message: str) -> ValidationError:
    return ValidationError(f"invalid {path}: {message}", problems=[Problem("validation-error", message, path=path)])


def person_key(viewer: Viewer) -> str:
    """Who is acting, for separation of duties: the user account (two tokens of one user are one person)."""
    return f"user:{viewer.user_id}" if viewer.user_id is not None else f"name:{viewer.user}"


def decision_person_key(d: Any) -> str:
    """Who took a recorded step (a version's or a disclosure change's), as :func:`person_key` says it."""
    return f"user:{d.user_id}" if d.user_id is not None else f"name:{d.actor}"


def _may_see(viewer: Viewer, ds: Dataset) -> bool:
    """The organization's staff (publishers, reviewers, administrators), as for unpublished versions."""
    return is_staff_of(viewer, ds.organization_id)


def get_review_version(session: Session, viewer: Viewer, identifier: str, number: int) -> Version:
    """The version, if the viewer reviews or publishes for its organization (NotFoundError otherwise)."""
    version = session.scalar(select(Version).join(Dataset).where(
        Dataset.identifier == identifier, Version.number == number).options(selectinload(Version.dataset)))
    if version is None or not _may_see(viewer, version.dataset):
        raise NotFoundError(f"dataset '{identifier}' has no version {number} to review")
    return version


def _decisions(session: Session, version_id: int) -> list[ReviewDecision]:
    return list(session.scalars(select(ReviewDecision).where(ReviewDecision.version_id == version_id)
                                .order_by(ReviewDecision.id)))


def _resolutions(session: Session, version_id: int) -> list[PiiResolution]:
    return list(session.scalars(select(PiiResolution).where(PiiResolution.version_id == version_id)
                                .order_by(PiiResolution.id)))


def _done_steps(decisions: list[Any]) -> list[Any]:
    return [d for d in decisions if d.outcome == "done"]


def next_step(steps: tuple[str, ...], decisions: list[Any]) -> str | None:
    """The first configured step not yet taken (None when every step is done)."""
    done = {d.step for d in _done_steps(decisions)}
    return next((s for s in steps if s not in done), None)


def may_take_step(viewer: Viewer, ds: Dataset, step: str) -> bool:
    """``submit`` is for the dataset organization's publishers, every other step for its reviewers."""
    if step == SUBMIT:
        return viewer.can_publish_for(ds.organization_id)
    return viewer.can_review_for(ds.organization_id)


def _may_take_next(viewer: Viewer, ds: Dataset, step: str | None, decisions: list[ReviewDecision]) -> bool:
    """True when ``step`` is the viewer's to take now: their role allows it and they took no other step."""
    return step is not None and may_take_step(viewer, ds, step) and not any(
        decision_person_key(d) == person_key(viewer) for d in _done_steps(decisions))


def _require_reviewer(viewer: Viewer, ds: Dataset) -> None:
    viewer.require_scope("review")
    if not viewer.can_review_for(ds.organization_id):
        raise PermissionDeniedError(f"you do not review for the organization of dataset '{ds.identifier}'")


def _require_preparer(viewer: Viewer, ds: Dataset) -> None:
    """Publishers and reviewers of the dataset's organization (with the scope of their role)."""
    if viewer.can_publish_for(ds.organization_id) or viewer.can_review_for(ds.organization_id):
        return
    viewer.require_scope("review")
    raise PermissionDeniedError(f"you neither publish nor review for the organization of dataset '{ds.identifier}'")


def _require_awaiting(version: Version) -> None:
    if version.state != lifecycle.AWAITING_REVIEW:
        raise ConflictError(f"version {version.number} of {version.dataset.identifier} is {version.state}, "
                            "not awaiting review")


def _version_ref(version: Version) -> str:
    return f"{version.dataset.identifier}/{version.number}"


def _check_step(session: Session, viewer: Viewer, version: Version, step: str,
                steps: tuple[str, ...]) -> list[ReviewDecision]:
    """Who may take ``step`` now: the next one, by someone entitled who took no other step."""
    if step not in steps:
        raise _invalid("step", f"unknown step '{step}'; the steps are {', '.join(steps)}")
    viewer.require_scope("publish" if step == SUBMIT else "review")
    if not may_take_step(viewer, version.dataset, step):
        who = "publishers" if step == SUBMIT else "reviewers"
        raise PermissionDeniedError(f"step '{step}' is for {who} of the dataset's organization")
    _require_awaiting(version)
    lock_version(session, version)  # two reviewers at once: the second sees the first one's step
    decisions = _decisions(session, version.id)
    expected = next_step(steps, decisions)
    if step != expected:
        raise ConflictError(f"the next step of version {version.number} is '{expected}', not '{step}'")
    mine = [d.step for d in _done_steps(decisions) if decision_person_key(d) == person_key(viewer)]
    if mine:
        raise PermissionDeniedError(f"separation of duties: you already took step '{mine[0]}' of this version; "
                                    f"another person must take '{step}'")
    return decisions


def _add_decision(session: Session, viewer: Viewer, version: Version, step: str, outcome: str,
                  note: str | None) -> ReviewDecision:
    decision = ReviewDecision(version_id=version.id, step=step, outcome=outcome, actor=viewer.user or "anonymous",
                              user_id=viewer.user_id, note=note)
    session.add(decision)
    session.flush()
    audit_record(session=session, actor=viewer, action=f"review-{outcome if outcome != 'done' else 'step'}",
                 target_type="version", target_id=_version_ref(version),
                 after={"step": step, "outcome": outcome, "note": note})
    return decision


def review_step(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int, step: str,
                note: str | None = None) -> dict[str, Any]:
    """Take one review step; the last one publishes (after re-deriving masked outputs)."""
    steps = parse_review_steps(runtime.config.REVIEW_STEPS)
    note = (note or "").strip() or None
    require_text(note, "note", multiline=True)
    with transaction(runtime.sessions) as session:
        version = get_review_version(session, viewer, identifier, number)
        _check_step(session, viewer, version, step, steps)
        if step != steps[-1]:
            _add_decision(session, viewer, version, step, "done", note)
            return review_view(session=session, viewer=viewer, version=version, steps=steps)
        _require_resolved(version)
        version_id = version.id
    prepared = prepare_outputs(runtime=runtime, version_id=version_id)

    def final(session: Session, version: Version) -> None:
        _check_step(session, viewer, version, step, steps)  # again: someone may have acted meanwhile
        _add_decision(session, viewer, version, step, "done", note)

    publish_prepared(runtime=runtime, viewer=viewer, version_id=version_id, prepared=prepared, before=final,
                     note=note or f"approved at review step '{step}'")
    with runtime.sessions() as session:
        version = session.get(Version, version_id)
        return review_view(session=session, viewer=viewer, version=version, steps=steps)


def _require_resolved(version: Version) -> None:
    unresolved = int((version.pii or {}).get("unresolved", 0) or 0)
    if unresolved:
        raise ConflictError(f"{unresolved} personal-information finding(s) of version {version.number} are "
                            "unresolved: mask, drop or confirm each before approval")


def review_reject(*, session: Session, viewer: Viewer, identifier: str, number: int, reason: str) -> Version:
    """Reject a version awaiting review, with a reason (reviewers of its organization)."""
    version = get_review_version(session, viewer, identifier, number)
    _require_reviewer(viewer, version.dataset)
    _require_awaiting(version)
    reason = (reason or "").strip()
    require_text(reason, "reason", multiline=True)
    if not reason:
        raise _invalid("reason", "say why the version is rejected")
    move_version(session, version, lifecycle.REJECTED, viewer.user or "anonymous", reason)
    _add_decision(session, viewer, version, "reject", "rejected", reason)
    return version


def resolve_finding(*, session: Session, viewer: Viewer, identifier: str, number: int, field: str, kind: str,
                    action: str, method: str | None = None, keep_first: int | None = None,
                    keep_last: int | None = None, reason: str | None = None) -> dict[str, Any]:
    """Resolve one PII finding: ``mask`` (hash or partial) or ``drop`` its column, or ``confirm`` it lawful.

    The organization's publishers (who prepare the version, before they submit it) and reviewers
    may; the resolution is audited and shown to every later step, which can still reject.
    """
    version = get_review_version(session, viewer, identifier, number)
    _require_preparer(viewer, version.dataset)
    _require_awaiting(version)
    pii = dict(version.pii or {"findings": [], "counts": {}, "unresolved": 0})
    findings = [dict(f) for f in pii.get("findings", [])]
    targets = [f for f in findings if f["fieldName"] == field and f["kind"] == kind]
    if not targets:
        raise NotFoundError(f"version {number} has no finding of kind '{kind}' in field '{field}'")
    if all(f.get("resolved") for f in targets):
        raise ConflictError(f"the finding '{kind}' in field '{field}' is already resolved ({targets[0]['resolution']})")
    rule = _resolution_rule(action, method, keep_first, keep_last, reason)
    # A finding is one kind in one field (by its values and by its header); mask and drop act on the column.
    affected = [f for f in findings if not f.get("resolved") and f["fieldName"] == field
                and (action != "confirm" or f["kind"] == kind)]
    text = _resolution_text(rule, viewer)
    for f in affected:
        f["resolved"], f["resolution"] = True, text
    for affected_kind in dict.fromkeys(f["kind"] for f in affected):
        session.add(PiiResolution(version_id=version.id, field_name=field, kind=affected_kind,
                                  actor=viewer.user or "anonymous", user_id=viewer.user_id, **rule))
    pii["findings"] = findings
    pii["unresolved"] = sum(1 for f in findings if not f.get("resolved"))
    version.pii = pii
    session.flush()
    audit_record(session=session, actor=viewer, action="pii-resolved", target_type="version",
                 target_id=_version_ref(version),
                 after={"field": field, "kinds": sorted({f["kind"] for f in affected}), **rule,
                        "unresolved": pii["unresolved"]})
    return {"field": field, "kinds": sorted({f["kind"] for f in affected}), "resolution": text,
            "unresolved": pii["unresolved"]}


def _resolution_rule(action: str, method: str | None, keep_first: int | None, keep_last: int | None,
                     reason: str | None) -> dict[str, Any]:
    if action not in RESOLUTION_ACTIONS:
        raise _invalid("action", f"use one of {', '.join(RESOLUTION_ACTIONS)}")
    reason = (reason or "").strip() or None
    require_text(reason, "reason", multiline=True)
    if action == "confirm":
        if reason is None:
            raise _invalid("reason", "confirming a finding lawful needs the reason (legal basis or consent)")
        return {"action": "confirm", "mask_method": None, "keep_first": None, "keep_last": None, "reason": reason}
    if action == "drop":
        return {"action": "drop", "mask_method": None, "keep_first": None, "keep_last": None, "reason": reason}
    if method not in MASK_METHODS:
        raise _invalid("method", f"a mask needs a method: {', '.join(MASK_METHODS)}")
    first, last = (keep_first or 0, keep_last or 0) if method == "partial" else (None, None)
    for name, value in (("keepFirst", first), ("keepLast", last)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_KEEP):
            raise _invalid(name, f"must be an integer from 0 to {MAX_KEEP}")
    return {"action": "mask", "mask_method": method, "keep_first": first, "keep_last": last, "reason": reason}


def _resolution_text(rule: dict[str, Any], viewer: Viewer) -> str:
    who = viewer.user or "anonymous"
    if rule["action"] == "mask" and rule["mask_method"] == "partial":
        what = f"mask: partial (keep first {rule['keep_first']}, last {rule['keep_last']})"
    elif rule["action"] == "mask":
        what = "mask: hash"
    elif rule["action"] == "drop":
        what = "drop: column removed"
    else:
        what = f"confirmed lawful: {rule['reason']}"
    return f"{what} (by {who})"


def version_publish(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int,
                    note: str | None = None) -> dict[str, Any]:
    """Publish a version awaiting review at once (administrators; findings must still be resolved)."""
    viewer.require_admin()
    require_text(note, "note", multiline=True)
    with transaction(runtime.sessions) as session:
        version = get_review_version(session, viewer, identifier, number)
        _require_awaiting(version)
        _require_resolved(version)
        version_id = version.id
    prepared = prepare_outputs(runtime=runtime, version_id=version_id)
    publish_prepared(runtime=runtime, viewer=viewer, version_id=version_id, prepared=prepared,
                     note=(note or "").strip() or "published by an administrator")
    with runtime.sessions() as session:
        return {"dataset": identifier, "number": number, "state": session.get(Version, version_id).state}


def version_withdraw(*, runtime: Runtime, viewer: Viewer, identifier: str, number: int,
                     reason: str) -> dict[str, Any]:
    """Withdraw a published or waiting version with a reason (its publishers, reviewers, administrators)."""
    reason = (reason or "").strip()
    require_text(reason, "reason", multiline=True)
    if not reason:
        raise _invalid("reason", "say why the version is withdrawn")
    with transaction(runtime.sessions) as session:
        version = get_review_version(session, viewer, identifier, number)
        viewer.require_scope("publish" if viewer.can_publish_for(version.dataset.organization_id) else "review")
        before = version.state
        withdraw_version(session=session, version_id=version.id, actor=viewer.user or "anonymous", reason=reason)
        audit_record(session=session, actor=viewer, action="version-withdrawn", target_type="version",
                     target_id=_version_ref(version), before={"state": before},
                     after={"state": version.state, "reason": reason})
        version_id = version.id
    after_withdraw(runtime=runtime, version_id=version_id)
    return {"dataset": identifier, "number": number, "state": lifecycle.WITHDRAWN}


# -- what reviewers see -----------------------------------------------------------------------------
def review_queue(*, session: Session, viewer: Viewer, steps: tuple[str, ...]) -> list[dict[str, Any]]:
    """Versions awaiting review in the organizations the viewer reviews or publishes for, oldest first."""
    viewer.require_scope("read")
    query = select(Version).join(Dataset).where(Version.state == lifecycle.AWAITING_REVIEW).options(
        selectinload(Version.dataset).selectinload(Dataset.organization)).order_by(Version.created_at, Version.id)
    query = query.where(staff_organization_clause(viewer, Dataset.organization_id))
    out = []
    for v in session.scalars(query):
        if not _may_see(viewer, v.dataset):
            continue
        decisions = _decisions(session, v.id)
        step = next_step(steps, decisions)
        out.append({"dataset": v.dataset.identifier, "title": v.dataset.title, "number": v.number,
                    "organization": v.dataset.organization.slug, "created": v.created_at.isoformat(),
                    "created_by": v.created_by, "row_count": v.row_count,
                    "unresolved_pii": unresolved_pii(v),
                    "steps_done": [d.step for d in _done_steps(decisions)], "next_step": step,
                    "you_may_act": _may_take_next(viewer, v.dataset, step, decisions)})
    return out


def review_view(*, session: Session, viewer: Viewer, version: Version, steps: tuple[str, ...]) -> dict[str, Any]:
    """What a reviewer sees: report summary, PII findings (masked samples), steps and resolutions."""
    ds = version.dataset
    decisions = _decisions(session, version.id)
    step = next_step(steps, decisions) if version.state == lifecycle.AWAITING_REVIEW else None
    term = vocab.lookup("disclosure", ds.disclosure)
    return {
        "dataset": {"id": ds.identifier, "title": ds.title, "organization": ds.organization.slug,
                    "disclosure": {"key": ds.disclosure, "name": term.zh if term else ds.disclosure},
                    "legal_basis": ds.legal_basis},
        "version": {"number": version.number, "state": version.state, "created": version.created_at.isoformat(),
                    "created_by": version.created_by, "source_filename": version.source_filename,
                    "row_count": version.row_count},
        "report": report_summary(version.report),
        "pii": {"findings": list((version.pii or {}).get("findings", [])),
                "unresolved": int((version.pii or {}).get("unresolved", 0) or 0)},
        "steps": {"configured": list(steps), "next": step,
                  "you_may_act": _may_take_next(viewer, ds, step, decisions)},
        "decisions": [{"step": d.step, "outcome": d.outcome, "actor": d.actor, "at": d.at.isoformat(),
                       "note": d.note} for d in decisions],
        "resolutions": [{"field": r.field_name, "kind": r.kind, "action": r.action, "method": r.mask_method,
                         "keepFirst": r.keep_first, "keepLast": r.keep_last, "reason": r.reason,
                         "actor": r.actor, "at": r.at.isoformat()} for r in _resolutions(session, version.id)],
    }


def report_summary(report: dict[str, Any] | None, max_errors: int = 20) -> dict[str, Any]:
    """The validation report in brief: validity, statistics, error counts by type, first errors, warnings."""
    report = report or {}
    tasks = report.get("tasks") or [{}]
    errors = list(report.get("errors", [])) + [e for t in tasks for e in t.get("errors", [])]
    by_type: dict[str, int] = {}
    for e in errors:
        by_type[e.get("type", "error")] = by_type.get(e.get("type", "error"), 0) + 1
    return {"valid": bool(report.get("valid")), "stats": tasks[0].get("stats") or report.get("stats") or {},
            "error_counts": by_type, "errors": errors[:max_errors],
            "warnings": list(tasks[0].get("warnings", []))[:max_errors]}
