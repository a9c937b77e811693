"""Review (三审) and personal-information findings: the queue, a version's review page, its findings.

Every decision is the review service's (the same as the API's /api/v1/review): steps in the
configured order, one person per step (separation of duties), findings resolved before the last
step, rejection with a reason, all audited.
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from opendata.core.errors import ValidationError
from opendata.services.review import review_step
from opendata.services.review_cases import (
    reject_version,
    resolve_pii_finding,
    review_queue_of,
    review_view_of,
)
from opendata.services.review_diff import pending_diff
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.console.problems import attach_problems
from opendata.web.console.review_forms import RejectForm, ResolveForm, StepForm
from opendata.web.context import runtime


@blp.get("/review")
def review_queue():
    """Versions waiting for a review step in the user's organizations, oldest first."""
    queue = review_queue_of(runtime=runtime(), viewer=signed_in())
    return render_template("console/review_queue.html", items=queue["versions"])


def _view(identifier: str, number: int) -> dict:
    return review_view_of(runtime=runtime(), viewer=signed_in(), identifier=identifier, number=number)


@blp.route("/review/<identifier>/<int:number>", methods=["GET", "POST"])
def review_version(identifier: str, number: int):
    """One version under review: its report, findings, what changed, the steps so far; act on it."""
    who = signed_in()
    view = _view(identifier, number)
    step_form, reject_form = StepForm(prefix="step"), RejectForm(prefix="reject")
    status = 200
    if request.method == "POST" and request.form.get("which") == "step" and step_form.validate():
        try:
            review_step(runtime=runtime(), viewer=who, identifier=identifier, number=number,
                        step=step_form.step.data, note=step_form.note.data)
        except ValidationError as exc:
            attach_problems(step_form, exc)
            status = 422
        else:
            return redirect(url_for("console.review_version", identifier=identifier, number=number), code=303)
    elif request.method == "POST" and request.form.get("which") == "reject" and reject_form.validate():
        try:
            reject_version(runtime=runtime(), viewer=who, identifier=identifier, number=number,
                           reason=reject_form.reason.data)
        except ValidationError as exc:
            attach_problems(reject_form, exc)
            status = 422
        else:
            return redirect(url_for("console.review_version", identifier=identifier, number=number), code=303)
    elif request.method == "POST":
        status = 422
    step_form.step.data = view["steps"]["next"]
    mine = [d["step"] for d in view["decisions"] if d["outcome"] == "done" and d["actor"] == who.user]
    diff = pending_diff(runtime=runtime(), viewer=who, identifier=identifier, number=number)
    return render_template("console/review_version.html", v=view, diff=diff, mine=mine, step_form=step_form,
                           reject_form=reject_form), status


@blp.route("/datasets/<identifier>/versions/<int:number>/findings", methods=["GET", "POST"])
def findings(identifier: str, number: int):
    """Each personal-information finding with masked samples: hash, mask, drop or confirm it."""
    who = signed_in()
    view = _view(identifier, number)
    open_findings = _open_findings(view["pii"]["findings"])
    which = request.form.get("which") if request.method == "POST" else None
    forms = [ResolveForm(prefix=f"finding{i}", formdata=None if which != str(i) else request.form)
             for i in range(len(open_findings))]
    status = 200
    if which is not None:
        index = int(which) if which.isdigit() and int(which) < len(forms) else None
        form = forms[index] if index is not None else None
        if form is not None and form.validate():
            try:
                resolve_pii_finding(runtime=runtime(), viewer=who, identifier=identifier, number=number,
                                    field=form.field.data, kind=form.kind.data, **form.resolution())
            except ValidationError as exc:
                attach_problems(form, exc, {"keepFirst": "keep_first", "keepLast": "keep_last", "method": "action"})
                status = 422
            else:
                return redirect(url_for("console.findings", identifier=identifier, number=number), code=303)
        else:
            status = 422
    for finding, form in zip(open_findings, forms, strict=True):  # what the form resolves
        form.field.data, form.kind.data = finding["fieldName"], finding["kind"]
    return render_template("console/findings.html", v=view, open_findings=list(zip(open_findings, forms, strict=True)),
                           identifier=identifier, number=number), status


def _open_findings(findings: list[dict]) -> list[dict]:
    """The unresolved findings, one per column and kind: a column's header and its values are one
    finding to the review service (resolved together), so the page offers one decision for both."""
    grouped: dict[tuple[str, str], dict] = {}
    for f in findings:
        if f.get("resolved"):
            continue
        one = grouped.setdefault((f["fieldName"], f["kind"]), {
            "fieldName": f["fieldName"], "fieldNumber": f["fieldNumber"], "kind": f["kind"],
            "by_label": False, "count": 0, "samples": []})
        if f.get("source") == "label":
            one["by_label"] = True
        else:
            one["count"] += int(f.get("count") or 0)
            one["samples"].extend(f.get("samples") or [])
    return list(grouped.values())
