"""Administration: users and their roles per organization, locked usernames, and the audit log.

Administrators only (the services check it: anyone else gets 403). Every change is the accounts
service's, audited as from the command line or the API; the audit log's export is the API's
(/api/v1/audit?format=csv), with the same filters.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import redirect, render_template, request, url_for

from opendata.core.errors import ValidationError
from opendata.services.accounts import (
    role_grant,
    role_revoke,
    user_create_with_role,
    user_set_active,
    user_set_password,
)
from opendata.services.audit import AuditFilter, audit_entry_dict, audit_list
from opendata.services.console_admin import user_directory
from opendata.services.sign_in import locked_usernames, unlock_username
from opendata.services.unit_of_work import read, run
from opendata.web.console.admin_forms import AuditFilterForm, NewUserForm, PasswordSetForm, RoleForm
from opendata.web.console.blueprint import blp, signed_in
from opendata.web.console.forms import EmptyForm
from opendata.web.console.problems import attach_problems
from opendata.web.context import runtime

AUDIT_PAGE = 100


@blp.route("/admin/users", methods=["GET", "POST"])
def admin_users():
    """Users by organization with their roles; create a user, grant and revoke roles."""
    who = signed_in()
    who.require_admin()
    directory = user_directory(runtime=runtime(), viewer=who)
    orgs = [(o["slug"], o["name"]) for o in directory["organizations"]]
    which = request.form.get("which") if request.method == "POST" else None
    new_user = NewUserForm(prefix="new", formdata=request.form if which == "new" else None).setup(orgs)
    role = RoleForm(prefix="role", formdata=request.form if which == "role" else None).setup(orgs)
    status = 200
    if which == "new" and new_user.validate():
        try:
            run(runtime(), user_create_with_role, actor=who, role=new_user.role.data, present=lambda a: a.id,
                **new_user.values())
        except ValidationError as exc:
            attach_problems(new_user, exc)
            status = 422
        else:
            return redirect(url_for("console.admin_users"), code=303)
    elif which == "role" and role.validate():
        use_case = role_grant if role.grant.data else role_revoke
        try:
            run(runtime(), use_case, actor=who, username=role.username.data, role=role.role.data,
                organization=role.organization.data or None, present=lambda _x: None)
        except ValidationError as exc:
            attach_problems(role, exc)
            status = 422
        else:
            return redirect(url_for("console.admin_users"), code=303)
    elif which is not None:
        status = 422
    locked = locked_usernames(runtime=runtime(), actor=who)
    return render_template("console/admin_users.html", d=directory, new_user=new_user, role=role, locked=locked,
                           button=EmptyForm()), status


@blp.post("/admin/users/<username>/active")
def admin_set_active(username: str):
    """Deactivate (every session and token stops at once) or reactivate a user."""
    who = signed_in()
    active = request.form.get("active") == "1"
    run(runtime(), user_set_active, actor=who, username=username, active=active, present=lambda u: u.id)
    return redirect(url_for("console.admin_users"), code=303)


@blp.post("/admin/users/<username>/unlock")
def admin_unlock(username: str):
    """Clear a username's failed sign-ins and lock."""
    unlock_username(runtime=runtime(), actor=signed_in(), username=username)
    return redirect(url_for("console.admin_users"), code=303)


@blp.route("/admin/users/<username>/password", methods=["GET", "POST"])
def admin_password(username: str):
    """Set a user's password (their sessions end)."""
    who = signed_in()
    who.require_admin()
    form = PasswordSetForm()
    status = 200
    if form.validate_on_submit():
        try:
            run(runtime(), user_set_password, actor=who, username=username, password=form.password.data,
                present=lambda u: u.id)
        except ValidationError as exc:
            attach_problems(form, exc, {"password": "password"})
            status = 422
        else:
            return redirect(url_for("console.admin_users"), code=303)
    elif request.method == "POST":
        status = 422
    return render_template("console/admin_password.html", form=form, username=username), status


@blp.get("/admin/audit")
def admin_audit():
    """The audit log with filters, a page at a time (oldest first), and its export as CSV."""
    who = signed_in()
    who.require_admin()
    form = AuditFilterForm(request.args, meta={"csrf": False})
    if not request.args:
        form.since.data = (datetime.now(UTC) - timedelta(days=7)).date()
    entries, export = [], None
    if form.validate():
        filters = AuditFilter(
            actor=form.actor.data or None, action=form.action.data or None, target_type=form.target_type.data or None,
            target_id=form.target_id.data or None,
            since=datetime.combine(form.since.data, time(), UTC) if form.since.data else None,
            until=datetime.combine(form.until.data + timedelta(days=1), time(), UTC) if form.until.data else None,
            after_seq=form.after.data or None)
        entries = read(runtime(), audit_list, actor=who, filters=filters, limit=AUDIT_PAGE,
                       present=lambda rows: [audit_entry_dict(e) for e in rows])
        query = {k: v for k, v in (("actor", filters.actor), ("action", filters.action),
                                   ("target_type", filters.target_type), ("target_id", filters.target_id),
                                   ("since", filters.since and filters.since.isoformat()),
                                   ("until", filters.until and filters.until.isoformat())) if v}
        export = url_for("audit.Audit", **query, format="csv")  # the API's export, with this session
    following = None
    if len(entries) == AUDIT_PAGE:
        following = url_for("console.admin_audit", **{**request.args.to_dict(), "after": entries[-1]["seq"]})
    return render_template("console/admin_audit.html", form=form, entries=entries, export=export, following=following)
