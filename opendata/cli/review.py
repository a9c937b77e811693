"""``opendata review list|show|step|reject|resolve``: the review workflow (三审) from the command line.

Whoever runs the command has the database, so acts as a trusted operator (recorded as
``cli:<login name>``); ``--as USER`` acts with that user's roles instead, so the steps of one
version are recorded under the people who took them and separation of duties applies.
"""

from __future__ import annotations

import json
import sys

import click

from opendata.core.errors import OpendataError


def _viewer(session, as_user: str | None):
    from opendata.cli.accounts import _operator
    from opendata.services.accounts import user_get, viewer_for_user

    if not as_user:
        return _operator()
    return viewer_for_user(session=session, user=user_get(session=session, username=as_user))


def _steps(rt) -> tuple[str, ...]:
    from opendata.services.review import parse_review_steps

    return parse_review_steps(rt.config.REVIEW_STEPS)


def _fail(exc: OpendataError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _print_view(view: dict) -> None:
    ds, v = view["dataset"], view["version"]
    click.echo(f"{ds['id']} version {v['number']}: {v['state']} ({ds['title']}, {ds['organization']}, "
               f"{ds['disclosure']['name']})")
    report = view["report"]
    counts = ", ".join(f"{k} {n}" for k, n in report["error_counts"].items()) or "no errors"
    click.echo(f"  report: {'valid' if report['valid'] else 'invalid'}; {counts}; "
               f"{len(report['warnings'])} warning(s)")
    for f in view["pii"]["findings"]:
        samples = ", ".join(s["value"] for s in f.get("samples", [])[:3])
        state = f"resolved: {f['resolution']}" if f.get("resolved") else "UNRESOLVED"
        click.echo(f"  finding {f['fieldName']} / {f['kind']} ({f['source']}, {f['count']}): {state}"
                   + (f"  e.g. {samples}" if samples else ""))
    for d in view["decisions"]:
        click.echo(f"  {d['at'][:16]} {d['step']} ({d['outcome']}) by {d['actor']}" + (f": {d['note']}" if d["note"] else ""))
    steps = view["steps"]
    click.echo(f"  steps: {' → '.join(steps['configured'])}; next: {steps['next'] or '-'}")


@click.group()
def review() -> None:
    """Review before publishing (三审): queue, review view, steps, rejection, PII findings."""

def _run(obj, work):
    rt = obj.require_initialized()
    try:
        return work(rt)
    except OpendataError as exc:
        _fail(exc)

@review.command("list")
@click.option("--as", "as_user", default=None, help="Show the queue of this user (default: every version).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def list_cmd(obj, as_user: str | None, as_json: bool) -> None:
    """Versions awaiting review, oldest first, with the next step."""
    from opendata.services.review import review_queue

    def work(rt):
        with rt.sessions() as session:
            return review_queue(session=session, viewer=_viewer(session, as_user), steps=_steps(rt))

    queue = _run(obj, work)
    if as_json:
        _echo_json(queue)
        return
    if not queue:
        click.echo("nothing awaits review")
    for q in queue:
        click.echo(f"{q['dataset']} {q['number']}  {q['organization']}  next: {q['next_step']}  "
                   f"done: {','.join(q['steps_done']) or '-'}  unresolved PII: {q['unresolved_pii']}")

@review.command("show")
@click.argument("dataset")
@click.argument("version", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def show(obj, dataset: str, version: int, as_json: bool) -> None:
    """A version's review view: report summary, PII findings (masked samples), steps so far."""
    from opendata.services.review import get_review_version, review_view

    def work(rt):
        with rt.sessions() as session:
            viewer = _viewer(session, None)
            v = get_review_version(session, viewer, dataset, version)
            return review_view(session=session, viewer=viewer, version=v, steps=_steps(rt))

    view = _run(obj, work)
    _echo_json(view) if as_json else _print_view(view)

@review.command("step")
@click.argument("dataset")
@click.argument("version", type=int)
@click.argument("step")
@click.option("--note", default=None, help="A note recorded with the step.")
@click.option("--as", "as_user", default=None, help="Take the step as this user (their roles apply).")
@click.pass_obj
def step(obj, dataset: str, version: int, step: str, note: str | None, as_user: str | None) -> None:
    """Take the next review step of a version (the last step publishes)."""
    from opendata.services.review import review_step

    def work(rt):
        with rt.sessions() as session:
            viewer = _viewer(session, as_user)
        return review_step(runtime=rt, viewer=viewer, identifier=dataset, number=version, step=step, note=note)

    view = _run(obj, work)
    click.echo(f"{dataset} version {version}: step '{step}' taken; now {view['version']['state']}"
               + (f", next: {view['steps']['next']}" if view["steps"]["next"] else ""))

@review.command("reject")
@click.argument("dataset")
@click.argument("version", type=int)
@click.option("--reason", required=True, help="Why the version is rejected (recorded).")
@click.option("--as", "as_user", default=None, help="Reject as this user (their roles apply).")
@click.pass_obj
def reject(obj, dataset: str, version: int, reason: str, as_user: str | None) -> None:
    """Reject a version awaiting review, with a reason."""
    from opendata.services.review import review_reject
    from opendata.store.db import transaction

    def work(rt):
        with transaction(rt.sessions) as session:
            review_reject(session=session, viewer=_viewer(session, as_user), identifier=dataset,
                          number=version, reason=reason)

    _run(obj, work)
    click.echo(f"rejected {dataset} version {version}")

@review.command("resolve")
@click.argument("dataset")
@click.argument("version", type=int)
@click.argument("field")
@click.argument("kind")
@click.option("--mask", "method", type=click.Choice(["hash", "partial"]), default=None,
              help="Mask the column: hash, or partial with --keep-first/--keep-last.")
@click.option("--drop", is_flag=True, help="Remove the column from the published outputs.")
@click.option("--confirm", is_flag=True, help="Confirm the values lawful to publish (needs --reason).")
@click.option("--keep-first", type=int, default=None, help="Characters kept at the start (partial).")
@click.option("--keep-last", type=int, default=None, help="Characters kept at the end (partial).")
@click.option("--reason", default=None, help="Why (required with --confirm).")
@click.option("--as", "as_user", default=None, help="Resolve as this user (their roles apply).")
@click.pass_obj
def resolve(obj, dataset: str, version: int, field: str, kind: str, method: str | None, drop: bool,
            confirm: bool, keep_first: int | None, keep_last: int | None, reason: str | None,
            as_user: str | None) -> None:
    """Resolve a personal-information finding (FIELD and KIND as shown by `review show`)."""
    from opendata.services.review import resolve_finding
    from opendata.store.db import transaction

    chosen = [a for a, on in (("mask", method is not None), ("drop", drop), ("confirm", confirm)) if on]
    if len(chosen) != 1:
        raise click.UsageError("give exactly one of --mask METHOD, --drop, --confirm")

    def work(rt):
        with transaction(rt.sessions) as session:
            return resolve_finding(session=session, viewer=_viewer(session, as_user), identifier=dataset,
                                   number=version, field=field, kind=kind, action=chosen[0], method=method,
                                   keep_first=keep_first, keep_last=keep_last, reason=reason)

    result = _run(obj, work)
    click.echo(f"{field}: {result['resolution']}; {result['unresolved']} finding(s) left unresolved")


def register(main: click.Group) -> None:
    """Add the review group to the main group."""
    main.add_command(review)
