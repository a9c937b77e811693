"""Forms of the requests pages: the queue's filters and one form per handling step."""

from __future__ import annotations

from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from opendata.core.requests import states, vocab


def _english() -> bool:
    locale = get_locale()
    return locale is not None and locale.language == "en"


def _labels(labels) -> list[tuple[str, str]]:
    return [(x.key, x.en if _english() else x.zh) for x in labels]


class QueueFilterForm(FlaskForm):
    state = SelectField(_l("State"), validators=[Optional()])
    kind = SelectField(_l("Kind"), validators=[Optional()])
    overdue = BooleanField(_l("Overdue only"))
    q = StringField(_l("Words of the subject"), validators=[Optional(), Length(max=100)])
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(1, 100_000)])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.state.choices = [("", _l("Every open request"))] + [
            (s, names[1] if _english() else names[0]) for s, names in states.STATE_NAMES.items()]
        self.kind.choices = [("", _l("Both kinds"))] + _labels(vocab.KINDS)


class _Step(FlaskForm):
    def values(self) -> dict[str, Any]:
        """The step's arguments (the CSRF token left out)."""
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}


class AssignForm(_Step):
    handler = StringField(_l("Handler's username"), validators=[DataRequired(_l("Name the handler.")), Length(max=100)],
                          description=_l("A publisher or reviewer of the receiving organization."))


class CorrectionForm(_Step):
    reason = TextAreaField(_l("What the applicant must correct"), validators=[
        DataRequired(_l("Say what is unclear or missing.")), Length(max=4000)])
    period_days = IntegerField(_l("Working days to answer"), validators=[Optional(), NumberRange(1, 60)])


class ExtensionForm(_Step):
    days = IntegerField(_l("Working days added"), validators=[DataRequired(_l("Give the days (1 to 20).")),
                                                              NumberRange(1, 20)])
    approver = StringField(_l("Approved by"), validators=[DataRequired(_l("Name who approved the extension.")),
                                                          Length(max=200)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason the applicant is told.")),
                                                     Length(max=4000)])


class PauseForm(_Step):
    kind = SelectField(_l("Consulting"), choices=[])
    party = StringField(_l("Who is consulted"), validators=[DataRequired(_l("Name who is consulted.")), Length(max=300)])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(_l("Give the reason.")), Length(max=4000)])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind.choices = _labels(vocab.PAUSE_KINDS)


class ResumeForm(_Step):
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=4000)])


class NoteForm(_Step):
    text = TextAreaField(_l("Internal note"), validators=[DataRequired(_l("Write the note.")), Length(max=4000)],
                         description=_l("Never shown to the applicant."))


class DecisionForm(_Step):
    outcome = SelectField(_l("Outcome"), choices=[])
    legal_basis = TextAreaField(_l("Legal basis"), validators=[Optional(), Length(max=2000)],
                                description=_l("Required when anything is withheld."))
    reply = TextAreaField(_l("Reply to the applicant"), validators=[DataRequired(_l("Write the reply.")),
                                                                    Length(max=50_000)])

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.outcome.choices = [(o.key, o.row if not _english() else f"{vocab.OUTCOME_GROUPS[o.group][1]}: {o.en}")
                                for o in vocab.OUTCOMES if o.key not in vocab.AUTOMATIC_OUTCOMES]


FORMS = {"assign": AssignForm, "correction": CorrectionForm, "extension": ExtensionForm, "pause": PauseForm,
         "resume": ResumeForm, "note": NoteForm, "decision": DecisionForm}
