"""Bulk archives: only open data, sha256 manifests, served like downloads, rebuilt on change."""

from __future__ import annotations

import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from frictionless import Package
from openpyxl import load_workbook

from opendata.app import close_app
from opendata.services.publication import after_withdraw, withdraw_version
from opendata.services.standards import bulk
from opendata.services.versions import referenced_artifacts
from opendata.store.db import transaction
from opendata.store.models import Version
from tests.api.standards.catalogue import BASE_URL, DATASETS, _sync, build_catalogue
from tests.api.standards.conftest import make_app


# these tests withdraw data: they get a catalogue and an app of their own
@pytest.fixture(scope="module")
def catalogue(tmp_path_factory):
    return build_catalogue(tmp_path_factory.mktemp("bulk") / "project")


@pytest.fixture(scope="module")
def app(catalogue):
    app = make_app(catalogue)
    yield app
    close_app(app)


def archive(client, name: str) -> zipfile.ZipFile:
    r = client.get(f"/bulk/{name}")
    assert r.status_code == 200
    return zipfile.ZipFile(io.BytesIO(r.data))


def test_publishing_rebuilt_the_archives_before_any_request(catalogue):
    index = bulk.read_index(catalogue.runtime)  # written by the after_publish hook, not by a request
    assert index is not None
    # the last publication was 'retired', withdrawn afterwards by a catalogue sync, which runs no
    # hook: the fingerprint makes the next request rebuild (see the last test)
    assert {a["name"]: a["datasets"] for a in index["archives"]}["opendata-all.zip"] == \
        ["budget", "bus-lines", "retired"]


def test_index_lists_whole_catalogue_and_one_archive_per_theme(client):
    r = client.get("/bulk", headers={"Accept": "application/json"})
    assert r.status_code == 200
    index = r.get_json()
    names = {a["name"]: a for a in index["archives"]}
    assert set(names) == {"opendata-all.zip", "theme-fiscal.zip", "theme-transport.zip"}
    assert names["opendata-all.zip"]["datasets"] == ["budget", "bus-lines"]
    assert names["theme-transport.zip"]["datasets"] == ["bus-lines"]
    assert names["theme-fiscal.zip"]["url"] == f"{BASE_URL}/bulk/theme-fiscal.zip"
    for a in index["archives"]:
        body = client.get(f"/bulk/{a['name']}").data
        assert hashlib.sha256(body).hexdigest() == a["sha256"] and len(body) == a["bytes"]
    assert client.get("/bulk.json").get_json() == index


def test_index_as_html_for_browsers(client):
    r = client.get("/bulk", headers={"Accept": "text/html,application/xhtml+xml"})
    assert r.mimetype == "text/html"
    assert 'href="http://data.example.gov.cn/bulk/opendata-all.zip"' in r.get_data(as_text=True)


def test_archive_holds_open_data_tables_and_a_valid_manifest(client):
    zf = archive(client, "opendata-all.zip")
    names = set(zf.namelist())
    assert names == {"budget/data.csv", "budget/data.parquet", "budget/datapackage.json",
                     "bus-lines/data.csv", "bus-lines/data.parquet", "bus-lines/datapackage.json",
                     "catalog.csv", "catalog.xlsx", "SHA256SUMS"}
    sums = dict(reversed(line.split("  ", 1)) for line in zf.read("SHA256SUMS").decode().splitlines())
    assert set(sums) == names - {"SHA256SUMS"}
    for name, digest in sums.items():
        assert hashlib.sha256(zf.read(name)).hexdigest() == digest, name
    table = zf.read("catalog.csv").decode("utf-8").splitlines()
    assert table[0].startswith("identifier,code,title") and len(table) == 3
    sheet = load_workbook(io.BytesIO(zf.read("catalog.xlsx")), read_only=True).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["identifier", "budget", "bus-lines"]


