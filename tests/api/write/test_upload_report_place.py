"""A version's validation report names the file as its uploader named it, never a path on the server."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from opendata.cli import main
from opendata.services.publication import publish_if_clean
from opendata.store.db import transaction
from opendata.store.models import Version
from tests.api.write.conftest import csv_body, wait_for_job

VERSION = "/api/v1/datasets/budget/versions/1"


def _upload_and_publish(client, fin, runtime, filename: str = "budget-2025.csv") -> dict:
    r = client.post(f"/api/v1/datasets/budget/uploads?filename={filename}", data=csv_body(30),
                    headers={"Content-Type": "application/octet-stream", **fin})
    assert r.status_code == 202, r.get_data(as_text=True)
    job_url = r.headers["Location"]
    job = wait_for_job(client, job_url, fin)
    assert job["state"] == "succeeded", job
    with runtime.sessions() as session:
        version_id = session.scalar(select(Version.id).where(Version.number == job["version"]["number"]))
    status = publish_if_clean(runtime=runtime, version_id=version_id, actor="tests")
    assert status.startswith("published"), status
    return {"job": client.get(job_url, headers=fin)}


def _cli_versions_json(home, monkeypatch) -> str:
    monkeypatch.setenv("OPENDATA_HOME", str(home))
    result = CliRunner().invoke(main, ["versions", "budget", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _outward_bodies(client, runtime, monkeypatch) -> dict[str, str]:
    """Every outward answer that shows (part of) the version's report, as text."""
    detail = client.get(VERSION)
    assert detail.status_code == 200, detail.get_data(as_text=True)
    ckan = client.get("/api/3/action/package_show", query_string={"id": "budget"})
    assert ckan.status_code == 200, ckan.get_data(as_text=True)
    return {"detail": detail.get_data(as_text=True), "ckan": ckan.get_data(as_text=True),
            "cli": _cli_versions_json(runtime.config.home, monkeypatch)}


def test_uploaded_version_report_names_the_uploaded_file_and_no_server_path(client, fin, runtime, monkeypatch):
    job = _upload_and_publish(client, fin, runtime)["job"]
    bodies = {"job": job.get_data(as_text=True), **_outward_bodies(client, runtime, monkeypatch)}
    home = str(runtime.config.home)
    for where, text in bodies.items():
        assert home not in text, where
        assert "uploads/" not in text and ".upload" not in text, where
    (task,) = client.get(VERSION).json["report"]["tasks"]
    assert task["place"] == "budget-2025.csv" and task["name"] == "budget-2025"
    (cli_version,) = json.loads(bodies["cli"])
    assert cli_version["report"]["tasks"][0]["place"] == "budget-2025.csv"


@pytest.mark.parametrize("stored", ["/srv/opendata/home/uploads/0f3a.upload", r"C:\opendata\home\uploads\0f3a.upload"])
def test_a_report_stored_with_a_server_path_is_shown_with_its_base_name_only(client, fin, runtime, monkeypatch,
                                                                              stored):
    _upload_and_publish(client, fin, runtime)
    with transaction(runtime.sessions) as session:  # as older releases stored it
        version = session.scalar(select(Version).where(Version.number == 1))
        report = json.loads(json.dumps(version.report))
        report["tasks"][0]["place"] = stored
        version.report = report
    bodies = _outward_bodies(client, runtime, monkeypatch)
    directory = stored[: -len("0f3a.upload")]
    for where, text in bodies.items():
        assert directory not in text and json.dumps(directory)[1:-1] not in text, where
    assert client.get(VERSION).json["report"]["tasks"][0]["place"] == "0f3a.upload"
    assert json.loads(bodies["cli"])[0]["report"]["tasks"][0]["place"] == "0f3a.upload"
