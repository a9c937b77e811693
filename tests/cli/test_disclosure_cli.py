"""opendata sync holds a loosening for review; opendata disclosure request|list|show|step|reject."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

LEGAL = "《中华人民共和国政府信息公开条例》第十五条（个人隐私）"


@pytest.fixture
def cli(synced_cli):
    """The basic catalogue synced, with a finance publisher and two finance reviewers."""
    synced_cli("users", "create", "finpub", "--organization", "finance", "--role", "publisher")
    for name in ("rev1", "rev2"):
        synced_cli("users", "create", name, "--organization", "finance", "--role", "reviewer")
    return synced_cli


def _datasets(cli) -> dict[str, str]:
    return {d["id"]: d["disclosure"] for d in json.loads(cli("datasets", "--json").output)}


def test_sync_holds_a_loosening_until_the_steps_are_taken(cli, project: Path):
    catalog = project / "catalog.yaml"
    text = catalog.read_text(encoding="utf-8")
    catalog.write_text(text.replace(f"    disclosure: conditional\n    legal_basis: {LEGAL}\n",
                                    "    disclosure: unconditional\n"), encoding="utf-8")
    out = cli("sync").output
    assert "held for review: dataset subsidies stays conditional" in out and "held for review: 1" in out
    assert "no changes" in out and _datasets(cli)["subsidies"] == "conditional"
    assert "held for review: 1" in cli("sync").output  # still held, not asked twice
    listed = cli("disclosure", "list").output
    assert "subsidies  conditional → unconditional  pending  next: submit" in listed
    change_id = listed.split()[0]
    cli("disclosure", "step", change_id, "submit", "--as", "finpub")
    cli("disclosure", "step", change_id, "review", "--as", "rev1")
    assert "separation of duties" in cli("disclosure", "step", change_id, "approve", "--as", "rev1", code=1).output
    assert _datasets(cli)["subsidies"] == "conditional"
    assert "now approved" in cli("disclosure", "step", change_id, "approve", "--as", "rev2").output
    assert _datasets(cli)["subsidies"] == "unconditional"
    shown = cli("disclosure", "show", change_id).output
    digest = hashlib.sha256(catalog.read_bytes()).hexdigest()
    assert f"from catalog.yaml@sha256:{digest}" in shown and "approve (done) by rev2" in shown
    audit = json.loads(cli("audit", "list", "--json", "--source", f"catalog.yaml@sha256:{digest}").output)
    assert [e["action"] for e in audit] == ["disclosure-change-requested", "dataset-disclosure-changed"]
    assert "no changes" in cli("sync").output and "held" not in cli("sync").output


def test_request_tighten_loosen_and_reject_from_the_command_line(cli):
    out = cli("disclosure", "request", "budget", "closed", "--legal-basis", "《条例》第十四条", "--reason", "涉密").output
    assert "budget is now closed" in out and _datasets(cli)["budget"] == "closed"
    out = cli("disclosure", "request", "budget", "unconditional", "--reason", "已脱密").output
    assert out.startswith("held for review: disclosure change") and _datasets(cli)["budget"] == "closed"
    change_id = out.split()[5]
    assert "legal_basis" in cli("disclosure", "request", "budget", "conditional", "--reason", "x", code=1).output
    cli("disclosure", "reject", change_id, "--reason", "仍涉密", "--as", "rev1")
    shown = json.loads(cli("disclosure", "show", change_id, "--json").output)
    assert shown["state"] == "rejected" and shown["source"] == "cli" and shown["requested_by"].startswith("cli:")
    assert "no disclosure changes pending" in cli("disclosure", "list").output
    assert len(json.loads(cli("disclosure", "list", "--state", "all", "--json").output)) == 2
    assert "does not exist" in cli("disclosure", "show", "99999999999999999999", code=1).output