def test_unpacked_archive_is_a_valid_data_package_offline(client, tmp_path: Path):
    archive(client, "theme-fiscal.zip").extractall(tmp_path)
    package = Package(str(tmp_path / "budget" / "datapackage.json"))
    report = package.validate()
    assert report.valid, report.flatten(["type", "note"])
    assert len(package.get_resource("data").read_rows()) == 12


def test_archive_download_has_etag_range_304_and_attachment(client):
    first = client.get("/bulk/opendata-all.zip")
    etag = first.headers["ETag"]
    assert etag.strip('"') == hashlib.sha256(first.data).hexdigest()
    assert "attachment" in first.headers["Content-Disposition"]
    assert client.get("/bulk/opendata-all.zip", headers={"If-None-Match": etag}).status_code == 304
    part = client.get("/bulk/opendata-all.zip", headers={"Range": "bytes=10-19"})
    assert part.status_code == 206 and part.data == first.data[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(first.data)}"


@pytest.mark.parametrize("name", ["nope.zip", "index.json", "..%2Findex.json", ".lock"])
def test_unknown_archive_is_404(client, name):
    r = client.get(f"/bulk/{name}")
    assert r.status_code == 404


def test_withdrawn_version_and_withdrawn_dataset_leave_the_archives(catalogue, client):
    rt = catalogue.runtime
    with transaction(rt.sessions) as session:
        version = session.query(Version).join(Version.dataset).filter_by(identifier="budget").one()
        withdraw_version(session=session, version_id=version.id, actor="test", reason="wrong figures")
        version_id = version.id
    after_withdraw(runtime=rt, version_id=version_id)  # the hook rebuilds the archives
    index = bulk.read_index(rt)
    assert [a["name"] for a in index["archives"]] == ["opendata-all.zip", "theme-transport.zip"]
    # the theme's archive is gone from the store too, not only from the index
    assert sorted(r for r in rt.artifacts.iter_files() if r.endswith(".zip")) == sorted(bulk.archive_paths(index))
    # the one theme left holds the whole catalogue: the same bytes, stored and compressed once
    records = {a["name"]: a for a in index["archives"]}
    assert records["theme-transport.zip"]["datasets"] == records["opendata-all.zip"]["datasets"] == ["bus-lines"]
    assert records["theme-transport.zip"]["sha256"] == records["opendata-all.zip"]["sha256"]
    assert records["theme-transport.zip"]["path"] == records["opendata-all.zip"]["path"]
    assert "bus-lines/data.csv" in archive(client, "theme-transport.zip").namelist()
    # a dataset withdrawn by a catalogue sync (no hook runs) is caught by the index fingerprint
    _sync(rt, catalogue.root, [d for d in DATASETS if d["id"] not in ("retired", "bus-lines")])
    r = client.get("/bulk.json").get_json()
    assert [a["name"] for a in r["archives"]] == ["opendata-all.zip"]
    assert r["archives"][0]["datasets"] == []
    assert archive(client, "opendata-all.zip").namelist() == ["catalog.csv", "catalog.xlsx", "SHA256SUMS"]


def test_concurrent_rebuilds_leave_a_consistent_index_and_no_temporary_files(catalogue):
    rt = catalogue.runtime
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: bulk.rebuild_bulk(runtime=rt), range(4)))
    index = bulk.read_index(rt)
    for record in index["archives"]:
        digest = hashlib.sha256(rt.artifacts.read_bytes(record["path"])).hexdigest()
        assert digest == record["sha256"]
    # every rebuild dropped the archives the index it replaced had named: only the current ones are stored
    assert sorted(r for r in rt.artifacts.iter_files() if r.endswith(".zip")) == sorted(bulk.archive_paths(index))
    assert sorted(p.name for p in bulk.bulk_dir(rt).iterdir() if p.suffix == ".zip") == []
    with rt.sessions() as session:  # nothing unreferenced, no leftover of a write
        assert rt.artifacts.clean_orphans(referenced_artifacts(session) | bulk.archive_paths(index), dry_run=True) == []
