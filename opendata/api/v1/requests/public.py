"""The applicant's side of /api/v1/requests: submit, follow by tracking code and contact, correct,
download reply attachments, and list one's own requests when signed in. No account is needed
except for a data-access application; look-ups and submissions are rate-limited per address.
"""

from __future__ import annotations

from flask import request as http
from flask.views import MethodView

from opendata.api.auth import current_viewer, require_authenticated
from opendata.api.ratelimit import limit_per_address
from opendata.api.v1.requests import schemas
from opendata.api.v1.requests.common import (
    BEARER,
    make_blueprint,
    policy,
    runtime,
    send_attachment,
)
from opendata.core.requests.applicant import format_tracking_code, invalid
from opendata.core.workdays import official_calendar
from opendata.services.requests.submit import submit_request
from opendata.services.requests.tracking import (
    attachment_by_token,
    correct_as_applicant,
    lookup_request,
    my_requests,
)

blp = make_blueprint("requests", "Requests for disclosure (依申请公开) and data-access applications: submit, follow "
                                 "by tracking code, staff handling (queue, correction, extension, pauses, fees, "
                                 "decisions), the Art. 44 review.")


@blp.route("/requests")
class Requests(MethodView):
    @blp.arguments(schemas.RequestFormSchema)
    @blp.response(201, schemas.SubmittedSchema)
    @blp.doc(parameters=[{"in": "header", "name": "Idempotency-Key", "required": False, "schema": {
        "type": "string", "maxLength": 200}, "description": "the same key with the same request answers it again"}])
    def post(self, form):
        """Submit a request; the answer holds the tracking code. Anyone may submit, signed in or not."""
        limit_per_address(runtime().config.REQUESTS_SUBMIT_RATE_LIMIT, "request submissions")
        key = (http.headers.get("Idempotency-Key") or "").strip()[:200] or None
        received_at = form.pop("received_at", None)
        done = submit_request(runtime=runtime(), policy=policy(), viewer=current_viewer(), form=form,
                              idempotency_key=key, received_at=received_at)
        return {"code": done.code, "tracking_code": format_tracking_code(done.code), "kind": done.kind,
                "receipt_date": done.receipt_date, "due_date": done.due_date,
                "calendar_version": done.calendar_version, "calendar_warning": done.calendar_warning,
                "warnings": list(done.warnings)}


@blp.route("/requests/status")
class RequestStatus(MethodView):
    @blp.arguments(schemas.LookupSchema)
    @blp.response(200, schemas.ApplicantViewSchema)
    def post(self, args):
        """Follow a request with its tracking code and the contact given with it (404 when either is wrong)."""
        limit_per_address(runtime().config.REQUESTS_STATUS_RATE_LIMIT, "request look-ups")
        return lookup_request(runtime=runtime(), policy=policy(), code=args["code"], contact=args["contact"])


@blp.route("/requests/correction")
class RequestCorrection(MethodView):
    @blp.arguments(schemas.ApplicantCorrectionSchema)
    @blp.response(200, schemas.ApplicantViewSchema)
    def post(self, args):
        """Send the corrected request (补正) asked for; the reply period starts again from today."""
        limit_per_address(runtime().config.REQUESTS_STATUS_RATE_LIMIT, "request look-ups")
        return correct_as_applicant(runtime=runtime(), policy=policy(), code=args["code"], contact=args["contact"],
                                    description=args["description"], subject=args.get("subject"))


@blp.route("/requests/files/<token>")
class RequestFile(MethodView):
    @blp.response(200, content_type="application/octet-stream")
    def get(self, token):
        """A reply attachment, by the link of the status answer (valid for an hour)."""
        return send_attachment(attachment_by_token(runtime=runtime(), policy=policy(), token=token))


@blp.route("/requests/mine")
class MyRequests(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.ApplicantViewSchema(many=True))
    def get(self):
        """Your own requests (signed in), newest first."""
        return my_requests(runtime=runtime(), policy=policy(), viewer=require_authenticated())


@blp.route("/workdays")
class Workdays(MethodView):
    @blp.arguments(schemas.WorkdaysQueryArgsSchema, location="query")
    @blp.response(200, schemas.WorkdaysSchema)
    def get(self, args):
        """The date N working days after a date, or the working days between two dates (official calendar)."""
        calendar = official_calendar()
        if ("days" in args) == ("until" in args):
            raise invalid("days", "give either days or until")
        if "days" in args:
            answer = calendar.add_workdays(args["start"], args["days"])
            out = {"start": args["start"], "date": answer.date, "days": args["days"]}
        else:
            answer = calendar.count_workdays(args["start"], args["until"])
            out = {"start": args["start"], "date": None, "days": answer.days}
        return {**out, "calendar": answer.calendar_version, "uncovered_years": list(answer.uncovered_years),
                "warning": answer.warning}
