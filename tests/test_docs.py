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


def test_every_module_docs_architecture_names_exists():
    import re

    text = (DOCS / "architecture.md").read_text(encoding="utf-8")
    paths = set(re.findall(r"`(opendata/[A-Za-z0-9_/]+(?:\.py)?/?)`", text))
    assert len(paths) > 30, "the architecture document names the modules it describes"
    missing = sorted(p for p in paths if not (ROOT / p).exists())
    assert missing == [], f"docs/architecture.md names modules that do not exist: {missing}"
    # every named function or class in "(`name`, `opendata/...py`)" pairs exists in that module
    named = re.findall(r"`(\w+)` \(`(opendata/[\w/]+\.py)`", text)
    absent = [f"{name} in {path}" for name, path in named
              if not re.search(rf"^(?:def|class) {name}\b|^{name} = |^    def {name}\b",
                               (ROOT / path).read_text(encoding="utf-8"), re.M)]
    assert absent == [], absent
