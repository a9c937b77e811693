"""Running `opendata ...` in-process, as the CLI tests do."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from opendata.cli import main


@pytest.fixture
def run_cli(home: Path, monkeypatch):
    """`opendata ARGS` with a fresh OPENDATA_HOME; asserts the exit code (``code=None``: any)."""
    monkeypatch.setenv("OPENDATA_HOME", str(home))
    runner = CliRunner()

    def run(*args: str, code: int | None = 0, input: str | None = None):
        result = runner.invoke(main, list(args), input=input, catch_exceptions=False)
        if code is not None:
            assert result.exit_code == code, result.output
        return result

    return run


@pytest.fixture
def cli(project: Path, monkeypatch, run_cli):
    """`opendata ARGS` run from the folder of the basic catalogue."""
    monkeypatch.chdir(project)
    return run_cli


@pytest.fixture
def synced_cli(cli):
    """As ``cli``, after `opendata init` and `opendata sync`."""
    cli("init")
    cli("sync")
    return cli
