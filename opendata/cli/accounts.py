"""Accounts subcommands: ``opendata users|tokens|grants|audit …``.

Whoever runs the command has the database, so acts as a trusted operator (an administrator);
the audit log records them as ``cli:<login name>``.
"""

from __future__ import annotations

import getpass
import json
import sys
from datetime import UTC, datetime, timedelta

import click

from opendata.core.errors import OpendataError

ROLE_CHOICE = click.Choice(["administrator", "publisher", "reviewer", "requester"])
SCOPE_CHOICE = click.Choice(["read", "publish", "review", "admin"])


def _operator():
    from opendata.services.access import system_viewer

    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        name = "unknown"
    return system_viewer(f"cli:{name}")


def _run(obj, work):
    """Run ``work(session, operator)`` in one transaction; errors print and exit 1."""
    from opendata.store.db import transaction

    rt = obj.require_initialized()
    try:
        with transaction(rt.sessions) as session:
            return work(session, _operator())
    except OpendataError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _when(value: datetime | None) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if value else "-"


def _json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def register(main: click.Group) -> None:
    """Add the users, tokens, grants and audit groups to the main group."""
    main.add_command(users)
    main.add_command(tokens)
    main.add_command(grants)
    main.add_command(audit)


@click.group()
def users() -> None:
    """Manage users and their roles."""


@users.command("create")
@click.argument("username")
@click.option("--name", "display_name", default="", help="Display name (default: the username).")
@click.option("--email", default=None, help="E-mail address.")
@click.option("--organization", default=None, help="Organization id (slug) the user belongs to.")
@click.option("--role", "roles", type=ROLE_CHOICE, multiple=True,
              help="Role to give, for the user's organization and its sub-organizations (repeatable).")
