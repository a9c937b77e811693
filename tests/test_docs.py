"""Documentation stays in step with the code: every setting and command is documented."""

from __future__ import annotations

from pathlib import Path

from opendata.cli import main
from opendata.config import SETTINGS

DOCS = Path(__file__).resolve().parents[1] / "docs"
ROOT = DOCS.parent


def test_every_setting_is_documented():
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`OPENDATA_{s.name}`" not in text]
    assert missing == []


def test_every_cli_command_is_documented():
    text = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [name for name in main.commands if f"`opendata {name}" not in text]
    assert missing == []


def test_readme_quick_start_is_two_commands_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = readme.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci.splitlines()[-1]


def test_docs_linked_from_the_readme_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    import re

    for target in re.findall(r"\]\(([^)]+\.md)\)", readme):
        assert (ROOT / target).is_file(), target
