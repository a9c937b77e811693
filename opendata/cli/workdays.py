"""``opendata workdays DATE N`` and ``opendata workdays DATE1 DATE2``: the deadline arithmetic by hand.

The same function the request deadlines use (opendata.core.workdays), so staff can check a date
the platform computed: the start day is not counted, public holidays and make-up working days
(调休) follow the official calendar, and a year the installed calendar does not cover is counted
Monday to Friday with a warning on standard error.
"""

from __future__ import annotations

import json
import re
import sys

import click

from opendata.core.errors import OpendataError


@click.command("workdays")
@click.argument("start")
@click.argument("end_or_days")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (with the calendar version and any warning).")
def workdays_cmd(start: str, end_or_days: str, as_json: bool) -> None:
    """DATE N: the date N working days after DATE. DATE1 DATE2: working days after DATE1 up to DATE2."""
    from opendata.core.workdays import official_calendar, parse_day

    calendar = official_calendar()
    try:
        first = parse_day(start, "DATE")
        if re.fullmatch(r"[+-]?\d{1,5}", end_or_days.strip()):
            days = int(end_or_days)
            answer = calendar.add_workdays(first, days)
            value, result = answer.date.isoformat(), {"date": answer.date.isoformat(), "days": days}
        else:
            second = parse_day(end_or_days, "DATE2")
            answer = calendar.count_workdays(first, second)
            value, result = str(answer.days), {"days": answer.days, "until": second.isoformat()}
    except OpendataError as exc:
        click.echo(f"error: {exc.message}", err=True)
        sys.exit(2)
    if as_json:
        click.echo(json.dumps({"from": first.isoformat(), **result, "calendar": answer.calendar_version,
                               "uncovered_years": list(answer.uncovered_years), "warning": answer.warning},
                              ensure_ascii=False))
    else:
        click.echo(value)
    if answer.warning:
        click.echo(f"warning: {answer.warning}", err=True)


def register(main: click.Group) -> None:
    """Add ``workdays`` to the main group."""
    main.add_command(workdays_cmd)
