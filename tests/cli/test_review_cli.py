"""opendata review list|show|step|reject|resolve: the review workflow from the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from opendata.config import load_config
from opendata.services.runtime import Runtime
from tests.builders import generate_rows, ingest_rows
from tests.review_fixtures import person_rows, seed_review_catalog


@pytest.fixture
def cli(tmp_path: Path, home: Path, run_cli):
    """`opendata ...` on an OPENDATA_HOME with the review catalogue, its users and two waiting versions."""
    run_cli("init")
    rt = Runtime(load_config({}, HOME=str(home)))
    try:
        seed_review_catalog(rt, tmp_path)
        ingest_rows(rt, "payees", person_rows(6))
        ingest_rows(rt, "budget", generate_rows(4))
    finally:
        rt.close()
    return run_cli


def test_review_from_the_command_line(cli):
    out = cli("review", "list").output
    assert "payees 1" in out and "budget 1" in out and "next: submit" in out
    show = cli("review", "show", "payees", "1").output
    assert "UNRESOLVED" in show and "330106********" in show
    cli("review", "step", "payees", "1", "submit", "--as", "finpub", "--note", "请审核")
    cli("review", "step", "payees", "1", "review", "--as", "finrev1")
    result = cli("review", "step", "payees", "1", "approve", "--as", "finrev2", code=1)
    assert "unresolved" in result.output
    assert "separation of duties" in cli("review", "step", "payees", "1", "approve", "--as", "finrev1",
                                         code=1).output
    cli("review", "resolve", "payees", "1", "id_card", "id-number", "--mask", "partial", "--keep-first", "6",
        "--keep-last", "4", "--as", "finrev2")
    assert "now published" in cli("review", "step", "payees", "1", "approve", "--as", "finrev2").output
    view = json.loads(cli("review", "show", "payees", "1", "--json").output)
    assert view["version"]["state"] == "published"
    assert [d["actor"] for d in view["decisions"] if d["outcome"] == "done"] == ["finpub", "finrev1", "finrev2"]


def test_reject_and_resolve_need_their_options(cli):
    assert "exactly one" in cli("review", "resolve", "payees", "1", "id_card", "id-number", code=2).output
    assert "reason" in cli("review", "resolve", "payees", "1", "id_card", "id-number", "--confirm", code=1).output
    cli("review", "reject", "budget", "1", "--reason", "口径错误")
    assert "budget 1" not in cli("review", "list").output
    assert "no version 9" in cli("review", "show", "budget", "9", code=1).output


def test_the_administrator_publish_command_applies_mask_resolutions(cli, tmp_path):
    cli("review", "resolve", "payees", "1", "id_card", "id-number", "--mask", "hash", "--as", "finrev1")
    assert "published payees version 1" in cli("publish", "payees", "1").output
    rt = Runtime(load_config({}, HOME=str(tmp_path / "home")))
    try:
        from opendata.store.models import Version

        with rt.sessions() as session:
            version = session.query(Version).filter_by(number=1).join(Version.dataset).filter_by(
                identifier="payees").one()
            csv_path = rt.artifacts.path(next(a.path for a in version.artifacts if a.kind == "csv"))
            text = csv_path.read_text(encoding="utf-8")
    finally:
        rt.close()
    assert not any(row["id_card"] in text for row in person_rows(6))
    assert "cannot become published" in cli("publish", "payees", "1", code=1).output  # published stays immutable
