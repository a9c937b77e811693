"""Grants and requests: the organization's access grants, and the staff queue of disclosure requests
(依申请公开) and data-access applications with every handling step (the requests services, as the API).
"""

from __future__ import annotations

from flask import redirect, render_template, request, url_for

from opendata.core.errors import NotFoundError, ValidationError
from opendata.core.requests import states, vocab
from opendata.services.grants import grants_of_staff
from opendata.services.requests import handling
from opendata.services.requests.decision import decide_request
from opendata.services.requests.detail import request_detail
from opendata.services.requests.queue import QueueFilter, list_queue
from opendata.web.console.access_forms import FORMS, QueueFilterForm
from opendata.web.console.blueprint import blp, request_policy, signed_in
from opendata.web.console.problems import attach_problems
from opendata.web.context import runtime


@blp.get("/access")
def access():
    """The organization's access grants and its queue of requests, with filters."""
    who = signed_in()
    filters = QueueFilterForm(request.args, meta={"csrf": False})
    queue = None
    if filters.validate():
        chosen = filters.state.data
        queue = list_queue(runtime=runtime(), policy=request_policy(), viewer=who, f=QueueFilter(
            states=(chosen,) if chosen else states.ACTIVE_STATES, kind=filters.kind.data or None,
            overdue=True if filters.overdue.data else None, q=(filters.q.data or "").strip() or None,
            page=filters.page.data or 1, limit=50))
    grants = grants_of_staff(runtime=runtime(), viewer=who)
    return render_template("console/access.html", filters=filters, queue=queue, grants=grants,
                           state_names=states.STATE_NAMES)


def _actions(code: str):
    """The handling steps of a request: name -> (form, use case taking the form's data)."""
    rt, policy, who = runtime(), request_policy(), signed_in()
    return {
        "assign": lambda d: handling.assign_request(runtime=rt, viewer=who, code=code, handler=d["handler"]),
        "correction": lambda d: handling.request_correction(runtime=rt, policy=policy, viewer=who, code=code,
                                                            reason=d["reason"], period_days=d.get("period_days")),
        "extension": lambda d: handling.extend_request(runtime=rt, policy=policy, viewer=who, code=code,
                                                       days=d["days"], approver=d["approver"], reason=d["reason"]),
        "pause": lambda d: handling.pause_request(runtime=rt, policy=policy, viewer=who, code=code,
                                                  kind=d["kind"], party=d["party"], reason=d["reason"]),
        "resume": lambda d: handling.resume_request(runtime=rt, policy=policy, viewer=who, code=code,
                                                    note=d.get("note") or None),
        "note": lambda d: handling.add_note(runtime=rt, viewer=who, code=code, text=d["text"]),
        "decision": lambda d: decide_request(runtime=rt, policy=policy, viewer=who, code=code, outcome=d["outcome"],
                                             reply=d["reply"], legal_basis=d.get("legal_basis") or None),
    }


@blp.route("/requests/<code>", methods=["GET", "POST"])
def request_page(code: str):
    """One request: its record and timeline, and a form for each handling step."""
    code = "".join(ch for ch in code if ch.isalnum()).upper()
    which = request.form.get("which") if request.method == "POST" else None
    forms = {name: cls(prefix=name, formdata=request.form if which == name else None) for name, cls in FORMS.items()}
    status = 200
    if which in forms:
        form = forms[which]
        if form.validate():
            try:
                _actions(code)[which](form.values())
            except ValidationError as exc:
                attach_problems(form, exc)
                status = 422
            else:
                return redirect(url_for("console.request_page", code=code), code=303)
        else:
            status = 422
    detail = request_detail(runtime=runtime(), policy=request_policy(), viewer=signed_in(), code=code)
    if detail["view"] != "staff":  # its applicant follows it on the portal's status page, not here
        raise NotFoundError(f"no request {code!r}")
    return render_template("console/request.html", r=detail, forms=forms, outcomes=vocab.OUTCOMES), status
