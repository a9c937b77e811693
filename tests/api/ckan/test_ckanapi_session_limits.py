"""An ordinary ckanapi session over the sample catalogue finishes against a live server with the
default rate limits on; the same session fails mid-way under the old single limit of 60 a minute.

The server is ``opendata serve`` over the repository's own catalog.yaml and sample files
(``opendata sync --ingest``). The session is what a CKAN user or harvester does: the ckanapi
library walks organizations, groups, searches, packages, resources and datastore rows, and the
ckanapi command line dumps every dataset with its files (``dump datasets --all -D``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import ckanapi
import pytest

from tests.live_server import ROOT, LiveServer

CKANAPI = str(Path(sys.executable).parent / "ckanapi")  # its worker processes are found on PATH


@pytest.fixture(scope="module")
def sample_home(tmp_path_factory) -> Path:
    home = tmp_path_factory.mktemp("sample") / "home"
    server = LiveServer(home)
    for command in (("init",), ("sync", "--ingest")):
        done = server.cli(*command)
        assert done.returncode == 0, done.stderr[-2000:]
    return home


def _session(base: str) -> tuple[int, int]:
    """The library half of the session; returns how many calls it made and how many resources it saw."""
    calls, resources = 0, 0
    with ckanapi.RemoteCKAN(base, user_agent="ckanapi-session-test") as ckan:
        def call(action: str, **data):
            nonlocal calls
            calls += 1
            return ckan.call_action(action, data)

        call("status_show")
        names = call("package_list")
        for org in call("organization_list", all_fields=True):
            call("organization_show", id=org["name"], include_datasets=True)
        for group in call("group_list"):
            call("group_show", id=group)
        found, start = [], 0
        while True:
            page = call("package_search", rows=5, start=start, sort="name asc")
            found += [p["name"] for p in page["results"]]
            start += 5
            if start >= page["count"]:
                break
        assert sorted(found) == sorted(names)
        for name in names:
            for resource in call("package_show", id=name)["resources"]:
                resources += 1
                call("resource_show", id=resource["id"])
                if resource.get("datastore_active"):
                    rows = call("datastore_search", resource_id=resource["id"], limit=5, sort="_id")
                    assert [r["_id"] for r in rows["records"]] == list(range(1, len(rows["records"]) + 1))
    return calls, resources


def test_a_ckanapi_session_over_the_sample_catalogue_finishes_with_the_default_limits(sample_home, tmp_path):
    with LiveServer(sample_home, OPENDATA_RATE_LIMIT_ENABLED="true") as server:
        started = time.monotonic()
        calls, resources = _session(server.base)
        env = {**os.environ, "PATH": os.pathsep.join([str(Path(CKANAPI).parent), os.environ.get("PATH", "")])}
        dump = subprocess.run([CKANAPI, "dump", "datasets", "--all", "-D", str(tmp_path / "dump"), "-p", "2",
                               "-r", server.base], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        elapsed = time.monotonic() - started
        assert dump.returncode == 0, dump.stdout[-2000:] + dump.stderr[-2000:]
        packages = sorted(p.name for p in (tmp_path / "dump").iterdir())
        assert len(packages) == len(json.loads(server.get("/api/3/action/package_list")[1])["result"])
        downloaded = [f for f in (tmp_path / "dump").glob("*/data/*") if f.stat().st_size > 0]
        assert len(downloaded) == resources > 0  # every served file came down, none refused with 429
        described = json.loads((tmp_path / "dump" / "qc-budget-2024" / "datapackage.json").read_text(encoding="utf-8"))
        assert described["resources"][0]["schema"]["fields"]
        status, body = server.get("/api/v1/status")
        assert status == 200, body
    assert calls > 60, (calls, elapsed)  # more than the old anonymous limit allowed in a minute


def test_the_same_session_fails_under_the_old_single_limit(sample_home):
    old = LiveServer(sample_home, OPENDATA_RATE_LIMIT_ENABLED="true", OPENDATA_RATE_LIMIT_ANONYMOUS_READ="60 per minute")
    with old as server, pytest.raises(ckanapi.errors.CKANAPIError, match="429"):
        _session(server.base)
