"""opendata users|tokens|grants|audit: the operator's commands for accounts."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from opendata.config import load_config
from opendata.services.runtime import Runtime
from opendata.services.tokens import token_authenticate
from opendata.store.db import transaction


@pytest.fixture
def cli(synced_cli):
    """`opendata ...` in an initialized, synced project."""
    return synced_cli


def _authenticate(home: Path, plain: str):
    rt = Runtime(load_config({}, HOME=str(home)))
    try:
        with transaction(rt.sessions) as session:
            return token_authenticate(session=session, plain=plain)
    finally:
        rt.close()


def test_users_create_list_and_roles(cli):
    cli("users", "create", "clerk", "--organization", "finance", "--role", "publisher", "--email", "c@example.cn")
    cli("users", "create", "alice")
    cli("users", "grant-role", "alice", "requester")
    listed = json.loads(cli("users", "list", "--json").output)
    assert {u["username"]: u["roles"] for u in listed} == {"alice": ["requester"], "clerk": ["publisher@finance"]}
    assert "clerk" in cli("users", "list").output
    cli("users", "revoke-role", "clerk", "publisher")
    assert json.loads(cli("users", "list", "--json").output)[1]["roles"] == []
    assert "already exists" in cli("users", "create", "alice", code=1).output
    assert "no organization" in cli("users", "create", "bob", "--organization", "nowhere", code=1).output


def test_set_password_prompts_twice_and_refuses_short_ones(cli):
    cli("users", "create", "alice")
    cli("users", "set-password", "alice", input="a long enough passphrase\na long enough passphrase\n")
    assert "at least" in cli("users", "set-password", "alice", "--password-stdin", input="short\n", code=1).output


def test_token_is_printed_once_and_works(cli, home):
    cli("users", "create", "clerk", "--organization", "finance", "--role", "publisher")
    result = cli("tokens", "create", "clerk", "--name", "etl", "--scope", "publish", "--days", "7")
    plain = result.stdout.strip()
    assert plain.startswith("od_") and "shown only this once" in result.stderr
    viewer = _authenticate(home, plain)
    assert viewer.user == "clerk" and viewer.scopes == {"read", "publish"}
    listing = cli("tokens", "list", "clerk").output
    assert "etl" in listing and plain not in listing and plain.split("_", 2)[2] not in listing
    token_id = json.loads(cli("tokens", "list", "--json").output)[0]["id"]
    cli("tokens", "revoke", str(token_id))
    assert cli("tokens", "list").output.strip() == ""
    assert "revoked" in cli("tokens", "list", "--all").output
    assert "may not hold" in cli("tokens", "create", "clerk", "--name", "x", "--scope", "admin", code=1).output


def test_grants_create_list_revoke(cli):
    cli("users", "create", "alice", "--role", "requester")
    out = cli("grants", "create", "subsidies", "--user", "alice", "--purpose", "学术研究", "--days", "30").output
    grant_id = out.split()[1].rstrip(":")
    assert "active" in cli("grants", "list", "subsidies").output
    cli("grants", "revoke", grant_id)
    assert json.loads(cli("grants", "list", "--active", "--json").output) == []
    assert "conditional" in cli("grants", "create", "budget", "--user", "alice", "--purpose", "x",
                                "--days", "1", code=1).output
    assert cli("grants", "create", "subsidies", "--user", "alice", "--purpose", "x", code=2).exit_code == 2


def test_audit_list_and_export(cli, tmp_path):
    cli("users", "create", "alice")
    cli("users", "grant-role", "alice", "requester")
    entries = json.loads(cli("audit", "list", "--json", "--target-type", "user").output)
    assert [e["action"] for e in entries] == ["user-created", "role-granted"]
    assert entries[0]["actor"].startswith("cli:") and entries[0]["source"] is None
    synced = json.loads(cli("audit", "list", "--json", "--target-type", "dataset").output)
    assert synced and all(e["source"].startswith("catalog.yaml@sha256:") for e in synced)  # what `sync` made
    assert len(json.loads(cli("audit", "list", "--json", "--source", synced[0]["source"]).output)) >= len(synced)
    assert "role-granted" in cli("audit", "list", "--action", "role-granted").output
    cli("audit", "export", "--format", "csv", "--target-type", "user", "--output", str(tmp_path / "audit.csv"))
    rows = list(csv.DictReader(io.StringIO((tmp_path / "audit.csv").read_text(encoding="utf-8"))))
    assert [r["action"] for r in rows] == ["user-created", "role-granted"]
    exported = json.loads(cli("audit", "export", "--format", "json", "--target-id", "alice").output)
    assert len(exported) == 2 and exported[1]["after"] == {"role": "requester", "organization": None}


def test_accounts_commands_have_help(cli):
    for group in ("users", "tokens", "grants", "audit"):
        assert "Usage" in cli(group, "--help").output


def test_users_create_refuses_an_email_or_name_no_format_can_carry(cli):
    out = cli("users", "create", "bob", "--email", "a b@c.d", code=1).output
    assert "email" in out and "not an e-mail address" in out and "SPACE" in out
    out = cli("users", "create", "bob", "--name", "Bob\x1b[31m", code=1).output
    assert "display_name" in out and "U+001B" in out
    assert "bob" not in cli("users", "list").output
    cli("users", "create", "bob", "--name", "Bob", "--email", "bob@example.cn")


def test_a_token_name_with_a_control_character_is_refused(cli):
    cli("users", "create", "carol")
    out = cli("tokens", "create", "carol", "--name", "laptop\x07", code=1).output
    assert "U+0007" in out
