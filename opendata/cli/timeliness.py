"""``opendata timeliness [notify]``: the timeliness board (栏目不逾期) and the publishers' notices."""

from __future__ import annotations

import json
import sys
from datetime import date, datetime

import click

from opendata.core.errors import OpendataError


def register(main: click.Group) -> None:
    """Add the timeliness group to the main group."""

    @main.group(invoke_without_command=True)
    @click.option("--organization", default=None, help="This organisation and those under it (default: all).")
    @click.option("--within", type=int, default=None, help="Days ahead that count as due soon "
                  "(default OPENDATA_TIMELINESS_NOTICE_DAYS).")
    @click.option("--status", "statuses", multiple=True, help="overdue, due-soon, on-time, no-schedule (repeatable; "
                  "default overdue and due-soon).")
    @click.option("--limit", type=int, default=100, show_default=True, help="Datasets listed.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON.")
    @click.pass_context
    def timeliness(ctx, organization, within, statuses, limit, as_json) -> None:
        """Datasets overdue or due for an update by their frequency, and each organisation's on-time rate."""
        if ctx.invoked_subcommand is not None:
            return
        from opendata.services.timeliness.board import timeliness_board
        from opendata.services.timeliness.policy import TimelinessPolicy

        rt = ctx.obj.require_initialized()
        try:
            board = timeliness_board(runtime=rt, policy=TimelinessPolicy.from_config(rt.config),
                                     organization=organization, within=within,
                                     status=tuple(statuses) or ("overdue", "due-soon"), limit=limit)
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        if as_json:
            click.echo(json.dumps(board, ensure_ascii=False, indent=2,
                                  default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v)))
            return
        s = board["summary"]
        rate = "-" if s["on_time_rate"] is None else f"{s['on_time_rate']:.1%}"
        click.echo(f"{board['today']}: {s['overdue']} overdue, {s['due_soon']} due within {board['within']} days, "
                   f"{s['on_time']} on time, {s['no_schedule']} without schedule; on-time rate {rate}")
        for org in board["organizations"]:
            t = org["tree"]
            if t["datasets"]:
                org_rate = "-" if t["on_time_rate"] is None else f"{t['on_time_rate']:.1%}"
                click.echo(f"{'  ' * org['depth']}{org['organization']:<24} {org_rate:>7}  overdue {t['overdue']}, "
                           f"due soon {t['due_soon']}")
        for item in board["items"]:
            when = f"{-item['days_left']} day(s) overdue" if item["status"] == "overdue" else \
                f"due in {item['days_left']} day(s)" if item["days_left"] is not None else "no schedule"
            click.echo(f"{item['status']:<9} {item['due'] or '-'}  {item['dataset']}  ({item['organization']}, "
                       f"{item['frequency']}; {when})")
        if board["total"] > len(board["items"]):
            click.echo(f"… {board['total'] - len(board['items'])} more (--limit)")

    @timeliness.command("notify")
    @click.pass_obj
    def notify(obj) -> None:
        """Queue today's notices to publishers (due within the notice days, or overdue); idempotent."""
        from opendata.services.timeliness.notices import send_timeliness_notices
        from opendata.services.timeliness.policy import TimelinessPolicy

        rt = obj.require_initialized()
        try:
            report = send_timeliness_notices(runtime=rt, policy=TimelinessPolicy.from_config(rt.config))
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)
        click.echo(f"queued {report.due_soon} due-soon and {report.overdue} overdue notice(s); "
                   "`opendata outbox list` shows them")