@click.option("--password", "ask_password", is_flag=True, help="Prompt for a password (for the portal).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.pass_obj
def users_create(obj, username, display_name, email, organization, roles, ask_password, password_stdin) -> None:
    """Create a user, optionally with roles and a password."""
    from opendata.services.accounts import role_grant, user_create

    password = _read_password(password_stdin) if (ask_password or password_stdin) else None

    def work(session, op):
        user = user_create(session=session, actor=op, username=username, display_name=display_name,
                           email=email, organization=organization, password=password)
        for role in roles:
            role_grant(session=session, actor=op, username=username, role=role)
        return user

    _run(obj, work)
    click.echo(f"created user {username}" + (f" with role(s) {', '.join(roles)}" if roles else ""))


@users.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def users_list(obj, as_json) -> None:
    """List users with their organization and roles."""
    from opendata.services.accounts import user_list

    def work(session, _op):
        return [{"username": u.username, "name": u.display_name, "email": u.email,
                 "organization": u.organization.slug if u.organization else None, "active": u.active,
                 "roles": [f"{a.role}@{a.organization.slug}" if a.organization else a.role for a in u.roles]}
                for u in user_list(session=session)]

    rows = _run(obj, work)
    if as_json:
        _json(rows)
        return
    for r in rows:
        state = "" if r["active"] else " (deactivated)"
        click.echo(f"{r['username']:<20} {r['organization'] or '-':<20} {', '.join(r['roles']) or '-'}{state}")


@users.command("set-password")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of standard input.")
@click.pass_obj
def users_set_password(obj, username, password_stdin) -> None:
    """Set a user's password (prompted, never on the command line)."""
    from opendata.services.accounts import user_set_password

    password = _read_password(password_stdin)
    _run(obj, lambda s, op: user_set_password(session=s, actor=op, username=username, password=password))
    click.echo(f"password set for {username}")


@users.command("grant-role")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--organization", default=None, help="Organization (default: the user's own).")
@click.pass_obj
def users_grant_role(obj, username, role, organization) -> None:
    """Give USERNAME a ROLE for an organization and its sub-organizations."""
    from opendata.services.accounts import role_grant

    _run(obj, lambda s, op: role_grant(session=s, actor=op, username=username, role=role,
                                       organization=organization))
    click.echo(f"{username} is {role}" + (f" for {organization}" if organization else ""))


@users.command("revoke-role")
@click.argument("username")
@click.argument("role", type=ROLE_CHOICE)
@click.option("--organization", default=None, help="Only for this organization (default: every one).")
@click.pass_obj
def users_revoke_role(obj, username, role, organization) -> None:
    """Take ROLE away from USERNAME."""
    from opendata.services.accounts import role_revoke

    _run(obj, lambda s, op: role_revoke(session=s, actor=op, username=username, role=role,
                                        organization=organization))
    click.echo(f"{username} is no longer {role}" + (f" for {organization}" if organization else ""))


@users.command("deactivate")
@click.argument("username")
@click.pass_obj
def users_deactivate(obj, username) -> None:
    """Deactivate a user: their tokens stop working at once."""
    from opendata.services.accounts import user_set_active

    _run(obj, lambda s, op: user_set_active(session=s, actor=op, username=username, active=False))
    click.echo(f"deactivated {username}")


@click.group()
def tokens() -> None:
    """Manage API tokens (shown once when created, stored only as a hash)."""


@tokens.command("create")
@click.argument("username")
@click.option("--name", required=True, help="What the token is for (e.g. the machine that uses it).")
@click.option("--scope", "scopes", type=SCOPE_CHOICE, multiple=True,
              help="Scope (repeatable; read is always included).")
@click.option("--days", type=int, default=None, help="Lifetime in days (default: OPENDATA_TOKEN_LIFETIME_DAYS).")
@click.pass_obj
def tokens_create(obj, username, name, scopes, days) -> None:
    """Create a token for USERNAME and print it once."""
    from opendata.services.tokens import token_create

    config = obj.runtime.config
    created = _run(obj, lambda s, op: token_create(
        session=s, actor=op, username=username, name=name, scopes=list(scopes) or ["read"],
        lifetime_days=days or config.TOKEN_LIFETIME_DAYS, max_lifetime_days=config.TOKEN_MAX_LIFETIME_DAYS))
    click.echo(created.plain)
    click.echo(f"token {created.token.id} for {username} ({', '.join(created.token.scopes)}), expires "
               f"{_when(created.token.expires_at)} UTC. It is shown only this once: store it now.", err=True)


@tokens.command("list")
@click.argument("username", required=False)
@click.option("--all", "include_inactive", is_flag=True, help="Include revoked and expired tokens.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def tokens_list(obj, username, include_inactive, as_json) -> None:
    """List tokens (of USERNAME, or everyone's) without their secrets."""
    from opendata.services.tokens import token_list, token_snapshot

    rows = _run(obj, lambda s, op: [token_snapshot(t) for t in token_list(
        session=s, actor=op, username=username, include_inactive=include_inactive)])
    if as_json:
        _json(rows)
        return
    for t in rows:
        state = "revoked" if t["revoked_at"] else f"expires {_when(t['expires_at'])}"
        click.echo(f"{t['id']:>5} od_{t['prefix']}_…  {t['user']:<16} {t['name']:<20} {','.join(t['scopes']):<24} "
                   f"{state}  last used {_when(t['last_used_at'])}")


@tokens.command("revoke")
@click.argument("token_id", type=int)
@click.pass_obj
def tokens_revoke(obj, token_id) -> None:
    """Revoke a token by its id; it stops working at once."""
    from opendata.services.tokens import token_revoke

    _run(obj, lambda s, op: token_revoke(session=s, actor=op, token_id=token_id))
    click.echo(f"revoked token {token_id}")


@click.group()
def grants() -> None:
    """Manage access grants to conditional datasets."""


@grants.command("create")
@click.argument("dataset")
@click.option("--user", "username", default=None, help="Requester's username.")
@click.option("--organization", default=None, help="Requester organization (slug), instead of a user.")
@click.option("--purpose", required=True, help="Why access is granted (recorded).")
@click.option("--days", type=int, default=None, help="Days until the grant expires.")
@click.option("--until", type=click.DateTime(["%Y-%m-%d"]), default=None, help="Expiry date (UTC midnight).")
@click.pass_obj
def grants_create(obj, dataset, username, organization, purpose, days, until) -> None:
    """Grant a requester access to DATASET's data until a date."""
    from opendata.services.grants import grant_create

    if (days is None) == (until is None):
        raise click.UsageError("give either --days or --until")
    expires = until.replace(tzinfo=UTC) if until else datetime.now(UTC) + timedelta(days=days)
    grant = _run(obj, lambda s, op: grant_create(session=s, actor=op, dataset=dataset, purpose=purpose,
                                                 expires_at=expires, username=username,
                                                 organization=organization))
    click.echo(f"grant {grant.id}: {username or organization} may receive {dataset} until {_when(expires)} UTC")


@grants.command("list")
@click.argument("dataset", required=False)
@click.option("--active", "active_only", is_flag=True, help="Only unexpired, unrevoked grants.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def grants_list(obj, dataset, active_only, as_json) -> None:
    """List access grants (of DATASET, or all)."""
    from opendata.services.grants import grant_list, grant_snapshot

    rows = _run(obj, lambda s, op: [grant_snapshot(g) for g in grant_list(
        session=s, actor=op, dataset=dataset, active_only=active_only)])
    if as_json:
        _json(rows)
        return
    now = datetime.now(UTC)
    for g in rows:
        state = "revoked" if g["revoked_at"] else ("expired" if g["expires_at"] <= now else "active")
        click.echo(f"{g['id']:>5} {g['dataset']:<28} {g['user'] or g['organization']:<20} {state:<8} "
                   f"until {_when(g['expires_at'])}  {g['purpose']}")


@grants.command("revoke")
@click.argument("grant_id", type=int)
@click.pass_obj
def grants_revoke(obj, grant_id) -> None:
    """Revoke an access grant at once."""
    from opendata.services.grants import grant_revoke

    _run(obj, lambda s, op: grant_revoke(session=s, actor=op, grant_id=grant_id))
    click.echo(f"revoked grant {grant_id}")


def _filter_options(command):
    for option in reversed([
        click.option("--actor", default=None, help="Only entries by this actor."),
        click.option("--action", default=None, help="Only this action (e.g. token-created)."),
        click.option("--target-type", default=None, help="Only this kind of target (user, token, …)."),
        click.option("--target-id", default=None, help="Only this target."),
        click.option("--source", default=None, help="Only changes from this source (catalog.yaml@sha256:<hex>)."),
        click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
                     help="From this UTC time."),
        click.option("--until", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]), default=None,
                     help="Before this UTC time."),
    ]):
        command = option(command)
    return command


def _audit_filter(actor, action, target_type, target_id, source, since, until, after_seq=None):
    from opendata.services.audit import AuditFilter

    return AuditFilter(actor=actor, action=action, target_type=target_type, target_id=target_id, source=source,
                       since=since.replace(tzinfo=UTC) if since else None,
                       until=until.replace(tzinfo=UTC) if until else None, after_seq=after_seq)


@click.group()
def audit() -> None:
    """Read the append-only audit log."""


@audit.command("list")
@_filter_options
@click.option("--after-seq", type=int, default=None, help="Only entries after this sequence number.")
@click.option("--limit", type=int, default=100, show_default=True, help="At most this many entries.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def audit_list_cmd(obj, actor, action, target_type, target_id, source, since, until, after_seq, limit,
                   as_json) -> None:
    """List audit entries, oldest first."""
    from opendata.services.audit import audit_entry_dict, audit_list

    flt = _audit_filter(actor, action, target_type, target_id, source, since, until, after_seq)
    rows = _run(obj, lambda s, op: [audit_entry_dict(e) for e in audit_list(session=s, actor=op, filters=flt,
                                                                             limit=limit)])
    if as_json:
        _json(rows)
        return
    for e in rows:
        click.echo(f"{e['seq']:>7} {e['at'][:19]} {e['actor']:<20} {e['action']:<18} "
                   f"{e['target_type']}:{e['target_id'] or '-'}")


@audit.command("export")
@_filter_options
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.File("w", encoding="utf-8"), default="-",
              help="File to write (default: standard output).")
@click.pass_obj
def audit_export_cmd(obj, actor, action, target_type, target_id, source, since, until, fmt, output) -> None:
    """Export the matching audit entries as CSV or JSON."""
    from opendata.services.audit import audit_export

    flt = _audit_filter(actor, action, target_type, target_id, source, since, until)
    _run(obj, lambda s, op: [output.write(chunk) for chunk in audit_export(session=s, actor=op, fmt=fmt,
                                                                            filters=flt)])
