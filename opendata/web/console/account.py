"""Account pages: sign in, sign out, change the password, create, list and revoke API tokens."""

from __future__ import annotations

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange

from opendata.core.errors import ValidationError
from opendata.services.console_overview import console_overview
from opendata.services.sign_in import Origin, SignInError, change_password, sign_in, sign_out
from opendata.services.tokens import token_create, token_list, token_revoke
from opendata.services.unit_of_work import read, run
from opendata.web.console.blueprint import (
    blp,
    message_page,
    request_policy,
    safe_console_path,
    signed_in,
)
from opendata.web.console.forms import EmptyForm, PasswordChangeForm, SignInForm, TokenForm
from opendata.web.console.problems import attach_problems
from opendata.web.context import limit_per_address, runtime


def _origin() -> Origin:
    who = signed_in()
    return Origin(address=request.remote_addr, request_id=who.request_id if who else None)


@blp.route("/sign-in", methods=["GET", "POST"], endpoint="sign_in")
def sign_in_page():
    """Sign in with username and password; a new session id is made and the old one ends."""
    form = SignInForm()
    back = safe_console_path(request.args.get("next"))
    if signed_in() is not None and request.method == "GET":
        return redirect(back, code=303)
    status = 200
    if request.method == "POST":
        limit_per_address(str(runtime().config.SIGN_IN_RATE_LIMIT), "sign-ins")
    if form.validate_on_submit():
        try:
            result = sign_in(runtime=runtime(), username=form.username.data, password=form.password.data,
                             old_key=session.key, origin=_origin())
        except SignInError as exc:
            form.form_errors.append(_sign_in_message(exc))
            status = 429 if exc.retry_after else 401
        else:
            session.start_new(result.key, result.user_id)
            return redirect(back, code=303)
    elif request.method == "POST":
        status = 422
    return render_template("console/sign_in.html", form=form), status



def _sign_in_message(exc: SignInError) -> str:
    if exc.locked:
        return _("Too many failed sign-ins: this username is locked for %(minutes)d more minutes. An administrator "
                 "can unlock it.", minutes=max(1, (exc.retry_after or 60) // 60))
    if exc.retry_after:
        return _("Wrong username or password. Too many failed sign-ins: wait %(seconds)d seconds before trying "
                 "again.", seconds=exc.retry_after)
    return _("Wrong username or password.")


@blp.post("/sign-out", endpoint="sign_out")
def sign_out_page():
    """End this session here and in the browser."""
    sign_out(runtime=runtime(), key=session.key, origin=_origin())
    session.end()
    return message_page(200, _("Signed out"), _("You have signed out. Close the browser if others use this "
                                                "computer."))


@blp.get("/")
def home():
    """The console's first page: what waits for the signed-in person, and where to go from here."""
    return render_template("console/home.html", o=console_overview(runtime=runtime(), viewer=signed_in(),
                                                                    policy=request_policy()))


@blp.get("/account")
def account():
    """The user's account: password and API tokens."""
    return render_template("console/account.html", user=signed_in())


@blp.route("/account/password", methods=["GET", "POST"])
def password():
    """Change one's own password; every other session of the user ends."""
    form = PasswordChangeForm()
    status = 200
    if form.validate_on_submit():
        try:
            key = change_password(runtime=runtime(), viewer=signed_in(), current=form.current.data,
                                  new=form.new.data, repeated=form.repeated.data)
        except ValidationError as exc:
            attach_problems(form, exc)
            status = 422
        else:
            session.start_new(key, signed_in().user_id)
            return message_page(200, _("Password changed"),
                                _("Your password is changed. Every other session of yours has ended."))
    elif request.method == "POST":
        status = 422
    return render_template("console/password.html", form=form), status


@blp.route("/account/tokens", methods=["GET", "POST"])
def tokens():
    """API tokens: create one (shown once), list the live ones, revoke."""
    who = signed_in()
    config = runtime().config
    form = _token_form(who, int(config.TOKEN_MAX_LIFETIME_DAYS))
    if request.method == "GET":
        form.lifetime_days.data = int(config.TOKEN_LIFETIME_DAYS)
        form.scopes.data = ["read"]
    created, status = None, 200
    if form.validate_on_submit():
        try:
            created = run(runtime(), token_create, actor=who, username=who.user, name=form.name.data,
                          scopes=form.scopes.data or ["read"], lifetime_days=form.lifetime_days.data,
                          max_lifetime_days=int(config.TOKEN_MAX_LIFETIME_DAYS),
                          present=lambda c: {"plain": c.plain, "name": c.token.name,
                                             "expires_at": c.token.expires_at})
        except ValidationError as exc:
            attach_problems(form, exc)
            status = 422
        else:
            form = _token_form(who, int(config.TOKEN_MAX_LIFETIME_DAYS), formdata=None)
            form.lifetime_days.data, form.scopes.data = int(config.TOKEN_LIFETIME_DAYS), ["read"]
    elif request.method == "POST":
        status = 422
    live = read(runtime(), token_list, actor=who, present=lambda rows: [
        {"id": t.id, "name": t.name, "prefix": t.prefix, "scopes": list(t.scopes), "created_at": t.created_at,
         "expires_at": t.expires_at, "last_used_at": t.last_used_at} for t in rows])
    return render_template("console/tokens.html", form=form, tokens=live, created=created,
                           revoke_form=EmptyForm()), status


def _token_form(who, max_days: int, **kwargs) -> TokenForm:
    form = TokenForm(**kwargs)
    form.scopes.choices = [(s, s) for s in ("read", "publish", "review", "admin") if who.has_scope(s)]
    form.lifetime_days.validators = [*form.lifetime_days.validators, NumberRange(
        max=max_days, message=_l("A token is valid for at most %(max)d days.", max=max_days))]
    return form


@blp.post("/account/tokens/<int:token_id>/revoke")
def revoke_token(token_id: int):
    """Revoke one of one's tokens (it stops working at once)."""
    run(runtime(), token_revoke, actor=signed_in(), token_id=token_id, present=lambda t: t.id)
    return redirect(url_for("console.tokens"), code=303)
