"""The ``opendata`` command: wiring only; the work happens in services and core."""

from __future__ import annotations

import os
import sys
from pathlib import Path

# numpy (which pyarrow imports) starts OpenBLAS with a thread per core on import: about 70 ms of a
# command's start-up (`opendata validate` of a 10-row file: 0.38 s, 0.28 s with one thread), for
# linear algebra no command does. Set before anything imports numpy; an operator's value stands,
# and the fork server and its children inherit it.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click

from opendata.config import (
    SETTINGS,
    ConfigError,
    check_accel_prefix,
    configure_logging,
    load_config,
    shown_value,
    without_password,
)
from opendata.core.errors import InputError, OpendataError

EXIT_INVALID = 1
EXIT_UNUSABLE = 2


class _Obj:
    """Lazily built runtime shared by subcommands."""

    def __init__(self) -> None:
        self._runtime = None

    @property
    def runtime(self):
        if self._runtime is None:
            from opendata.services.runtime import Runtime

            config = load_config()
            configure_logging(config)
            self._runtime = Runtime(config)
        return self._runtime

    def require_initialized(self):
        rt = self.runtime
        if not rt.is_initialized():
            raise click.ClickException(
                f"the database at {rt.config.database_url} is not initialized; run `opendata init` first")
        return rt


def _fail(exc: OpendataError, code: int = 1) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(code)


