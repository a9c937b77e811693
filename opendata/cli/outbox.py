"""``opendata outbox list|send|retry``: the messages to applicants, staff and publishers.

``send`` delivers what is due over SMTP (OPENDATA_SMTP_*), for cron when the server's worker is
turned off; ``retry`` queues a failed or unknown message again, on purpose (audited).
"""

from __future__ import annotations

import json
import sys

import click

from opendata.core.errors import OpendataError


def register(main: click.Group) -> None:
    """Add the outbox group to the main group."""

    @main.group()
    def outbox() -> None:
        """The outbox of notifications: list, send by SMTP, retry."""

    @outbox.command("list")
    @click.option("--state", "states", multiple=True, help="pending, sending, sent, failed, unknown, manual.")
    @click.option("--limit", type=int, default=50, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_obj
    def list_cmd(obj, states, limit, as_json) -> None:
        """Messages, newest first, with their state and last error."""
        from opendata.cli.accounts import _operator
        from opendata.services.outbox import message_dict, outbox_list

        rt = obj.require_initialized()
        try:
            with rt.sessions() as session:
                found = [message_dict(m) for m in outbox_list(session=session, actor=_operator(),
                                                              states=tuple(states), limit=limit)]
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
            return
        for m in found:
            click.echo(f"{m['id']:>6} {m['state']:<8} {m['topic']:<24} {m['recipient'] or '(manual)':<30} "
                       f"{m['subject'][:50]}" + (f"  [{m['last_error'][:60]}]" if m["last_error"] else ""))

    @outbox.command("send")
    @click.option("--limit", type=int, default=500, show_default=True, help="Most messages to send in this run.")
    @click.pass_obj
    def send_cmd(obj, limit) -> None:
        """Deliver the messages that are due (needs OPENDATA_SMTP_HOST)."""
        from opendata.services.outbox import DeliveryPolicy, outbox_deliver
        from opendata.services.smtp import SmtpTransport

        rt = obj.require_initialized()
        transport = SmtpTransport.from_config(rt.config)
        if transport is None:
            click.echo("error: OPENDATA_SMTP_HOST is not set; messages stay in the outbox", err=True)
            sys.exit(1)
        report = outbox_deliver(sessions=rt.sessions, transport=transport,
                                policy=DeliveryPolicy.from_config(rt.config), limit=limit)
        click.echo(f"sent {report.sent}, to retry {report.retried}, failed {report.failed}, unknown {report.unknown}")

    @outbox.command("retry")
    @click.argument("message_id", type=int)
    @click.pass_obj
    def retry_cmd(obj, message_id) -> None:
        """Send a failed or unknown message again (it may reach its recipient twice: that is the choice made)."""
        from opendata.cli.accounts import _operator
        from opendata.services.outbox import outbox_retry
        from opendata.store.db import transaction

        rt = obj.require_initialized()
        try:
            with transaction(rt.sessions) as session:
                outbox_retry(session=session, actor=_operator(), message_id=message_id)
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"message {message_id} queued again")
