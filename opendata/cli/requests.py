"""``opendata requests list|show|assign|correct|extend|pause|resume|note|fees|decide|sweep|often``.

The command acts as a trusted operator (``cli:<login name>``, every organisation) unless ``--as
USER`` acts with that user's roles. Dates and deadlines are those the API shows; the identity
number is masked except for the handler acting as themself.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from pathlib import Path

import click

from opendata.core.errors import OpendataError

AS_USER = click.option("--as", "as_user", default=None, help="Act with this user's roles instead of as the operator.")
AS_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")


def _viewer(rt, as_user: str | None):
    from opendata.cli.accounts import _operator
    from opendata.services.accounts import user_get, viewer_for_user

    if not as_user:
        return _operator()
    with rt.sessions() as session:
        return viewer_for_user(session=session, user=user_get(session=session, username=as_user))


def _policy(rt):
    from opendata.services.requests.policy import RequestPolicy

    return RequestPolicy.from_config(rt.config)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=_default))


def _default(value):
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def _code(text: str) -> str:
    from opendata.core.requests.applicant import normalize_tracking_code

    code = normalize_tracking_code(text)
    if code is None:
        click.echo(f"error: {text!r} is not a tracking code", err=True)
        sys.exit(1)
    return code


def _print_detail(d: dict) -> None:
    flags = [f for f, on in (("OVERDUE", d["overdue"]), ("due soon", d["due_soon"])) if on]
    click.echo(f"{d['tracking_code']}  {d['state']}  {d['organization']}  {d['kind']}"
               + (f"  [{', '.join(flags)}]" if flags else ""))
    click.echo(f"  subject: {d['subject']}")
    click.echo(f"  applicant: {d['applicant_name']} ({d['applicant_type']}), {d['id_type']} {d['id_number']}")
    click.echo(f"  received {d['receipt_date']}, due {d['due_date']}"
               + (f" ({d['days_left']} working days left)" if d["days_left"] is not None else "")
               + f", handler {d['handler'] or '-'}; calendar {d['calendar_version']}")
    if d["calendar_warning"]:
        click.echo(f"  warning: {d['calendar_warning']}")
    if d["outcome_row"]:
        click.echo(f"  outcome: {d['outcome_row']}" + (f"; basis: {d['legal_basis']}" if d["legal_basis"] else ""))
    if d["reply"]:
        files = ", ".join(f"{a['filename']} ({a['bytes']} B)" for a in d["reply"]["attachments"]) or "no files"
        click.echo(f"  reply sha256 {d['reply']['sha256']}; {files}")
    if d["fee"]:
        f = d["fee"]
        click.echo(f"  fee: ¥{f['amount']} ({f['basis']}, {f['units']}), due {f['payment_due']}, "
                   f"paid {f['paid_on'] or '-'}")
    for e in d["timeline"]:
        who = "" if e["public"] else " (internal)"
        click.echo(f"  {str(e['at'])[:16]} {e['action']} by {e['actor']}{who}" + (f": {e['text']}" if e["text"] else ""))


def register(main: click.Group) -> None:
    """Add the requests group to the main group."""

    @main.group()
    def requests() -> None:
        """Requests for disclosure (依申请公开) and data-access applications: queue, handling, decisions."""

    def run(obj, as_user, work):
        rt = obj.require_initialized()
        try:
            return work(rt, _viewer(rt, as_user), _policy(rt))
        except OpendataError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    def show_after(obj, as_user, code, as_json=False):
        from opendata.services.requests.queue import staff_detail

        def work(rt, viewer, policy):
            with rt.sessions() as session:
                return staff_detail(session=session, policy=policy, viewer=viewer, code=code)

        detail = run(obj, as_user, work)
        _echo_json(detail) if as_json else _print_detail(detail)

    @requests.command("list")
    @click.option("--organization", default=None, help="Organisation id (default: every one you read).")
    @click.option("--state", "states", multiple=True, help="open, awaiting-correction, paused, awaiting-payment, "
                  "closed (repeatable).")
    @click.option("--overdue", is_flag=True, help="Only overdue requests.")
    @click.option("--due-within", type=int, default=None, help="Only requests due within N working days.")
    @click.option("--handler", default=None, help="A username, or 'none' for unassigned requests.")
    @click.option("--limit", type=int, default=50, show_default=True)
    @AS_USER
    @AS_JSON
    @click.pass_obj
    def list_cmd(obj, organization, states, overdue, due_within, handler, limit, as_user, as_json) -> None:
        """The queue, soonest due first, with days left and the overdue and due-soon flags."""
        from opendata.services.requests.queue import QueueFilter, list_queue

        f = QueueFilter(organization=organization, states=tuple(states), overdue=True if overdue else None,
                        due_within=due_within, handler=handler, limit=limit)

        def work(rt, viewer, policy):
            return list_queue(runtime=rt, policy=policy, viewer=viewer, f=f)

        page = run(obj, as_user, work)
        if as_json:
            _echo_json(page)
            return
        if page["calendar_warning"]:
            click.echo(f"warning: {page['calendar_warning']}", err=True)
        for i in page["items"]:
            flag = "OVERDUE" if i["overdue"] else ("due soon" if i["due_soon"] else "")
            left = "" if i["days_left"] is None else f"{i['days_left']:>4}"
            click.echo(f"{i['tracking_code']}  {i['state']:<19} due {i['due_date']} {left:>4} {flag:<8} "
                       f"{i['organization']:<12} {i['handler'] or '-':<10} {i['subject'][:40]}")
        click.echo(f"{page['total']} request(s)")

    @requests.command("show")
    @click.argument("code")
    @AS_USER
    @AS_JSON
    @click.pass_obj
    def show_cmd(obj, code, as_user, as_json) -> None:
        """A request's whole record and timeline (internal notes marked)."""
        show_after(obj, as_user, _code(code), as_json)

    @requests.command("assign")
    @click.argument("code")
    @click.argument("handler")
    @AS_USER
    @click.pass_obj
    def assign_cmd(obj, code, handler, as_user) -> None:
        """Make HANDLER (a publisher or reviewer of the receiving organisation) the request's handler."""
        from opendata.services.requests.handling import assign_request

        code = _code(code)
        run(obj, as_user, lambda rt, v, p: assign_request(runtime=rt, viewer=v, code=code, handler=handler))
        show_after(obj, as_user, code)

    @requests.command("correct")
    @click.argument("code")
    @click.option("--reason", default=None, help="Ask for a correction (补正), saying what is missing.")
    @click.option("--days", type=int, default=None, help="Working days to correct (default: the setting).")
    @click.option("--received", "received", default=None, help="Record the corrected text that came by post or in "
                  "person (the clock restarts).")
    @click.option("--at", "at", type=click.DateTime(), default=None, help="When the correction arrived (local time).")
    @AS_USER
    @click.pass_obj
    def correct_cmd(obj, code, reason, days, received, at, as_user) -> None:
        """Ask for a correction (--reason), or record the corrected request (--received TEXT)."""
        from opendata.services.requests import handling

        if (reason is None) == (received is None):
            raise click.UsageError("give either --reason (ask) or --received (record the correction)")
        code = _code(code)

        def work(rt, viewer, policy):
            if reason is not None:
                return handling.request_correction(runtime=rt, policy=policy, viewer=viewer, code=code, reason=reason,
                                                   period_days=days)
            arrived = at.replace(tzinfo=policy.timezone) if at else None
            return handling.receive_correction(runtime=rt, policy=policy, viewer=viewer, code=code,
                                               description=received, received_at=arrived)

        run(obj, as_user, work)
        show_after(obj, as_user, code)

    @requests.command("extend")
    @click.argument("code")
    @click.option("--days", type=int, required=True, help="Working days (at most 20; once per request).")
    @click.option("--approver", required=True, help="Who approved the extension.")
    @click.option("--reason", required=True, help="Why (sent to the applicant).")
    @AS_USER
    @click.pass_obj
    def extend_cmd(obj, code, days, approver, reason, as_user) -> None:
        """Extend the reply period once, before it ends; the applicant is told."""
        from opendata.services.requests.handling import extend_request

        code = _code(code)
        run(obj, as_user, lambda rt, v, p: extend_request(runtime=rt, policy=p, viewer=v, code=code, days=days,
                                                          approver=approver, reason=reason))
        show_after(obj, as_user, code)

    @requests.command("pause")
    @click.argument("code")
    @click.option("--kind", type=click.Choice(["third-party", "agency"]), required=True)
    @click.option("--party", required=True, help="Who is consulted.")
    @click.option("--reason", required=True)
    @AS_USER
    @click.pass_obj
    def pause_cmd(obj, code, kind, party, reason, as_user) -> None:
        """Stop the clock for a consultation (a third party: 15 working days at most)."""
        from opendata.services.requests.handling import pause_request

        code = _code(code)
        run(obj, as_user, lambda rt, v, p: pause_request(runtime=rt, policy=p, viewer=v, code=code, kind=kind,
                                                         party=party, reason=reason))
        show_after(obj, as_user, code)

    @requests.command("resume")
    @click.argument("code")
    @click.option("--note", default=None)
    @click.option("--on", "resumed_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="The day the answer came (default: today).")
    @AS_USER
    @click.pass_obj
    def resume_cmd(obj, code, note, resumed_on, as_user) -> None:
        """Restart the clock after a consultation; the due date moves by the paused working days."""
        from opendata.services.requests.handling import resume_request

        code = _code(code)
        day = resumed_on.date() if resumed_on else None
        run(obj, as_user, lambda rt, v, p: resume_request(runtime=rt, policy=p, viewer=v, code=code, note=note,
                                                          resumed_on=day))
        show_after(obj, as_user, code)

    @requests.command("note")
    @click.argument("code")
    @click.argument("text")
    @AS_USER
    @click.pass_obj
    def note_cmd(obj, code, text, as_user) -> None:
        """Add an internal note (never shown to the applicant)."""
        from opendata.services.requests.handling import add_note

        code = _code(code)
        run(obj, as_user, lambda rt, v, p: add_note(runtime=rt, viewer=v, code=code, text=text))
        click.echo("noted")

    @requests.command("fees")
    @click.argument("code")
    @click.option("--basis", type=click.Choice(["per-item", "per-page"]), default=None, help="Send a fee notice.")
    @click.option("--units", type=int, default=None, help="Items (per-item) or pages (per-page).")
    @click.option("--paid", is_flag=True, help="Record the payment.")
    @click.option("--on", "paid_on", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Payment day.")
    @click.option("--reference", default=None, help="Payment reference.")
    @AS_USER
    @click.pass_obj
    def fees_cmd(obj, code, basis, units, paid, paid_on, reference, as_user) -> None:
        """Send a fee notice (--basis B --units N: the amount comes from the 109号 bands) or record payment (--paid)."""
        from opendata.services.requests import charging

        if paid == (basis is not None):
            raise click.UsageError("give either --basis and --units (notice) or --paid (payment)")
        if basis is not None and units is None:
            raise click.UsageError("--units is required with --basis")
        code = _code(code)

        def work(rt, viewer, policy):
            if paid:
                return charging.record_payment(runtime=rt, policy=policy, viewer=viewer, code=code,
                                               paid_on=paid_on.date() if paid_on else None, reference=reference)
            return charging.notify_fee(runtime=rt, policy=policy, viewer=viewer, code=code, basis=basis, units=units)

        run(obj, as_user, work)
        show_after(obj, as_user, code)

    @requests.command("decide")
    @click.argument("code")
    @click.option("--outcome", required=True, help="A row of the 2021 template, e.g. disclosed, partial, "
                  "withheld-third-party, unavailable-not-held, not-processed-repeat, other.")
    @click.option("--reply", default=None, help="The reply text.")
    @click.option("--reply-file", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="The reply text from a UTF-8 file.")
    @click.option("--legal-basis", default=None, help="Required when anything is withheld.")
    @click.option("--attach", "attach", multiple=True, type=click.Path(exists=True, dir_okay=False),
                  help="A file of the reply (repeatable).")
    @click.option("--mask", multiple=True, help="A masked column (partial decisions on datasets).")
    @click.option("--drop", multiple=True, help="A dropped column (partial decisions on datasets).")
    @click.option("--grant-until", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="Last day of access for an approved data-access application (default: the period asked).")
    @AS_USER
    @click.pass_obj
    def decide_cmd(obj, code, outcome, reply, reply_file, legal_basis, attach, mask, drop, grant_until,
                   as_user) -> None:
        """Decide the request: outcome, legal basis, reply text and files, sealed with a sha256."""
        from opendata.services.requests.attachments import add_attachment
        from opendata.services.requests.decision import decide_request

        if (reply is None) == (reply_file is None):
            raise click.UsageError("give either --reply or --reply-file")
        text = reply if reply is not None else Path(reply_file).read_text(encoding="utf-8")
        code = _code(code)

        def work(rt, viewer, policy):
            ids = []
            for path in attach:
                with open(path, "rb") as fh:
                    ids.append(add_attachment(runtime=rt, policy=policy, viewer=viewer, code=code,
                                              filename=Path(path).name, stream=fh).id)
            columns = {k: list(v) for k, v in (("masked", mask), ("dropped", drop)) if v}
            return decide_request(runtime=rt, policy=policy, viewer=viewer, code=code, outcome=outcome, reply=text,
                                  legal_basis=legal_basis, attachment_ids=ids, withheld_columns=columns or None,
                                  grant_until=grant_until.date() if grant_until else None)

        run(obj, as_user, work)
        show_after(obj, as_user, code)

    @requests.command("sweep")
    @click.pass_obj
    def sweep_cmd(obj) -> None:
        """Apply the deadlines now: close missed corrections (六.1) and unpaid fees (六.2), resume overrun pauses,
        queue due-soon and overdue reminders. Safe to run often (cron)."""
        from opendata.services.requests.sweep import sweep_requests

        report = run(obj, None, lambda rt, v, p: sweep_requests(runtime=rt, policy=p))
        click.echo(f"closed without correction: {len(report.closed_no_correction)}; closed unpaid: "
                   f"{len(report.closed_unpaid)}; resumed: {len(report.resumed)}; reminders queued: {report.reminded}")

    @requests.command("often")
    @click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
    @click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), required=True)
    @click.option("--organization", default=None)
    @click.option("--threshold", type=int, default=None, help="Different applicants (default: the setting).")
    @AS_USER
    @AS_JSON
    @click.pass_obj
    def often_cmd(obj, since, until, organization, threshold, as_user, as_json) -> None:
        """Datasets and subjects several different applicants asked for (Art. 44 self-review)."""
        from opendata.services.requests.often import often_requested

        listing = run(obj, as_user, lambda rt, v, p: often_requested(
            runtime=rt, policy=p, viewer=v, since=since.date(), until=until.date(), organization=organization,
            threshold=threshold))
        if as_json:
            _echo_json(listing)
            return
        for item in listing["items"]:
            target = item["dataset"]["id"] if item["dataset"] else item["subject"]
            click.echo(f"{item['applicants']:>4} applicants  {item['requests']:>4} requests  {item['kind']:<8} "
                       f"{target}  outcomes {item['outcomes']}  next: {item['action'] or '-'}")
        click.echo(f"{len(listing['items'])} item(s) at {listing['threshold']} or more different applicants")
