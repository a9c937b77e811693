"""``opendata disclosure request|list|show|step|reject``: disclosure changes from the command line.

The same rules as the API (opendata.services.disclosure): a loosening waits for the review steps,
a tightening is in force at once. Whoever runs the command acts as the trusted operator
(``cli:<login name>``, one person for separation of duties); ``--as USER`` acts with that user's
roles, so each step is recorded under the person who took it.
"""

from __future__ import annotations

import click

from opendata.cli.review import _echo_json, _fail, _viewer
from opendata.core.disclosure import CHANGE_STATES
from opendata.core.errors import OpendataError


def _print_change(c: dict) -> None:
    frm, to = c["from"], c["to"]
    click.echo(f"disclosure change {c['id']}: {c['dataset']} {frm['disclosure']} → {to['disclosure']} "
               f"[{c['state']}] ({c['title']}, {c['organization']})")
    if to["legal_basis"] or frm["legal_basis"]:
        click.echo(f"  legal basis: {frm['legal_basis'] or '-'} → {to['legal_basis'] or '-'}")
    click.echo(f"  reason: {c['reason']}")
    click.echo(f"  requested by {c['requested_by']} at {c['requested_at'][:16]} from {c['source']}")
    for d in c["decisions"]:
        click.echo(f"  {d['at'][:16]} {d['step']} ({d['outcome']}) by {d['actor']}" + (f": {d['note']}" if d["note"] else ""))
    if c["decided_at"]:
        click.echo(f"  {c['state']} at {c['decided_at'][:16]} by {c['decided_by']}: {c['decision_note'] or ''}")
    steps = c["steps"]
    click.echo(f"  steps: {' → '.join(steps['configured'])}; next: {steps['next'] or '-'}")


def register(main: click.Group) -> None:
    """Add the disclosure group to the main group."""

    @main.group()
    def disclosure() -> None:
        """Disclosure changes: ask for a class, review the loosenings that wait (三审)."""

    def run(obj, as_user: str | None, work):
        rt = obj.require_initialized()
        try:
            with rt.sessions() as session:
                viewer = _viewer(session, as_user)
            return work(rt, viewer)
        except OpendataError as exc:
            _fail(exc)

    @disclosure.command("request")
    @click.argument("dataset")
    @click.argument("disclosure_class", metavar="CLASS")
    @click.option("--legal-basis", default=None, help="Required for conditional and closed; none for unconditional.")
    @click.option("--reason", required=True, help="Why the class changes (recorded).")
    @click.option("--as", "as_user", default=None, help="Ask as this user (their roles apply).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def request_cmd(obj, dataset: str, disclosure_class: str, legal_basis: str | None, reason: str,
                    as_user: str | None, as_json: bool) -> None:
        """Ask for CLASS (unconditional, conditional, closed) for DATASET."""
        from opendata.services.disclosure import request_disclosure_change

        change = run(obj, as_user, lambda rt, viewer: request_disclosure_change(
            runtime=rt, viewer=viewer, identifier=dataset, disclosure=disclosure_class, legal_basis=legal_basis,
            reason=reason, source="cli"))
        if as_json:
            _echo_json(change)
        elif change["state"] == "pending":
            click.echo(f"held for review: disclosure change {change['id']} ({dataset} {change['from']['disclosure']} "
                       f"→ {change['to']['disclosure']}); next step: {change['steps']['next']}")
        else:
            click.echo(f"{dataset} is now {change['to']['disclosure']} (disclosure change {change['id']}, "
                       "in force at once)")

    @disclosure.command("list")
    @click.option("--state", type=click.Choice([*CHANGE_STATES, "all"]), default="pending", show_default=True)
    @click.option("--dataset", default=None, help="Only this dataset's changes.")
    @click.option("--as", "as_user", default=None, help="List what this user may see (default: everything).")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def list_cmd(obj, state: str, dataset: str | None, as_user: str | None, as_json: bool) -> None:
        """Disclosure changes, oldest first (pending ones by default)."""
        from opendata.services.disclosure import list_disclosure_changes

        changes = run(obj, as_user, lambda rt, viewer: list_disclosure_changes(
            runtime=rt, viewer=viewer, state=None if state == "all" else state, dataset=dataset))
        if as_json:
            _echo_json(changes)
            return
        if not changes:
            click.echo("no disclosure changes" + ("" if state == "all" else f" {state}"))
        for c in changes:
            click.echo(f"{c['id']:>5}  {c['dataset']}  {c['from']['disclosure']} → {c['to']['disclosure']}  "
                       f"{c['state']}  next: {c['steps']['next'] or '-'}  from {c['source']}")

    @disclosure.command("show")
    @click.argument("change_id", type=int)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def show_cmd(obj, change_id: int, as_json: bool) -> None:
        """One disclosure change with its steps."""
        from opendata.services.disclosure import show_disclosure_change

        change = run(obj, None, lambda rt, viewer: show_disclosure_change(runtime=rt, viewer=viewer,
                                                                          change_id=change_id))
        _echo_json(change) if as_json else _print_change(change)

    @disclosure.command("step")
    @click.argument("change_id", type=int)
    @click.argument("step")
    @click.option("--note", default=None, help="A note recorded with the step.")
    @click.option("--as", "as_user", default=None, help="Take the step as this user (their roles apply).")
    @click.pass_obj
    def step_cmd(obj, change_id: int, step: str, note: str | None, as_user: str | None) -> None:
        """Take the next review step of a pending change (the last one puts the class in force)."""
        from opendata.services.disclosure import take_disclosure_step

        change = run(obj, as_user, lambda rt, viewer: take_disclosure_step(
            runtime=rt, viewer=viewer, change_id=change_id, step=step, note=note))
        click.echo(f"disclosure change {change_id}: step '{step}' taken; now {change['state']}"
                   + (f", next: {change['steps']['next']}" if change["steps"]["next"] else ""))

    @disclosure.command("reject")
    @click.argument("change_id", type=int)
    @click.option("--reason", required=True, help="Why the change is rejected (recorded).")
    @click.option("--as", "as_user", default=None, help="Reject as this user (their roles apply).")
    @click.pass_obj
    def reject_cmd(obj, change_id: int, reason: str, as_user: str | None) -> None:
        """Reject a pending disclosure change, with a reason (the class stays)."""
        from opendata.services.disclosure import reject_disclosure_change

        run(obj, as_user, lambda rt, viewer: reject_disclosure_change(runtime=rt, viewer=viewer,
                                                                      change_id=change_id, reason=reason))
        click.echo(f"rejected disclosure change {change_id}")
