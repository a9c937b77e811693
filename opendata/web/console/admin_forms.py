"""Forms of the administration pages."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp

from opendata.services.accounts import MIN_PASSWORD_LENGTH, ROLES

_USERNAME = r"^[a-z0-9][a-z0-9._-]{1,62}$"


class NewUserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Give the username.")),
        Regexp(_USERNAME, message=_l("2 to 63 lower-case letters, digits, '.', '_' or '-'."))])
    display_name = StringField(_l("Name"), validators=[Optional(), Length(max=200)])
    email = StringField(_l("E-mail"), validators=[Optional(), Length(max=254),
                                                  Email(_l("Give an e-mail address such as office@example.gov.cn."))])
    organization = SelectField(_l("Organization"), choices=[])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Give a first password; the person changes it after signing in.")),
        Length(min=MIN_PASSWORD_LENGTH, message=_l("A password needs at least %(min)d characters.",
                                                   min=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"})

    def setup(self, orgs: list[tuple[str, str]]) -> NewUserForm:
        self.organization.choices = [("", _l("None (platform-wide)")), *orgs]
        return self

    def values(self) -> dict[str, Any]:
        return {"username": self.username.data, "display_name": self.display_name.data or "",
                "email": self.email.data or None, "organization": self.organization.data or None,
                "password": self.password.data}


class RoleForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(_l("Give the username.")), Length(max=100)])
    role = SelectField(_l("Role"), choices=[(r, r) for r in ROLES])
    organization = SelectField(_l("For organization"), choices=[])
    grant = BooleanField(_l("Grant (untick to revoke)"), default=True)

    def setup(self, orgs: list[tuple[str, str]]) -> RoleForm:
        self.organization.choices = [("", _l("The user's own organization")), *orgs]
        return self


class PasswordSetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_PASSWORD_LENGTH, message=_l("A password needs at least %(min)d characters.",
                                                   min=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"})


class AuditFilterForm(FlaskForm):
    actor = StringField(_l("Who"), validators=[Optional(), Length(max=200)])
    action = StringField(_l("Action"), validators=[Optional(), Length(max=60)],
                         description=_l("e.g. signed-in, dataset-registered, review-step"))
    target_type = StringField(_l("Target type"), validators=[Optional(), Length(max=40)])
    target_id = StringField(_l("Target"), validators=[Optional(), Length(max=200)])
    since = DateField(_l("From"), validators=[Optional()])
    until = DateField(_l("To"), validators=[Optional()])
    after = IntegerField(validators=[Optional(), NumberRange(min=0)])
