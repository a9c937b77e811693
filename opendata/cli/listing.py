"""Listing and maintenance subcommands: organizations, datasets, versions, jobs, schemas, publish, withdraw, clean."""

from __future__ import annotations

import json
import sys

import click

from opendata.cli.output import pad
from opendata.core import vocab
from opendata.core.errors import OpendataError


def _fail(exc: OpendataError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(1)


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def organizations(obj, as_json: bool) -> None:
    """List organizations as a tree, with their dataset counts."""
    from opendata.services.admin_listing import all_organizations, organization_depth

    rt = obj.require_initialized()
    with rt.sessions() as session:
        rows = all_organizations(session)
        if as_json:
            click.echo(json.dumps([{"id": o.slug, "name": o.name, "level": o.level,
                                    "parent": o.parent.slug if o.parent else None, "datasets": n}
                                   for o, n in rows], ensure_ascii=False, indent=2))
            return
        for o, n in rows:
            level = vocab.lookup("level", o.level).zh
            indent = "  " * organization_depth(o)
            click.echo(f"{pad(indent + o.slug, 30)} {pad(o.name, 36)} {pad(level, 3)} {n} dataset(s)")

@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_obj
def datasets(obj, as_json: bool) -> None:
    """List datasets with disclosure class, state and newest version."""
    from opendata.services.admin_listing import all_datasets

    rt = obj.require_initialized()
    with rt.sessions() as session:
        rows = []
        for d in all_datasets(session):
            newest = d.versions[-1] if d.versions else None
            rows.append({"id": d.identifier, "title": d.title, "publisher": d.organization.slug,
                         "disclosure": d.disclosure, "state": d.state,
                         "version": newest.number if newest else None,
                         "version_state": newest.state if newest else None,
                         "rows": newest.row_count if newest else None})
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        disclosure = vocab.lookup("disclosure", r["disclosure"]).zh
        ver = f"v{r['version']} {r['version_state']} {r['rows']} rows" if r["version"] else "no versions"
        click.echo(f"{pad(r['id'], 32)} {pad(disclosure, 11)} {pad(r['state'], 10)} {pad(ver, 30)} {r['title']}")

@click.command()
@click.argument("dataset")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, with each version's report.")
@click.pass_obj
def versions(obj, dataset: str, as_json: bool) -> None:
    """List the versions of DATASET with their states and history."""
    from opendata.core.report import public_report  # pyarrow: only this command needs it
    from opendata.services.admin_listing import all_versions

    rt = obj.require_initialized()
    with rt.sessions() as session:
        try:
            items = all_versions(session, dataset)
        except OpendataError as exc:
            _fail(exc)
        data = [{"number": v.number, "state": v.state, "file": v.source_filename, "format": v.source_format,
                 "encoding": v.source_encoding, "bytes": v.source_bytes, "sha256": v.source_sha256,
                 "rows": v.row_count, "created_by": v.created_by, "created_at": v.created_at.isoformat(),
                 "events": [{"to": e.to_state, "actor": e.actor, "at": e.at.isoformat(), "note": e.note}
                            for e in v.events],
                 "pii": v.pii, "report": public_report(v.report)} for v in items]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    for v in data:
        click.echo(f"v{v['number']:<4} {v['state']:<16} {v['rows'] if v['rows'] is not None else '-':>9} rows  "
                   f"{v['format'] or '-'}/{v['encoding'] or '-'}  {v['file']}")
        for e in v["events"]:
            note = f" ({e['note']})" if e["note"] else ""
            click.echo(f"       {e['at'][:19]} → {e['to']} by {e['actor']}{note}")

@click.command()
@click.option("--dataset", help="Only this dataset's jobs.")
@click.option("--state", help="Only jobs in this state: queued, running, succeeded or failed.")
@click.option("--limit", type=click.IntRange(1, 200), default=50, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, as GET /api/v1/jobs/{job} shows each job.")
@click.pass_obj
def jobs(obj, dataset: str | None, state: str | None, limit: int, as_json: bool) -> None:
    """List ingest jobs, newest first: state, progress, the version made and the error of a failed one."""
    from opendata.services.access import system_viewer
    from opendata.services.jobs import JobFilter, job_dict, job_list

    rt = obj.require_initialized()
    with rt.sessions() as session:
        try:
            found = job_list(session=session, viewer=system_viewer(),
                             filters=JobFilter(dataset=dataset, state=state), limit=limit)
        except OpendataError as exc:
            _fail(exc)
        data = [job_dict(j) for j in found]
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return
    for j in data:
        v = j["version"]
        outcome = (f"v{v['number']} {v['state']}" if v else
                   (j["error"] or {}).get("message", "") if j["state"] == "failed" else f"{j['progress']['rows']} rows")
        click.echo(f"{j['id']}  {str(j['created_at'])[:19]}  {pad(j['state'], 9)} {pad(j['dataset'], 24)} "
                   f"{pad(j['filename'], 28)} {outcome}")

@click.command()
@click.pass_obj
def schemas(obj) -> None:
    """List registered Table Schemas."""
    from opendata.services.admin_listing import all_schemas

    rt = obj.require_initialized()
    with rt.sessions() as session:
        for s in all_schemas(session):
            click.echo(f"{s.name:<40} {len(s.descriptor.get('fields', []))} fields  sha256:{s.sha256[:12]}")

@click.command()
@click.argument("dataset")
@click.argument("version", type=int, required=False)
@click.pass_obj
def publish(obj, dataset: str, version: int | None) -> None:
    """Publish VERSION (default: newest) of DATASET; refused while PII findings are unresolved."""
    from opendata.services.access import system_viewer
    from opendata.services.admin_listing import find_version
    from opendata.services.publication import publish_prepared
    from opendata.services.review_outputs import prepare_outputs

    rt = obj.require_initialized()
    try:
        with rt.sessions() as session:
            v = find_version(session, dataset, version)
        # Reviewers' mask and drop resolutions must reach the outputs before they are published.
        prepared = prepare_outputs(runtime=rt, version_id=v.id)
        publish_prepared(runtime=rt, viewer=system_viewer("cli"), version_id=v.id, prepared=prepared,
                         note="published by a trusted administrator")
    except OpendataError as exc:
        _fail(exc)
    click.echo(f"published {dataset} version {v.number}")

@click.command()
@click.argument("dataset")
@click.argument("version", type=int)
@click.option("--reason", required=True, help="Why the version is withdrawn (recorded).")
@click.pass_obj
def withdraw(obj, dataset: str, version: int, reason: str) -> None:
    """Withdraw VERSION of DATASET (its files are kept for the record; audited)."""
    from opendata.services.access import system_viewer
    from opendata.services.review import version_withdraw

    rt = obj.require_initialized()
    try:
        version_withdraw(runtime=rt, viewer=system_viewer("cli"), identifier=dataset, number=version,
                         reason=reason)
    except OpendataError as exc:
        _fail(exc)
    click.echo(f"withdrew {dataset} version {version}")

@click.command()
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@click.pass_obj
def clean(obj, dry_run: bool) -> None:
    """Remove artifact files no version refers to, and leftovers of interrupted jobs."""
    from opendata.services.jobs import clean_uploads
    from opendata.services.standards.bulk import archive_paths, read_index
    from opendata.services.versions import referenced_artifacts

    rt = obj.require_initialized()
    with rt.sessions() as session:
        referenced = referenced_artifacts(session) | archive_paths(read_index(rt) or {})
    removed = rt.artifacts.clean_orphans(referenced, dry_run=dry_run)
    removed += clean_uploads(runtime=rt, stale_after=rt.config.INGEST_STALE_SECONDS, dry_run=dry_run)
    for rel in removed:
        click.echo(("would remove " if dry_run else "removed ") + rel)
    click.echo(f"{len(removed)} orphaned file(s)" + (" found" if dry_run else " removed"))


COMMANDS = (organizations, datasets, versions, jobs, schemas, publish, withdraw, clean)


def register(main: click.Group) -> None:
    """Add the listing commands to the main group."""
    for command in COMMANDS:
        main.add_command(command)