class _Commands(click.Group):
    """The command group: a database the command cannot reach or use is named in one line, not a traceback."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Exception as exc:
            db_errors = sys.modules.get("sqlalchemy.exc")  # loaded if a database was used; not imported here
            if db_errors is None or not isinstance(exc, (db_errors.OperationalError, db_errors.InterfaceError)):
                raise
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise click.ClickException(
                f"cannot use the database {without_password(load_config().database_url)}: {reason}") from None


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="opendata")
@click.pass_context
def main(ctx: click.Context) -> None:
    """opendata: publish open government data as validated, versioned CSV and Parquet."""
    try:
        load_config()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    ctx.obj = _Obj()


@main.command()
@click.pass_obj
def init(obj: _Obj) -> None:
    """Create the data folder and database of OPENDATA_HOME, migrating to the newest schema."""
    from opendata.services.jobs import recover_abandoned
    from opendata.services.taskqueue import queue_enabled
    from opendata.store.migrate import upgrade_to_head

    rt = obj.runtime
    rt.config.home.mkdir(parents=True, exist_ok=True)
    try:
        rt.artifacts.ensure()
    except OpendataError as exc:  # an object store that cannot be used: say which and why, no traceback
        raise click.ClickException(str(exc)) from None
    upgrade_to_head(rt.config.database_url)
    # Only ingests whose process is gone (dead pid here, or a stale heartbeat): others may be running.
    stuck = recover_abandoned(runtime=rt, stale_after=rt.config.INGEST_STALE_SECONDS, queued=queue_enabled(rt))
    click.echo(f"initialized {rt.config.home} (database {without_password(rt.config.database_url)})")
    if stuck:
        click.echo(f"marked {len(stuck)} interrupted ingest job(s) as failed")


@main.command()
@click.option("--file", "catalog_file", type=click.Path(dir_okay=False), default=None,
              help="Catalogue file (default: OPENDATA_CATALOG_FILE, catalog.yaml).")
@click.option("--ingest", is_flag=True, help="Also ingest and publish each dataset's source file.")
@click.option("--dry-run", is_flag=True, help="Check and report changes without writing.")
@click.pass_obj
def sync(obj: _Obj, catalog_file: str | None, ingest: bool, dry_run: bool) -> None:
    """Load catalog.yaml into the database in one transaction; print what changed."""
    from opendata.cli.accounts import _operator
    from opendata.core.catalog_file import load_catalog
    from opendata.services.catalog_sync import after_sync, sync_catalog

    rt = obj.require_initialized()
    path = Path(catalog_file or rt.config.CATALOG_FILE)
    try:
        spec = load_catalog(path, schemas_dir=rt.config.SCHEMAS_DIR, check_sources=ingest)
    except OpendataError as exc:
        _fail(exc)
    session = rt.sessions()
    try:
        result = sync_catalog(session=session, spec=spec, actor=_operator())
        if dry_run:
            session.rollback()
        else:
            session.commit()
    except OpendataError as exc:
        session.rollback()
        _fail(exc)
    finally:
        session.close()
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    for c in result.changes:
        click.echo(c)
    for h in result.held:
        click.echo(h)
    click.echo(("would change" if dry_run else "changed") + f": {len(result.changes)}" if result.changes
               else "no changes")
    if result.held:
        click.echo(f"held for review: {len(result.held)}")
    reindex = bool(result.changes and not dry_run)
    if reindex:
        after_sync(runtime=rt, result=result)
    failures: list[str] = []
    try:
        if ingest and not dry_run:
            from opendata.services.catalog_sources import ingest_catalog_sources

            failures = ingest_catalog_sources(runtime=rt, spec=spec, echo=click.echo)
    finally:
        if reindex:
            from opendata.services.search import reindex_search

            # schema edits make no change record: rebuild the search index. After the ingests, not
            # before: its word lists (jieba's dictionary, pinyin) stay in this process, about 110 MB,
            # which would sit beside every ingest and publish child this command waits for
            reindex_search(runtime=rt)
    if failures:
        sys.exit(EXIT_INVALID)


@main.command()
@click.pass_obj
def reindex(obj: _Obj) -> None:
    """Rebuild the catalogue search index: re-segment every dataset with a fresh user dictionary."""
    import time

    from opendata.services.search import reindex_search

    rt = obj.require_initialized()
    started = time.perf_counter()
    try:
        count = reindex_search(runtime=rt)
    except OpendataError as exc:
        _fail(exc)
    click.echo(f"indexed {count} datasets in {time.perf_counter() - started:.1f} s")


@main.command()
@click.argument("dataset")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--sheet", default=None, help="Sheet name for XLSX/XLS files.")
@click.option("--publish", is_flag=True, help="Publish the version at once if it is valid and has no "
              "unresolved personal-information findings (administrator use).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.pass_obj
def ingest(obj: _Obj, dataset: str, file: str, sheet: str | None, publish: bool, as_json: bool) -> None:
    """Ingest FILE as a new version of DATASET: validate, scan, convert to CSV and Parquet."""
    from opendata.cli.output import ProgressPrinter, print_ingest_summary
    from opendata.core.limits import IngestLimits
    from opendata.services.publication import publish_if_clean
    from opendata.services.versions import ingest_file

    rt = obj.require_initialized()
    progress = ProgressPrinter(Path(file).stat().st_size, enabled=not as_json)
    try:
        outcome = ingest_file(sessions=rt.sessions, store=rt.artifacts, dataset=dataset, path=file,
                              actor="cli", sheet=sheet, progress=progress,
                              limits=IngestLimits.from_settings(rt.config.values))
    except OpendataError as exc:
        progress.close()
        _fail(exc, EXIT_UNUSABLE if isinstance(exc, InputError) else 1)
    progress.close()
    published = None
    if publish and outcome.created:
        published = publish_if_clean(runtime=rt, version_id=outcome.version_id, actor="cli")
    print_ingest_summary(outcome, dataset=dataset, as_json=as_json, published=published)
    if outcome.state == "invalid":
        sys.exit(EXIT_INVALID)


@main.command()
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--schema", "schema_path", required=True, type=click.Path(dir_okay=False),
              help="Table Schema (JSON file).")
@click.option("--sheet", default=None, help="Sheet name for XLSX/XLS files.")
@click.option("--json", "as_json", is_flag=True, help="Print the Frictionless-shaped report as JSON.")
def validate(file: str, schema_path: str, sheet: str | None, as_json: bool) -> None:
    """Validate FILE against a Table Schema, with no database. Exit 0 valid, 1 invalid, 2 unusable."""
    from opendata.cli.output import print_report
    from opendata.core.limits import IngestLimits
    from opendata.core.pandas_probe import without_pandas
    from opendata.core.tableschema import load_table_schema

    try:
        schema = load_table_schema(schema_path)
    except OpendataError as exc:
        _fail(exc, EXIT_UNUSABLE)
    if not Path(file).is_file():
        click.echo(f"error: {file}: file not found", err=True)
        sys.exit(EXIT_UNUSABLE)
    try:
        limits = IngestLimits.from_settings(load_config().values)  # the server's limits, from OPENDATA_*
        with without_pandas():  # nothing here handles pandas objects: do not import it (0.5 s)
            from opendata.core.validation import validate_table

            report = validate_table(file, schema, sheet=sheet, read_limits=limits.read,
                                    limit_errors=limits.limit_errors)
    except OpendataError as exc:
        _fail(exc, EXIT_UNUSABLE)
    report_dict = report.to_descriptor()
    print_report(report_dict, as_json=as_json)
    if report_dict["valid"]:
        return
    task_errors = [e for t in report_dict.get("tasks", []) for e in t.get("errors", [])]
    fatal = {"source-error", "encoding-error", "format-error", "scheme-error", "schema-error"}
    errors = report_dict.get("errors", []) + task_errors
    sys.exit(EXIT_UNUSABLE if errors and all(e.get("type") in fatal for e in errors) else EXIT_INVALID)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--debug", is_flag=True, help="Flask debug mode (development only).")
@click.pass_obj
def serve(obj: _Obj, host: str, port: int, debug: bool) -> None:
    """Serve the API and portal (development server; use gunicorn in production)."""
    from opendata.app import create_app, freeze_startup_objects, start_background_work
    from opendata.core.allocator import keep_freed_memory

    obj.require_initialized()
    keep_freed_memory()
    app = create_app()
    start_background_work(app)
    freeze_startup_objects()
    app.run(host=host, port=port, debug=debug, use_reloader=False, threaded=True)


@main.command()
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Jobs this worker runs at once (each ingest in a child process of its own).")
@click.pass_obj
def worker(obj: _Obj, threads: int) -> None:
    """Run queued jobs (scale-out mode, OPENDATA_JOB_QUEUE_URL) until stopped with SIGTERM or Ctrl-C."""
    import logging

    from opendata.services.worker import Worker

    rt = obj.require_initialized()
    # a worker has no server to own the handlers: its log (and dramatiq's, retries included) goes to stderr
    logging.basicConfig(format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    logging.getLogger("dramatiq").setLevel(rt.config.LOG_LEVEL)
    if not rt.config.JOB_QUEUE_URL:
        raise click.ClickException("OPENDATA_JOB_QUEUE_URL is not set: without a queue each server process "
                                   "runs its own jobs (embedded mode), and there is nothing for a worker to do")
    Worker(rt, threads=threads).run()
    rt.close()


from opendata.cli.listing import register as _register_lists  # noqa: E402

_register_lists(main)

from opendata.cli.accounts import register as _register_accounts  # noqa: E402

_register_accounts(main)

from opendata.cli.review import register as _register_review  # noqa: E402

_register_review(main)

from opendata.cli.workdays import register as _register_workdays  # noqa: E402

_register_workdays(main)

from opendata.cli.requests import register as _register_requests  # noqa: E402

_register_requests(main)

from opendata.cli.outbox import register as _register_outbox  # noqa: E402

_register_outbox(main)

from opendata.cli.disclosure import register as _register_disclosure  # noqa: E402

_register_disclosure(main)

from opendata.cli.reports import register as _register_reports  # noqa: E402

_register_reports(main)

from opendata.cli.timeliness import register as _register_timeliness  # noqa: E402

_register_timeliness(main)

from opendata.cli.quality import register as _register_quality  # noqa: E402

_register_quality(main)

from opendata.cli.statistics import register as _register_statistics  # noqa: E402

_register_statistics(main)

from opendata.cli.showcases import register as _register_showcases  # noqa: E402

_register_showcases(main)


@main.command("settings")
def settings_cmd() -> None:
    """List every OPENDATA_ setting with its current value and default."""
    config = load_config()
    for s in SETTINGS:
        value = config.values[s.name]
        shown = shown_value(s.name, value, s.default)
        click.echo(f"OPENDATA_{s.name}={shown}\n    default: {s.default!r}\n    {s.help}")


@main.command("nginx-config")
@click.option("--prefix", default=None, help="Internal location (default: OPENDATA_ACCEL_REDIRECT_PREFIX, "
              "else /_opendata_files/).")
def nginx_config_cmd(prefix: str | None) -> None:
    """Print the nginx location that sends downloads for the app (X-Accel-Redirect)."""
    from opendata.api.files import nginx_location

    config = load_config()
    chosen = prefix or config.ACCEL_REDIRECT_PREFIX or "/_opendata_files/"
    try:
        check_accel_prefix(chosen)  # the same check as at start-up
    except ConfigError as exc:
        _fail(exc, 2)
    click.echo(nginx_location(chosen, config.home), nl=False)
    if chosen != config.ACCEL_REDIRECT_PREFIX:
        click.echo(f"# and start the app with OPENDATA_ACCEL_REDIRECT_PREFIX={chosen}")


def run() -> None:  # pragma: no cover
    main(prog_name="opendata")


if __name__ == "__main__":  # pragma: no cover
    run()
