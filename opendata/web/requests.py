"""The portal's request pages: the public form, the confirmation with the tracking code, the status page.

No account and no JavaScript: the form posts to itself and answers with the confirmation (the
code never travels in a URL); a refresh re-sends the same signed form token, which is the
submission's idempotency key, so it shows the same code instead of a second request. The status
page takes the code and the contact by POST, answers an unknown code and a wrong contact alike, and
is rate-limited per address like the API. Everything an applicant typed is escaped by Jinja.
"""

from __future__ import annotations

import secrets
from dataclasses import replace
from typing import Any

from flask import Response, render_template, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from opendata.core.errors import ConflictError, NotFoundError, ValidationError
from opendata.core.requests import vocab
from opendata.core.requests.applicant import format_tracking_code
from opendata.services.access import AuthenticationError
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.submit import FIELDS, organizations_for_requests, submit_request
from opendata.services.requests.tracking import NOT_FOUND, correct_as_applicant, lookup_request
from opendata.web.context import limit_per_address, runtime, viewer
from opendata.web.views import blp

FORM_SECONDS = 4 * 3600  # a form left open longer is shown again with a fresh token
FORM_FIELDS = tuple(f for f in FIELDS if f not in ("purpose", "intended_use", "period_start", "period_end"))
CHOICES = {"delivery_medium": vocab.DELIVERY_MEDIA, "delivery_channel": vocab.DELIVERY_CHANNELS,
           "applicant_type": vocab.APPLICANT_TYPES, "id_type": vocab.ID_TYPES}


def _policy() -> RequestPolicy:
    rt = runtime()
    return replace(RequestPolicy.from_config(rt.config), portal_url=rt.config.public_base_url(request.host_url))


def _tokens() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(runtime().config.SECRET_KEY), salt="opendata.request-form")


def _html(body: str, status: int = 200) -> Response:
    response = Response(body, status=status, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # personal data: never kept by a browser or proxy
    return response


def _form_page(values: dict[str, Any], errors: dict[str, str], status: int = 200, message: str | None = None):
    return _html(render_template("web/request_form.html", values=values, errors=errors, message=message,
                                 choices=CHOICES, organizations=organizations_for_requests(runtime=runtime()),
                                 token=_tokens().dumps(secrets.token_urlsafe(16))), status)


@blp.get("/requests/new")
def request_form():
    """The public form of a request for disclosure (依申请公开)."""
    values = {k: v for k, v in request.args.items() if k in ("organization", "dataset")}
    return _form_page(values, {})


@blp.post("/requests/new")
def request_submit():
    """Check and store the request; answer the confirmation with the tracking code, or the form with errors."""
    values = {k: request.form.get(k, "").strip() for k in FORM_FIELDS}
    try:
        key = _tokens().loads(request.form.get("token", ""), max_age=FORM_SECONDS)
    except (BadSignature, SignatureExpired):
        return _form_page(values, {}, 400, "表单已过期，请核对后重新提交。The form expired: check it and send it again.")
    limit_per_address(runtime().config.REQUESTS_SUBMIT_RATE_LIMIT, "request submissions")
    form = {k: v for k, v in values.items() if v}
    try:
        done = submit_request(runtime=runtime(), policy=_policy(), viewer=viewer(), form=form,
                              idempotency_key=f"portal:{key}")
    except AuthenticationError:
        return _form_page(values, {"dataset": "有条件开放数据集的申请须登录后通过接口提交。Applications for a conditional "
                                              "dataset are made signed in, through the API."}, 422)
    except ValidationError as exc:
        return _form_page(values, _field_errors(exc), 422)
    except ConflictError as exc:  # the same request already being handled: nothing new was stored
        return _form_page(values, _field_errors(exc), 409)
    return _html(render_template("web/request_submitted.html", done=done, code=format_tracking_code(done.code),
                                 contact=values.get("email") or values.get("phone")))


def _field_errors(exc) -> dict[str, str]:
    errors = {p.path or "form": p.message for p in getattr(exc, "problems", [])}
    return errors or {"form": exc.message}


@blp.get("/requests/status")
def request_status_form():
    """The status page: enter the tracking code and the contact given with the request."""
    return _html(render_template("web/request_status.html", found=None, code="", error=None))


@blp.post("/requests/status")
def request_status():
    """The request's state, dates, timeline and reply, when the code and the contact both match."""
    limit_per_address(runtime().config.REQUESTS_STATUS_RATE_LIMIT, "request look-ups")
    code, contact = request.form.get("code", "")[:64], request.form.get("contact", "")[:320]
    try:
        if request.form.get("correction"):
            found = correct_as_applicant(runtime=runtime(), policy=_policy(), code=code, contact=contact,
                                         description=request.form.get("correction", ""))
        else:
            found = lookup_request(runtime=runtime(), policy=_policy(), code=code, contact=contact)
    except NotFoundError:
        return _html(render_template("web/request_status.html", found=None, code=code, error=NOT_FOUND_TEXT), 404)
    except (ValidationError, ConflictError) as exc:  # a correction that could not be taken: say why
        found = lookup_request(runtime=runtime(), policy=_policy(), code=code, contact=contact)
        status = 422 if isinstance(exc, ValidationError) else 409
        return _html(render_template("web/request_status.html", found=found, code=code, contact=contact,
                                     error="; ".join(p.message for p in exc.problems) or exc.message), status)
    return _html(render_template("web/request_status.html", found=found, code=code, contact=contact, error=None))


NOT_FOUND_TEXT = f"没有与该申请编号和联系方式相符的申请。{NOT_FOUND[0].upper()}{NOT_FOUND[1:]}."
