"""Marshmallow schemas of /api/v1/requests: what comes in (unknown fields refused) and what goes out."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from opendata.api.arguments import ArgumentsSchema
from opendata.core.requests import vocab
from opendata.core.requests.fees import BASES
from opendata.core.requests.states import STATES

_N = {"allow_none": True}


class _Strict(ArgumentsSchema):
    class Meta:
        unknown = RAISE


def _one_of(labels) -> validate.OneOf:
    return validate.OneOf(vocab.keys(labels))


class RequestFormSchema(_Strict):
    """A new request for disclosure, or a data-access application (with dataset, purpose and period)."""

    organization = fields.String(validate=validate.Length(max=100),
                                 metadata={"description": "organisation id; may be left out when dataset is given"})
    dataset = fields.String(validate=validate.Length(max=100), metadata={"description": "a catalogue entry asked about"})
    subject = fields.String(required=True, validate=validate.Length(max=300))
    description = fields.String(required=True, validate=validate.Length(max=10_000))
    delivery_medium = fields.String(required=True, validate=_one_of(vocab.DELIVERY_MEDIA))
    delivery_channel = fields.String(required=True, validate=_one_of(vocab.DELIVERY_CHANNELS))
    applicant_type = fields.String(required=True, validate=_one_of(vocab.APPLICANT_TYPES))
    applicant_name = fields.String(required=True, validate=validate.Length(max=200))
    id_type = fields.String(required=True, validate=_one_of(vocab.ID_TYPES))
    id_number = fields.String(required=True, validate=validate.Length(max=64),
                              metadata={"description": "stored for the handler only; never shown publicly"})
    email = fields.String(validate=validate.Length(max=320))
    phone = fields.String(validate=validate.Length(max=40))
    address = fields.String(validate=validate.Length(max=500), metadata={"description": "required for post"})
    purpose = fields.String(validate=validate.Length(max=2000), metadata={"description": "data-access only"})
    intended_use = fields.String(validate=validate.Length(max=2000), metadata={"description": "data-access only"})
    period_start = fields.Date(metadata={"description": "data-access only"})
    period_end = fields.Date(metadata={"description": "data-access only"})
    received_at = fields.AwareDateTime(metadata={"description": "staff of the receiving organisation entering a "
                                                                "request that came by post or in person"})


class SubmittedSchema(Schema):
    code = fields.String(required=True, metadata={"description": "canonical tracking code (16 characters)"})
    tracking_code = fields.String(required=True, metadata={"description": "the code as shown: XXXX-XXXX-XXXX-XXXX"})
    kind = fields.String(required=True)
    receipt_date = fields.Date(required=True)
    due_date = fields.Date(required=True)
    calendar_version = fields.String(required=True)
    calendar_warning = fields.String(**_N)
    warnings = fields.List(fields.Dict())


class LookupSchema(_Strict):
    code = fields.String(required=True, validate=validate.Length(max=64))
    contact = fields.String(required=True, validate=validate.Length(max=320),
                            metadata={"description": "the e-mail address or telephone number given with the request"})


class ApplicantCorrectionSchema(LookupSchema):
    description = fields.String(required=True, validate=validate.Length(max=10_000))
    subject = fields.String(validate=validate.Length(max=300))


class ApplicantViewSchema(Schema):
    """A request as its applicant sees it: no identity number, no internal notes."""

    code = fields.String()
    tracking_code = fields.String()
    organization = fields.Dict()
    dataset = fields.String(**_N)
    kind = fields.String()
    kind_name = fields.String()
    subject = fields.String()
    description = fields.String()
    delivery_medium = fields.String()
    delivery_channel = fields.String()
    applicant_name = fields.String()
    state = fields.String()
    state_name = fields.String()
    state_name_en = fields.String()
    received_at = fields.DateTime()
    receipt_date = fields.Date()
    due_date = fields.Date()
    days_left = fields.Integer(**_N)
    calendar_version = fields.String()
    calendar_warning = fields.String(**_N)
    extension_days = fields.Integer()
    correction_due = fields.Date(**_N)
    pause_resumes_by = fields.Date(**_N)
    fee = fields.Dict(**_N)
    outcome = fields.String(**_N)
    outcome_row = fields.String(**_N)
    outcome_en = fields.String(**_N)
    legal_basis = fields.String(**_N)
    withheld_columns = fields.Dict(**_N)
    decided_at = fields.DateTime(**_N)
    reply = fields.Dict(**_N)
    purpose = fields.String(**_N)
    period_start = fields.Date(**_N)
    period_end = fields.Date(**_N)
    timeline = fields.List(fields.Dict())


class QueueQueryArgsSchema(_Strict):
    organization = fields.String(validate=validate.Length(max=100))
    state = fields.List(fields.String(validate=validate.OneOf(STATES)), metadata={"description": "repeatable"})
    kind = fields.String(validate=_one_of(vocab.KINDS))
    handler = fields.String(validate=validate.Length(max=100), metadata={"description": "a username, or none"})
    overdue = fields.Boolean()
    due_within = fields.Integer(validate=validate.Range(0, 60), metadata={"description": "working days"})
    received_from = fields.Date()
    received_to = fields.Date()
    q = fields.String(validate=validate.Length(max=100), metadata={"description": "words of the subject"})
    sort = fields.String(load_default="due", validate=validate.OneOf(["due", "received", "-received"]))
    page = fields.Integer(load_default=1, validate=validate.Range(1, 100_000))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, 200))


class QueueItemSchema(Schema):
    code = fields.String()
    tracking_code = fields.String()
    kind = fields.String()
    organization = fields.String()
    dataset = fields.String(**_N)
    subject = fields.String()
    applicant_type = fields.String()
    applicant_name = fields.String()
    id_type = fields.String()
    id_number = fields.String(metadata={"description": "masked, except in the handler's detail view"})
    state = fields.String()
    handler = fields.String(**_N)
    received_at = fields.DateTime()
    receipt_date = fields.Date()
    due_date = fields.Date()
    days_left = fields.Integer(**_N)
    overdue = fields.Boolean(**_N)
    due_soon = fields.Boolean(**_N)
    calendar_version = fields.String()
    calendar_warning = fields.String(**_N)
    outcome = fields.String(**_N)


class QueueSchema(Schema):
    items = fields.List(fields.Nested(QueueItemSchema))
    total = fields.Integer()
    page = fields.Integer()
    limit = fields.Integer()
    today = fields.Date()
    calendar_version = fields.String()
    calendar_warning = fields.String(**_N)


class StaffDetailSchema(QueueItemSchema):
    description = fields.String()
    delivery_medium = fields.String()
    delivery_channel = fields.String()
    email = fields.String(**_N)
    phone = fields.String(**_N)
    address = fields.String(**_N)
    applicant_type_name = fields.String()
    purpose = fields.String(**_N)
    intended_use = fields.String(**_N)
    period_start = fields.Date(**_N)
    period_end = fields.Date(**_N)
    warnings = fields.List(fields.Dict())
    extension_days = fields.Integer()
    paused_days = fields.Integer()
    correction_notice_due = fields.Date()
    correction_requested_on = fields.Date(**_N)
    correction_due = fields.Date(**_N)
    pause = fields.Dict(**_N)
    fee = fields.Dict(**_N)
    legal_basis = fields.String(**_N)
    outcome_row = fields.String(**_N)
    withheld_columns = fields.Dict(**_N)
    decided_at = fields.DateTime(**_N)
    grant = fields.Integer(**_N)
    reply = fields.Dict(**_N)
    attachments = fields.List(fields.Dict())
    timeline = fields.List(fields.Dict())
    messages = fields.List(fields.Dict())
    due_soon_days = fields.Integer()


class AssignSchema(_Strict):
    handler = fields.String(required=True, validate=validate.Length(1, 100))


class CorrectionRequestSchema(_Strict):
    reason = fields.String(required=True, validate=validate.Length(max=4000))
    period_days = fields.Integer(validate=validate.Range(1, 60), metadata={"description": "working days; default "
                                                                                         "OPENDATA_REQUESTS_CORRECTION_DAYS"})


class CorrectionReceivedSchema(_Strict):
    description = fields.String(required=True, validate=validate.Length(max=10_000))
    subject = fields.String(validate=validate.Length(max=300))
    received_at = fields.AwareDateTime()


class ExtensionSchema(_Strict):
    days = fields.Integer(required=True, strict=True, validate=validate.Range(1, 20))
    approver = fields.String(required=True, validate=validate.Length(max=200))
    reason = fields.String(required=True, validate=validate.Length(max=4000))


class PauseSchema(_Strict):
    kind = fields.String(required=True, validate=_one_of(vocab.PAUSE_KINDS))
    party = fields.String(required=True, validate=validate.Length(max=300))
    reason = fields.String(required=True, validate=validate.Length(max=4000))


class ResumeSchema(_Strict):
    note = fields.String(validate=validate.Length(max=4000))
    resumed_on = fields.Date()


class NoteSchema(_Strict):
    text = fields.String(required=True, validate=validate.Length(max=4000))


class FeeSchema(_Strict):
    basis = fields.String(required=True, validate=validate.OneOf(BASES))
    units = fields.Integer(required=True, strict=True, validate=validate.Range(1, 1_000_000),
                           metadata={"description": "items (per-item) or pages (per-page)"})
    note = fields.String(validate=validate.Length(max=2000))


class PaymentSchema(_Strict):
    paid_on = fields.Date()
    reference = fields.String(validate=validate.Length(max=200))


class DecisionSchema(_Strict):
    outcome = fields.String(required=True, validate=validate.OneOf(vocab.keys(vocab.OUTCOMES)))
    legal_basis = fields.String(validate=validate.Length(max=2000), metadata={"description": "required when "
                                                                                           "anything is withheld"})
    reply = fields.String(required=True, validate=validate.Length(max=50_000))
    attachment_ids = fields.List(fields.Integer(strict=True), validate=validate.Length(max=50))
    withheld_columns = fields.Dict(keys=fields.String(validate=validate.OneOf(["masked", "dropped"])),
                                   values=fields.List(fields.String(validate=validate.Length(max=300)),
                                                      validate=validate.Length(max=500)))
    grant_until = fields.Date(metadata={"description": "last day of access (default: the period asked for)"})


class AttachmentUploadSchema(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class AttachmentSchema(Schema):
    id = fields.Integer()
    filename = fields.String()
    media_type = fields.String()
    bytes = fields.Integer()
    sha256 = fields.String()


class OftenQueryArgsSchema(_Strict):
    since = fields.Date(required=True)
    until = fields.Date(required=True)
    organization = fields.String(validate=validate.Length(max=100))
    threshold = fields.Integer(validate=validate.Range(2, 1000))


class OftenSchema(Schema):
    since = fields.Date()
    until = fields.Date()
    threshold = fields.Integer()
    items = fields.List(fields.Dict())


class OftenActionSchema(Schema):
    dataset = fields.String()
    disclosure = fields.String(metadata={"description": "the class in force (unchanged until the change is approved)"})
    requests_noted = fields.Integer()
    disclosure_change = fields.Dict(metadata={"description": "the pending disclosure change: id, state, url"})


class ProactiveSchema(_Strict):
    dataset = fields.String(required=True, validate=validate.Length(max=100))
    reason = fields.String(required=True, validate=validate.Length(max=4000))


class RegisterForSubjectSchema(_Strict):
    subject = fields.String(required=True, validate=validate.Length(max=300))
    since = fields.Date(required=True)
    until = fields.Date(required=True)
    entry = fields.Dict(required=True, metadata={"description": "a catalogue entry, as POST /api/v1/datasets takes"})


class WorkdaysQueryArgsSchema(_Strict):
    start = fields.Date(required=True, data_key="from")
    days = fields.Integer(validate=validate.Range(0, 3660))
    until = fields.Date()


class WorkdaysSchema(Schema):
    start = fields.Date(data_key="from")
    date = fields.Date(**_N)
    days = fields.Integer()
    calendar = fields.String()
    uncovered_years = fields.List(fields.Integer())
    warning = fields.String(**_N)


class RequestDetailSchema(StaffDetailSchema):
    """Staff's record (view: staff) or, for the signed-in submitter, the applicant's view (view: applicant)."""

    view = fields.String(required=True, validate=validate.OneOf(["staff", "applicant"]))
    organization = fields.Raw(metadata={"description": "id (staff) or {id, name} (applicant)"})
    kind_name = fields.String()
    state_name = fields.String()
    state_name_en = fields.String()
    pause_resumes_by = fields.Date(**_N)
    outcome_en = fields.String(**_N)
