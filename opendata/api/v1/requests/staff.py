"""The staff side of /api/v1/requests: the queue, a request's record, and every handling action.

Staff are publishers and reviewers of the receiving organisation (with a publish or review token);
those of organisations above it read. Each action calls one use case and answers the request's
record as it now stands.
"""

from __future__ import annotations

from flask.views import MethodView

from opendata.api.auth import current_viewer, require_authenticated
from opendata.api.v1.requests import schemas
from opendata.api.v1.requests.common import BEARER, canonical_code, policy, runtime, send_attachment
from opendata.api.v1.requests.public import blp
from opendata.core.requests.applicant import invalid
from opendata.services.requests import charging, handling
from opendata.services.requests.attachments import add_attachment, staff_attachment
from opendata.services.requests.decision import decide_request
from opendata.services.requests.detail import request_detail
from opendata.services.requests.often import make_proactive, often_requested, register_for_subject
from opendata.services.requests.queue import QueueFilter, list_queue


def _detail(code: str) -> dict:
    return request_detail(runtime=runtime(), policy=policy(), viewer=current_viewer(), code=code)


@blp.route("/requests/queue")
class Queue(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.QueueQueryArgsSchema, location="query")
    @blp.response(200, schemas.QueueSchema)
    def get(self, args):
        """The queue of the organisations you handle or read: days left, overdue and due-soon flags."""
        viewer = require_authenticated()
        f = QueueFilter(states=tuple(args.pop("state", ())), **args)
        return list_queue(runtime=runtime(), policy=policy(), viewer=viewer, f=f)


@blp.route("/requests/<string(minlength=16, maxlength=19):code>")
class RequestByCode(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, schemas.RequestDetailSchema)
    def get(self, code):
        """A request's record: staff see everything (identity masked unless they handle it), its submitter
        the applicant's view."""
        require_authenticated()
        return _detail(canonical_code(code))


def _action(path: str, schema, summary: str, work):
    """Register POST /requests/{code}/<path>: check the body, run ``work(viewer, code, args)``, answer the record."""

    class Action(MethodView):
        @blp.doc(security=BEARER, summary=summary)
        @blp.arguments(schema)
        @blp.response(200, schemas.RequestDetailSchema)
        def post(self, args, code):
            viewer = require_authenticated()
            canonical = canonical_code(code)
            work(viewer, canonical, args)
            return _detail(canonical)

    Action.__name__ = "Request" + "".join(part.title() for part in path.replace("/", "-").split("-"))
    blp.route(f"/requests/<string(minlength=16, maxlength=19):code>/{path}")(Action)


_action("assign", schemas.AssignSchema, "Make a publisher or reviewer of the organisation the handler.",
        lambda v, c, a: handling.assign_request(runtime=runtime(), viewer=v, code=c, handler=a["handler"]))
_action("correction-request", schemas.CorrectionRequestSchema,
        "Ask for a correction (补正): once, within 7 working days of receipt; the clock stops.",
        lambda v, c, a: handling.request_correction(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("correction-received", schemas.CorrectionReceivedSchema,
        "Record the corrected request that came by post or in person; the clock restarts.",
        lambda v, c, a: handling.receive_correction(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("extension", schemas.ExtensionSchema,
        "Extend the reply period once, by at most 20 working days (approver and reason recorded; the applicant told).",
        lambda v, c, a: handling.extend_request(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("pause", schemas.PauseSchema,
        "Stop the clock while a third party (15 working days at most) or another agency is consulted.",
        lambda v, c, a: handling.pause_request(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("resume", schemas.ResumeSchema, "Restart the clock after a consultation (the paused days move the due date).",
        lambda v, c, a: handling.resume_request(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("notes", schemas.NoteSchema, "Add an internal note (never shown to the applicant).",
        lambda v, c, a: handling.add_note(runtime=runtime(), viewer=v, code=c, text=a["text"]))
_action("fee", schemas.FeeSchema, "Send a fee notice (109号 bands, one basis); the clock stands until payment.",
        lambda v, c, a: charging.notify_fee(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("fee/payment", schemas.PaymentSchema, "Record the fee's payment; the clock runs again.",
        lambda v, c, a: charging.record_payment(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))
_action("decision", schemas.DecisionSchema,
        "Decide: one outcome of the 2021 template, the legal basis when withholding, the sealed reply; an approved "
        "data-access application gives the applicant an access grant.",
        lambda v, c, a: decide_request(runtime=runtime(), policy=policy(), viewer=v, code=c, **a))


@blp.route("/requests/<string(minlength=16, maxlength=19):code>/attachments")
class RequestAttachments(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.AttachmentUploadSchema, location="files")
    @blp.response(201, schemas.AttachmentSchema)
    def post(self, files, code):
        """Attach a file for the reply (PDF, OFD, images, CSV, text, Office files; size-limited); the decision
        names the attachments that form the reply."""
        viewer = require_authenticated()
        upload = files["file"]
        if not hasattr(upload, "stream"):
            raise invalid("file", "send the file as multipart/form-data field 'file'")
        return add_attachment(runtime=runtime(), policy=policy(), viewer=viewer, code=canonical_code(code),
                              filename=upload.filename or "", stream=upload.stream)


@blp.route("/requests/<string(minlength=16, maxlength=19):code>/attachments/<int:attachment_id>")
class RequestAttachmentById(MethodView):
    @blp.doc(security=BEARER)
    @blp.response(200, content_type="application/octet-stream")
    def get(self, code, attachment_id):
        """An attachment of a request you read as staff."""
        viewer = require_authenticated()
        return send_attachment(staff_attachment(runtime=runtime(), viewer=viewer, code=canonical_code(code),
                                                attachment_id=attachment_id))


@blp.route("/requests/often-requested")
class OftenRequested(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.OftenQueryArgsSchema, location="query")
    @blp.response(200, schemas.OftenSchema)
    def get(self, args):
        """Datasets and subjects several different applicants asked for in a period (Art. 44 self-review)."""
        return often_requested(runtime=runtime(), policy=policy(), viewer=require_authenticated(), **args)


@blp.route("/requests/often-requested/proactive")
class OftenProactive(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.ProactiveSchema)
    @blp.response(200, schemas.OftenActionSchema)
    def post(self, args):
        """Move an often-requested conditional dataset to proactive disclosure (publishers of its organisation)."""
        return make_proactive(runtime=runtime(), viewer=require_authenticated(), **args)


@blp.route("/requests/often-requested/register")
class OftenRegister(MethodView):
    @blp.doc(security=BEARER)
    @blp.arguments(schemas.RegisterForSubjectSchema)
    @blp.response(201, schemas.OftenActionSchema)
    def post(self, args):
        """Register a dataset for an often-requested subject (a full catalogue entry) and note it on the requests."""
        return register_for_subject(runtime=runtime(), policy=policy(), viewer=require_authenticated(), **args)

