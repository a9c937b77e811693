"""``opendata reports show|enter|import|publish|export|board|form``: annual disclosure reports.

The command acts as a trusted operator (``cli:<login name>``) unless ``--as USER`` acts with that
user's roles. Errors name the table, row and column (or the file's cell) and exit 1; nothing is
stored from a command that fails.
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


def _echo_json(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2,
                          default=lambda v: v.isoformat() if isinstance(v, date | datetime) else str(v)))


def _run(obj, as_user, work):
    from opendata.services.reports.policy import ReportPolicy

    rt = obj.require_initialized()
    try:
        return work(rt, _viewer(rt, as_user), ReportPolicy.from_config(rt.config))
    except OpendataError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)


def _print_table_three(doc: dict) -> None:
    from opendata.core.reports import template as t

    three = doc["table_three"]
    click.echo("表三 " + " ".join(f"{c.zh:>6}" for c in t.THREE_COLUMNS))
    for row in t.THREE_ROWS:
        click.echo(" ".join(f"{three[row][c.key]:>6}" for c in t.THREE_COLUMNS) + f"  {t.three_row_label(row)}")


def register(main: click.Group) -> None:
    """Add the reports group to the main group."""

    @main.group()
    def reports() -> None:
        """Annual disclosure reports (2021 template): enter, import, check, publish, export, the board."""

    @reports.command("show")
    @click.argument("organization")
    @click.argument("year", type=int)
    @click.option("--version", "number", type=int, default=None, help="A published version (default: the latest).")
    @click.option("--draft", is_flag=True, help="The report as it would be published now, with its problems.")
    @AS_USER
    @AS_JSON
    @click.pass_obj
    def show(obj, organization, year, number, draft, as_user, as_json) -> None:
        """A published report (or the draft): table 三 and the checks, or everything as JSON."""
        from opendata.services.reports.publication import draft_report, published_report

        def work(rt, viewer, policy):
            if draft:
                return draft_report(runtime=rt, policy=policy, viewer=viewer, organization=organization, year=year)
            return published_report(runtime=rt, organization=organization, year=year, number=number)

        found = _run(obj, as_user, work)
        if as_json:
            _echo_json(found)
            return
        doc = found["document"] if draft else found["report"]
        head = "draft" if draft else f"version {found['version']}, sha256 {found['sha256']}"
        click.echo(f"{doc['title']} ({head})")
        _print_table_three(doc)
        for problem in found.get("problems", []):
            click.echo(f"problem: {problem['message']} [{problem['path']}]")
        if draft:
            click.echo("publishable" if found["publishable"] else "NOT publishable: fix the problems above")

    @reports.command("enter")
    @click.argument("organization")
    @click.argument("year", type=int)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @AS_USER
    @click.pass_obj
    def enter(obj, organization, year, file, as_user) -> None:
        """Store what FILE (JSON: sections, table_two, table_four) gives; the parts given replace the stored."""
        from opendata.services.reports.entries import save_report_entry

        try:
            body = json.loads(Path(file).read_text(encoding="utf-8-sig"))
        except (ValueError, UnicodeDecodeError) as exc:
            click.echo(f"error: {file}: not JSON ({exc})", err=True)
            sys.exit(1)
        unknown = sorted(set(body) - {"sections", "table_two", "table_four"}) if isinstance(body, dict) else ["?"]
        if unknown:
            click.echo(f"error: {file}: expected an object with sections, table_two and/or table_four; "
                       f"unexpected {unknown[0]!r}", err=True)
            sys.exit(1)
        _run(obj, as_user, lambda rt, viewer, policy: save_report_entry(
            runtime=rt, policy=policy, viewer=viewer, organization=organization, year=year, **body))
        click.echo(f"stored {', '.join(sorted(body))} of {organization}'s {year} report")

    @reports.command("import")
    @click.argument("organization")
    @click.argument("year", type=int)
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @AS_USER
    @click.pass_obj
    def import_cmd(obj, organization, year, file, as_user) -> None:
        """Import tables 二 and 四 from a CSV or XLSX laid out as the template (`opendata reports form`)."""
        from opendata.services.reports.entries import import_report_tables

        with open(file, "rb") as stream:
            entry = _run(obj, as_user, lambda rt, viewer, policy: import_report_tables(
                runtime=rt, policy=policy, viewer=viewer, organization=organization, year=year, stream=stream,
                filename=Path(file).name))
        click.echo(f"imported {file} into {entry['organization']}'s {year} report")

    @reports.command("publish")
    @click.argument("organization")
    @click.argument("year", type=int)
    @AS_USER
    @click.pass_obj
    def publish(obj, organization, year, as_user) -> None:
        """Publish the report as it stands: the next version, refused while any check fails."""
        from opendata.services.reports.publication import publish_report

        version = _run(obj, as_user, lambda rt, viewer, policy: publish_report(
            runtime=rt, policy=policy, viewer=viewer, organization=organization, year=year))
        click.echo(f"published version {version['version']} of {organization}'s {year} report, "
                   f"sha256 {version['sha256']}")

    @reports.command("export")
    @click.argument("organization")
    @click.argument("year", type=int)
    @click.option("--format", "kind", type=click.Choice(["json", "xlsx", "docx"]), default="xlsx", show_default=True)
    @click.option("--version", "number", type=int, default=None, help="A published version (default: the latest).")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), required=True, help="File to write.")
    @click.pass_obj
    def export(obj, organization, year, kind, number, output) -> None:
        """Write a published version's JSON, XLSX or DOCX to a file."""
        from opendata.services.reports.publication import published_report, report_file

        def work(rt, _viewer, _policy):
            chosen = number or published_report(runtime=rt, organization=organization, year=year)["version"]
            return report_file(runtime=rt, organization=organization, year=year, number=chosen, kind=kind)

        f = _run(obj, None, work)
        Path(output).write_bytes(f.data if f.data is not None else f.path.read_bytes())
        click.echo(f"wrote {output} ({f.size:,} bytes, sha256 {f.sha256})")

    @reports.command("board")
    @click.argument("year", type=int)
    @click.option("--organization", default=None, help="This organisation and those under it.")
    @AS_JSON
    @click.pass_obj
    def board_cmd(obj, year, organization, as_json) -> None:
        """Who has published the year's report: departments by 31 January, governments by 31 March."""
        from opendata.services.reports.board import publication_board

        found = _run(obj, None, lambda rt, _viewer, policy: publication_board(
            runtime=rt, policy=policy, year=year, organization=organization))
        if as_json:
            _echo_json(found)
            return
        for r in found["rows"]:
            when = r["first_published_on"] or "-"
            click.echo(f"{'  ' * r['depth']}{r['organization']:<24} {r['kind']:<10} due {r['deadline']}  "
                       f"published {when}  {r['status']}")
        click.echo(", ".join(f"{status} {n}" for status, n in found["counts"].items()))

    @reports.command("form")
    @click.option("--output", "-o", type=click.Path(dir_okay=False), required=True, help="File to write.")
    def form(output) -> None:
        """Write the blank XLSX form of tables 二 and 四 (fill in, then `opendata reports import`)."""
        from opendata.core.reports.xlsx import blank_workbook

        Path(output).write_bytes(blank_workbook())
        click.echo(f"wrote {output}")
