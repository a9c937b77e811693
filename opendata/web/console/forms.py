"""The console's account forms (Flask-WTF: every form carries the session's CSRF token).

Labels and messages are message ids of the console's catalogue (lazy_gettext), so a form shows its
inline errors in the reader's language. The services check everything again; the forms give the
early, field-by-field answer.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, EqualTo, Length, NumberRange

from opendata.services.accounts import MIN_PASSWORD_LENGTH
from opendata.services.sign_in import MAX_PASSWORD, MAX_USERNAME


class SignInForm(FlaskForm):
    username = StringField(_l("Username"), validators=[
        DataRequired(_l("Enter your username.")), Length(max=MAX_USERNAME)],
        render_kw={"autocomplete": "username", "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[
        DataRequired(_l("Enter your password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"})


class PasswordChangeForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")), Length(max=MAX_PASSWORD)],
        render_kw={"autocomplete": "current-password"})
    new = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD,
               message=_l("A password needs at least %(min)d characters.", min=MIN_PASSWORD_LENGTH))],
        render_kw={"autocomplete": "new-password"})
    repeated = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password again.")),
        EqualTo("new", message=_l("The two new passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class CheckboxListField(SelectMultipleField):
    """Several choices as a list of checkboxes (usable without a mouse, each with its own label)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class TokenForm(FlaskForm):
    name = StringField(_l("Name"), validators=[
        DataRequired(_l("Name the token, e.g. the script that uses it.")), Length(max=100)],
        description=_l("What the token is for, e.g. the nightly upload script."))
    scopes = CheckboxListField(_l("Scopes"), choices=[])
    lifetime_days = IntegerField(_l("Valid for (days)"), validators=[
        DataRequired(_l("Say for how many days the token is valid.")),
        NumberRange(min=1, message=_l("A token is valid for at least one day."))])


class EmptyForm(FlaskForm):
    """A form with only its CSRF token: sign-out, revoke and other one-button actions."""
