"""The opendata command: init, sync, listings, help, settings."""

from __future__ import annotations

import os

import pytest

from tests.conftest import BASIC_CATALOG, write_catalog


def test_init_creates_home_and_database(cli, home):
    out = cli("init").output
    assert (home / "opendata.db").is_file() and (home / "artifacts").is_dir()
    assert "initialized" in out
    cli("init")  # repeatable


def test_commands_need_init_first(cli):
    result = cli("sync", code=1)
    assert "opendata init" in result.output


def test_sync_twice_reports_no_change_the_second_time(cli):
    cli("init")
    first = cli("sync").output
    assert "created dataset budget (示例市财政预算)" in first and "changed: 5" in first
    assert cli("sync").output.strip() == "no changes"


def test_invalid_catalog_lists_every_problem_and_writes_nothing(cli, project):
    cli("init")
    body = BASIC_CATALOG.replace("theme: fiscal", "theme: weather").replace("schema: simple.json", "schema: nope.json", 1)
    write_catalog(project, body)
    result = cli("sync", code=1)
    assert "catalog.yaml:" in result.output and "unknown theme 'weather'" in result.output
    assert "nope.json" in result.output and "Traceback" not in result.output
    assert cli("datasets").output.strip() == ""


def test_dry_run_writes_nothing(cli):
    cli("init")
    assert "would change: 5" in cli("sync", "--dry-run").output
    assert "changed: 5" in cli("sync").output


def test_listings_after_sync(cli):
    cli("init")
    cli("sync")
    orgs = cli("organizations").output.splitlines()
    assert orgs[0].startswith("city") and orgs[1].startswith("  finance")
    datasets = cli("datasets").output
    assert "budget" in datasets and "有条件开放" in datasets
    assert "simple.json" in cli("schemas").output
    assert cli("versions", "budget").output == ""
    assert "does not exist" in cli("versions", "nope", code=1).output


@pytest.mark.parametrize("command", ["init", "sync", "ingest", "validate", "serve", "organizations", "datasets",
                                     "versions", "schemas", "publish", "withdraw", "clean", "settings"])
def test_every_command_has_help(cli, command):
    assert "Usage: " in cli(command, "--help").output


def test_production_refuses_the_default_secret_key(cli, monkeypatch):
    monkeypatch.setenv("OPENDATA_ENV", "production")
    result = cli("init", code=1)
    assert "default OPENDATA_SECRET_KEY" in result.output
    monkeypatch.setenv("OPENDATA_SECRET_KEY", os.urandom(16).hex())
    cli("init")


def test_nginx_config_prints_an_internal_location_over_the_home(run_cli, home, monkeypatch):
    out = run_cli("nginx-config").output
    assert "location /_opendata_files/ {\n    internal;\n" in out
    assert f"    alias {home.resolve().as_posix()}/;\n" in out
    assert "add_header ETag $upstream_http_etag always;" in out
    assert "OPENDATA_ACCEL_REDIRECT_PREFIX=/_opendata_files/" in out  # the setting to start the app with
    monkeypatch.setenv("OPENDATA_ACCEL_REDIRECT_PREFIX", "/files/")
    out = run_cli("nginx-config").output
    assert "location /files/ {" in out and "start the app" not in out


def test_nginx_config_refuses_a_prefix_that_is_not_a_location_path(run_cli):
    result = run_cli("nginx-config", "--prefix", "files", code=2)
    assert "must be a location path that starts and ends with '/'" in result.output


def test_reindex_rebuilds_the_search_index_and_says_how_many(synced_cli, home):
    from opendata.config import load_config
    from opendata.services.runtime import Runtime
    from opendata.services.search import search_datasets

    (home / "search.sqlite3").unlink()
    out = synced_cli("reindex").output
    assert out.startswith("indexed 2 datasets in ")
    rt = Runtime(load_config({}, HOME=str(home)))
    try:
        assert [d["id"] for d in search_datasets(runtime=rt, q="财政预算")["results"]] == ["budget"]
    finally:
        rt.close()


def test_reindex_before_init_names_the_missing_database(cli):
    result = cli("reindex", code=1)
    assert "opendata init" in result.output


def test_settings_and_init_print_no_password_or_secret_key(cli, monkeypatch, home):
    monkeypatch.setenv("OPENDATA_S3_SECRET_ACCESS_KEY", "s3-secret-4f1")
    monkeypatch.setenv("OPENDATA_SMTP_PASSWORD", "smtp-secret-9c2")
    monkeypatch.setenv("OPENDATA_JOB_QUEUE_URL", "redis://:redis-secret-77@127.0.0.1:6390/1")
    out = cli("settings").output
    assert "s3-secret-4f1" not in out and "smtp-secret-9c2" not in out and "redis-secret-77" not in out
    assert "OPENDATA_S3_SECRET_ACCESS_KEY=(set)" in out and "OPENDATA_SMTP_PASSWORD=(set)" in out
    assert "OPENDATA_JOB_QUEUE_URL=redis://:***@127.0.0.1:6390/1" in out
    assert "OPENDATA_SECRET_KEY=dev-insecure-change-me" in out  # the public default is shown as it is


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://opendata:pw%40x:1@db.example:5432/opendata", "postgresql://opendata:***@db.example:5432/opendata"),
    ("postgresql://opendata@127.0.0.1/opendata", "postgresql://opendata@127.0.0.1/opendata"),
    ("sqlite:////srv/opendata/opendata.db", "sqlite:////srv/opendata/opendata.db"),
    ("redis://:secret@cache:6379/0", "redis://:***@cache:6379/0"),
])
def test_a_url_is_printed_without_its_password(url, shown):
    from opendata.config import without_password

    assert without_password(url) == shown


@pytest.mark.parametrize("command", ["init", "sync", "reindex"])
def test_an_unreachable_database_is_named_in_one_line_without_its_password(cli, monkeypatch, command):
    import socket

    with socket.socket() as s:  # a loopback port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("OPENDATA_DATABASE_URL", f"postgresql+psycopg://opendata:pw-71c@127.0.0.1:{port}/opendata")
    result = cli(command, code=1)
    assert f"cannot use the database postgresql+psycopg://opendata:***@127.0.0.1:{port}/opendata:" in result.output
    assert "Connection refused" in result.output or "connection failed" in result.output
    assert "pw-71c" not in result.output and "Traceback" not in result.output
