"""Forms of the review pages: take a step, reject, resolve a personal-information finding."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

MAX_KEEP = 32  # services.review.MAX_KEEP: digits a partial mask may leave visible at each end


class StepForm(FlaskForm):
    step = HiddenField()
    note = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=4000)],
                         description=_l("What you checked, or what the next person should look at."))


class RejectForm(FlaskForm):
    reason = TextAreaField(_l("Why the version is rejected"), validators=[
        DataRequired(_l("Say why the version is rejected: the uploader reads it.")), Length(max=4000)])


class ResolveForm(FlaskForm):
    field = HiddenField(validators=[DataRequired()])
    kind = HiddenField(validators=[DataRequired()])
    action = RadioField(_l("What to publish"), choices=[
        ("hash", _l("Hash: each value becomes a code that cannot be turned back (the same value, the same code)")),
        ("partial", _l("Mask: keep only the first and last characters")),
        ("drop", _l("Drop the column from the published data")),
        ("confirm", _l("Publish as it is: it is lawful (say why)"))],
        validators=[DataRequired(_l("Choose what to publish."))])
    keep_first = IntegerField(_l("Characters kept at the start"), default=6,
                              validators=[Optional(), NumberRange(0, MAX_KEEP)])
    keep_last = IntegerField(_l("Characters kept at the end"), default=4,
                             validators=[Optional(), NumberRange(0, MAX_KEEP)])
    reason = TextAreaField(_l("Reason"), validators=[Length(max=4000)],  # no Optional(): its rule runs empty
                           description=_l("Required to publish as it is: the legal basis or the consent."))

    def validate_reason(self, field: TextAreaField) -> None:
        if self.action.data == "confirm" and not (field.data or "").strip():
            raise ValidationError(_l("Say why the values may be published: the legal basis or the consent."))

    def resolution(self) -> dict:
        """The review service's resolution arguments."""
        action = self.action.data
        if action in ("hash", "partial"):
            return {"action": "mask", "method": action,
                    "keep_first": self.keep_first.data if action == "partial" else None,
                    "keep_last": self.keep_last.data if action == "partial" else None,
                    "reason": (self.reason.data or "").strip() or None}
        return {"action": action, "reason": (self.reason.data or "").strip() or None}
