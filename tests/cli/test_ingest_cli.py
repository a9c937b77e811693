"""`opendata ingest`, `validate`, `publish`, `withdraw`, `clean` and `sync --ingest` end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import SIMPLE_SCHEMA


@pytest.fixture
def cli(synced_cli):
    """`opendata ...` in an initialized, synced project."""
    return synced_cli


def _csv(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_ingest_prints_a_summary_and_makes_a_version(cli, tmp_path):
    src = _csv(tmp_path / "b.csv", "id,name,amount\n1,教育,10\n2,卫生,20.5\n")
    out = cli("ingest", "budget", str(src)).output
    assert "budget: version 1 is awaiting-review" in out
    assert "rows:      2" in out and "errors:    none" in out
    assert "parquet" in out and "csv" in out and "time:" in out
    versions = json.loads(cli("versions", "budget", "--json").output)
    assert versions[0]["state"] == "awaiting-review" and versions[0]["rows"] == 2
    assert [e["to"] for e in versions[0]["events"]] == ["received", "validating", "awaiting-review"]


def test_identical_bytes_make_no_new_version(cli, tmp_path):
    src = _csv(tmp_path / "b.csv", "id,name,amount\n1,a,1\n")
    cli("ingest", "budget", str(src))
    again = _csv(tmp_path / "renamed.csv", "id,name,amount\n1,a,1\n")
    assert "no new version" in cli("ingest", "budget", str(again)).output
    assert len(json.loads(cli("versions", "budget", "--json").output)) == 1


def test_gbk_file_is_decoded(cli, tmp_path):
    src = _csv(tmp_path / "gbk.csv", "id,name,amount\n1,教育支出,10\n", encoding="gbk")
    data = json.loads(cli("ingest", "budget", str(src), "--json").output)
    assert data["state"] == "awaiting-review"
    versions = json.loads(cli("versions", "budget", "--json").output)
    assert versions[0]["encoding"] == "gb18030"


def test_invalid_file_exits_1_with_errors_by_type_and_keeps_published_data(cli, tmp_path):
    good = _csv(tmp_path / "good.csv", "id,name,amount\n1,a,1\n")
    cli("ingest", "budget", str(good), "--publish")
    bad = _csv(tmp_path / "bad.csv", "id,name,amount\n1,a,-5\nx,b,2\n1,c,3\n")
    data = json.loads(cli("ingest", "budget", str(bad), "--json", code=1).output)
    assert data["state"] == "invalid"
    # as frictionless: the unparseable id makes a null key, and the repeated 1 a duplicate
    assert data["errors"] == {"constraint-error": 1, "type-error": 1, "primary-key": 2}
    versions = json.loads(cli("versions", "budget", "--json").output)
    assert [(v["number"], v["state"]) for v in versions] == [(1, "published"), (2, "invalid")]


def test_unreadable_file_exits_2_and_is_recorded(cli, tmp_path):
    empty = _csv(tmp_path / "empty.csv", "")
    result = cli("ingest", "budget", str(empty), code=2)
    assert "error:" in result.output and "Traceback" not in result.output
    versions = json.loads(cli("versions", "budget", "--json").output)
    assert versions[0]["state"] == "failed"


def test_publish_and_withdraw(cli, tmp_path):
    cli("ingest", "budget", str(_csv(tmp_path / "b.csv", "id,name,amount\n1,a,1\n")))
    assert "published budget version 1" in cli("publish", "budget").output
    assert "cannot become published" in cli("publish", "budget", "1", code=1).output
    assert "withdrew budget version 1" in cli("withdraw", "budget", "1", "--reason", "错误数据").output
    history = json.loads(cli("versions", "budget", "--json").output)[0]["events"]
    assert history[-1]["to"] == "withdrawn" and history[-1]["note"] == "错误数据"
    assert "version-withdrawn" in cli("audit", "list").output


def test_unresolved_personal_information_blocks_publishing(cli, project, tmp_path):
    schema = {"fields": [*SIMPLE_SCHEMA["fields"], {"name": "phone", "type": "string"}], "primaryKey": ["id"]}
    (project / "schemas" / "simple.json").write_text(json.dumps(schema), encoding="utf-8")
    cli("sync")
    src = _csv(tmp_path / "p.csv", "id,name,amount,phone\n1,a,1,13800138000\n2,b,2,13912345678\n")
    out = cli("ingest", "budget", str(src), "--publish").output
    assert "UNRESOLVED" in out and "not published" in out
    assert "unresolved personal-information" in cli("publish", "budget", code=1).output


def test_validate_exit_codes(cli, project, tmp_path):
    schema = str(project / "schemas" / "simple.json")
    good = _csv(tmp_path / "good.csv", "id,name,amount\n1,a,1\n")
    bad = _csv(tmp_path / "bad.csv", "id,name,amount\n1,a,oops\n")
    assert cli("validate", str(good), "--schema", schema).output.startswith("valid")
    report = json.loads(cli("validate", str(bad), "--schema", schema, "--json", code=1).output)
    (err,) = report["tasks"][0]["errors"]
    assert (err["type"], err["rowNumber"], err["fieldNumber"], err["fieldName"]) == ("type-error", 2, 3, "amount")
    cli("validate", str(tmp_path / "missing.csv"), "--schema", schema, code=2)
    cli("validate", str(_csv(tmp_path / "e.csv", "")), "--schema", schema, code=2)
    broken = tmp_path / "broken.json"
    broken.write_text('{"fields": [{"name": "a", "type": "integr"}]}', encoding="utf-8")
    assert "fields/0/type" in cli("validate", str(good), "--schema", str(broken), code=2).output


def test_validate_applies_the_schemas_normalization_as_ingest_does(run_cli):
    repo = Path(__file__).resolve().parents[2]
    sample, schema = repo / "datasets" / "qc-sangong-2022-2023.csv", repo / "schemas" / "qc-sangong.json"
    report = json.loads(run_cli("validate", str(sample), "--schema", str(schema), "--json").output)
    assert report["valid"] and report["stats"]["errors"] == 0  # ¥12,345.00 and full-width digits are normalized
    normalized = report["tasks"][0]["normalization"]
    assert sum(n["count"] for n in normalized) >= 46
    assert {n["normalizer"] for n in normalized} == {"fullwidth", "currency", "thousands"}


def test_clean_removes_orphans_only(cli, home, tmp_path):
    cli("ingest", "budget", str(_csv(tmp_path / "b.csv", "id,name,amount\n1,a,1\n")))
    orphan = home / "artifacts" / "zz" / "zz" / "orphan.csv"
    orphan.parent.mkdir(parents=True)
    orphan.write_text("x")
    assert "would remove zz/zz/orphan.csv" in cli("clean", "--dry-run").output
    assert orphan.exists()
    out = cli("clean").output
    assert "1 orphaned file(s) removed" in out and not orphan.exists()
    versions = json.loads(cli("versions", "budget", "--json").output)
    assert versions[0]["state"] == "awaiting-review"
    assert "0 orphaned file(s)" in cli("clean").output


def test_sync_ingest_publishes_sources(cli):
    out = cli("sync", "--ingest").output
    assert "budget: ingested version 1 (2 rows); published version 1" in out
    assert "budget: unchanged version 1" in cli("sync", "--ingest").output


def test_sync_ingest_rebuilds_the_search_index_after_the_ingests(run_cli, project, monkeypatch):
    # the index's word lists stay in the process: built first, they sat beside every child it waited for
    from opendata.services import catalog_sources, search

    calls = []
    ingest, reindex = catalog_sources.ingest_catalog_sources, search.reindex_search
    monkeypatch.setattr(catalog_sources, "ingest_catalog_sources",
                        lambda **kw: calls.append("ingest") or ingest(**kw))
    monkeypatch.setattr(search, "reindex_search", lambda **kw: calls.append("reindex") or reindex(**kw))
    monkeypatch.chdir(project)
    run_cli("init")
    assert "budget: ingested version 1 (2 rows); published version 1" in run_cli("sync", "--ingest").output
    assert calls[:2] == ["ingest", "reindex"] and calls.count("reindex") >= 1


def test_jobs_lists_uploads_newest_first_with_their_outcome(cli, home, tmp_path):
    import hashlib

    from opendata.config import load_config
    from opendata.services.access import system_viewer
    from opendata.services.jobs import Submission, job_create, run_job, uploads_dir
    from opendata.services.runtime import Runtime
    from opendata.store.db import transaction
    from opendata.store.models import Dataset

    rt = Runtime(load_config({}, HOME=str(home)))
    try:
        made = []
        for name, body in (("good.csv", b"id,name,amount\n1,a,1\n"), ("bad.csv", b"id,name,amount\nx,a,-1\n"),
                           ("gone.csv", None)):
            path = uploads_dir(rt) / name
            if body is not None:
                path.write_bytes(body)
            with transaction(rt.sessions) as session:
                ds_id = session.query(Dataset.id).filter_by(identifier="budget").scalar()
                job, _ = job_create(session=session, actor=system_viewer("clerk"), submission=Submission(
                    dataset_id=ds_id, filename=name, path=path, size=len(body or b""),
                    sha256=hashlib.sha256(body or b"").hexdigest()))
                made.append((job.id, job.uuid))
            run_job(runtime=rt, job_id=made[-1][0], owner="test")
    finally:
        rt.close()
    listed = json.loads(cli("jobs", "--json").output)
    assert [j["id"] for j in listed] == [uuid for _, uuid in reversed(made)]
    gone, bad, good = listed
    assert good["state"] == bad["state"] == "succeeded" and gone["state"] == "failed" and gone["error"]["message"]
    assert (good["version"]["state"], bad["version"]["state"]) == ("awaiting-review", "invalid")
    text = cli("jobs").output.splitlines()
    assert len(text) == 3 and text[0].startswith(gone["id"]) and "v1 awaiting-review" in text[2]
    assert gone["error"]["message"] in text[0]
    assert [j["id"] for j in json.loads(cli("jobs", "--state", "failed", "--json").output)] == [gone["id"]]
    assert json.loads(cli("jobs", "--dataset", "subsidies", "--json").output) == []
    assert len(json.loads(cli("jobs", "--limit", "1", "--json").output)) == 1
    assert "no job state 'done'" in cli("jobs", "--state", "done", code=1).output
