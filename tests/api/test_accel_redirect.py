"""Downloads handed to nginx with X-Accel-Redirect: the app decides, nginx sends the bytes.

The first tests check the app's answers (they run everywhere). The last ones put a real nginx in
front of the real server with the location `opendata nginx-config` prints, and compare its answers
with the app's own. They fail where nginx cannot be started: `make test` installs it
(scripts/system-packages.sh).
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from opendata.api.files import CARRIED, nginx_location
from opendata.app import close_app, create_app
from opendata.store.migrate import upgrade_to_head
from tests.api.conftest import DATASETS
from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows
from tests.live_server import LiveServer, free_port

PREFIX = "/_opendata_files/"
PARQUET = "/api/v1/datasets/budget/download.parquet"


def _app(home: Path, **settings):
    app = create_app(HOME=str(home), BASE_URL="http://testserver", RATE_LIMIT_ENABLED=False, **settings)
    app.config["TESTING"] = True
    return app


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """One published home served two ways: the app sending files itself, and handing them to nginx."""
    tmp = tmp_path_factory.mktemp("accel")
    home = tmp / "home"
    direct = _app(home)
    runtime = direct.extensions["opendata"]
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    make_catalog(runtime, tmp, datasets=[DATASETS[0], DATASETS[2], DATASETS[3]], schemas={"rows.json": ROWS_SCHEMA})
    publish_rows(runtime, "budget", generate_rows(60, seed=1))
    publish_rows(runtime, "budget", generate_rows(300, seed=2))
    publish_rows(runtime, "subsidies", generate_rows(20, seed=3))
    publish_rows(runtime, "secret", generate_rows(20, seed=4))
    accel = _app(home, ACCEL_REDIRECT_PREFIX=PREFIX)
    yield direct, accel, runtime.config.home
    close_app(accel)
    close_app(direct)


@pytest.fixture
def accel(sites):
    return sites[1].test_client()


def _target(home: Path, response) -> Path:
    uri = response.headers["X-Accel-Redirect"]
    assert uri.startswith(PREFIX)
    return home / urllib.request.url2pathname(uri[len(PREFIX):])


def _downloads(app) -> int:
    return app.test_client().get("/api/v1/datasets/budget").json["usage"]["downloads"]


def test_the_answer_redirects_to_the_stored_file_with_the_apps_headers(sites, accel):
    direct, app, home = sites
    before = _downloads(app)
    r = accel.get(PARQUET)
    assert r.status_code == 200 and r.data == b""
    path = _target(home, r)
    assert r.headers["ETag"] == f'"{hashlib.sha256(path.read_bytes()).hexdigest()}"'
    own = direct.test_client().get(PARQUET)
    assert own.data == path.read_bytes()
    for name in ("ETag", "Last-Modified", "Content-Disposition", "Cache-Control", "X-Dataset-Version",
                 "Content-Type", "X-Content-Type-Options", "Vary"):
        assert r.headers[name] == own.headers[name], name
    assert "Accept-Ranges" not in r.headers  # nginx adds its own: one, not two
    assert _downloads(app) == before + 1


def test_a_numbered_version_redirects_to_its_own_file(sites, accel):
    v1 = accel.get("/api/v1/datasets/budget/versions/1/download.csv")
    latest = accel.get("/api/v1/datasets/budget/download.csv")
    assert v1.headers["X-Accel-Redirect"] != latest.headers["X-Accel-Redirect"]
    assert len(_target(sites[2], v1).read_bytes().splitlines()) == 61
    assert v1.headers["Cache-Control"] == "public, no-cache"


def test_not_modified_is_answered_by_the_app_without_a_redirect(accel):
    etag = accel.get(PARQUET).headers["ETag"]
    r = accel.get(PARQUET, headers={"If-None-Match": etag})
    assert r.status_code == 304 and "X-Accel-Redirect" not in r.headers


def test_ranges_are_left_to_nginx_and_only_a_start_counts(sites, accel):
    app = sites[1]
    before = _downloads(app)
    first = accel.get(PARQUET, headers={"Range": "bytes=0-99"})
    rest = accel.get(PARQUET, headers={"Range": "bytes=100-"})
    assert first.status_code == rest.status_code == 200 and "X-Accel-Redirect" in rest.headers
    assert _downloads(app) == before + 1


def test_a_range_beyond_the_end_is_416_in_the_error_shape_unless_if_range_is_stale(sites, accel):
    app = sites[1]
    r = accel.get(PARQUET, headers={"Range": "bytes=99999999-"})
    assert r.status_code == 416 and r.json["code"] == "requested-range-not-satisfiable"
    assert "X-Accel-Redirect" not in r.headers
    before = _downloads(app)
    stale = accel.get(PARQUET, headers={"Range": "bytes=99999999-", "If-Range": '"an-older-etag"'})
    assert stale.status_code == 200 and "X-Accel-Redirect" in stale.headers  # the whole file, counted
    assert _downloads(app) == before + 1


IGNORED_RANGES = ["items=0-5", "bytes=0-1,5-6", "garbage", "bytes=5-2"]


@pytest.mark.parametrize("spec", IGNORED_RANGES)
def test_a_range_that_must_be_ignored_is_the_whole_file_sent_by_the_app(sites, accel, spec):
    """nginx would still see the header after a redirect (and answer several ranges with multipart)."""
    direct, app, _ = sites
    before = _downloads(app)
    r = accel.get(PARQUET, headers={"Range": spec})
    assert (r.status_code, r.data) == (200, direct.test_client().get(PARQUET).data)
    assert "X-Accel-Redirect" not in r.headers and "Content-Range" not in r.headers
    assert _downloads(app) == before + 1


def test_an_empty_suffix_range_is_416_without_a_redirect(accel):
    r = accel.get(PARQUET, headers={"Range": "bytes=-0"})
    assert r.status_code == 416 and "X-Accel-Redirect" not in r.headers


def test_after_the_newest_version_is_withdrawn_its_date_validates_nothing(fresh_site):
    from tests.api.test_downloads import CSV, _published_hours_ago, withdraw

    rt = fresh_site.runtime
    publish_rows(rt, "budget", generate_rows(30, seed=7))
    _published_hours_ago(rt, v1=3, v2=2)
    app = _app(rt.config.home, ACCEL_REDIRECT_PREFIX=PREFIX)
    try:
        c = app.test_client()
        v2_date = c.get(CSV).headers["Last-Modified"]
        withdraw(rt, 2)
        v1 = c.get("/api/v1/datasets/budget/versions/1/download.csv")
        r = c.get(CSV, headers={"If-Modified-Since": v2_date})
        assert r.status_code == 200 and r.headers["X-Accel-Redirect"] == v1.headers["X-Accel-Redirect"]
        assert r.headers["Last-Modified"] != v2_date != v1.headers["Last-Modified"]
        before = _downloads(app)
        r = c.get(CSV, headers={"Range": "bytes=100-", "If-Range": v2_date})  # not a continuation: a new download
        assert r.status_code == 200 and r.headers["X-Accel-Redirect"] == v1.headers["X-Accel-Redirect"]
        assert _downloads(app) == before + 1
        assert c.get(CSV, headers={"If-Modified-Since": r.headers["Last-Modified"]}).status_code == 304
    finally:
        close_app(app)


def test_head_redirects_too_and_is_not_a_download(sites, accel):
    before = _downloads(sites[1])
    r = accel.head(PARQUET)
    assert r.status_code == 200 and "X-Accel-Redirect" in r.headers
    assert _downloads(sites[1]) == before


@pytest.mark.parametrize("path", ["/api/v1/datasets/subsidies/download.csv", "/api/v1/datasets/secret/download.csv",
                                  "/api/v1/datasets/nothing/download.csv"])
def test_data_the_caller_may_not_have_gets_no_redirect(accel, path):
    r = accel.get(path)
    assert r.status_code == 404 and "X-Accel-Redirect" not in r.headers
    assert r.json["message"] == f"dataset '{path.split('/')[4]}' has no downloadable version"


def test_bulk_archives_redirect_too(sites, accel):
    r = accel.get("/bulk/opendata-all.zip")
    # archives are stored like every artifact: under their sha256 name
    assert r.status_code == 200 and r.headers["X-Accel-Redirect"].startswith(f"{PREFIX}artifacts/")
    assert r.headers["X-Accel-Redirect"].endswith(f"{r.headers['ETag'].strip(chr(34))}.zip")
    assert f'"{hashlib.sha256(_target(sites[2], r).read_bytes()).hexdigest()}"' == r.headers["ETag"]
    assert r.headers["Content-Disposition"] == 'attachment; filename="opendata-all.zip"'


def test_the_setting_must_be_a_location_path(tmp_path):
    from opendata.config import ConfigError, load_config

    for bad in ("files", "/files", "files/", "//files/", "/my files/"):
        with pytest.raises(ConfigError, match="OPENDATA_ACCEL_REDIRECT_PREFIX"):
            load_config({"OPENDATA_ACCEL_REDIRECT_PREFIX": bad})


# -- through a real nginx ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def nginx(sites, tmp_path_factory):
    if shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists():
        pytest.fail("nginx is not installed: `make test` installs it (scripts/system-packages.sh)")
    home = sites[2]
    server = LiveServer(home, OPENDATA_ACCEL_REDIRECT_PREFIX=PREFIX).start()
    prefix_dir = tmp_path_factory.mktemp("nginx")
    port = free_port()
    temp = "\n".join(f"    {kind}_temp_path {prefix_dir / kind};" for kind in ("client_body", "proxy", "fastcgi",
                                                                             "uwsgi", "scgi"))
    location = "\n".join("        " + line for line in nginx_location(PREFIX, home).splitlines())
    # workers of an nginx started by root run as nobody, who may not enter pytest's private folders
    user = f"user {pwd.getpwuid(os.geteuid()).pw_name};\n" if os.geteuid() == 0 else ""
    (prefix_dir / "nginx.conf").write_text(f"""{user}worker_processes 1;
daemon off;
pid {prefix_dir / "nginx.pid"};
error_log {prefix_dir / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    types {{ application/vnd.apache.parquet parquet; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{ proxy_pass http://127.0.0.1:{server.port}; proxy_set_header Host $host; }}
{location}
    }}
}}
""")
    proc = subprocess.Popen([shutil.which("nginx") or "/usr/sbin/nginx", "-p", str(prefix_dir), "-c", str(prefix_dir / "nginx.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while _get(base + "/api/v1/status")[0] != 200:
            assert proc.poll() is None and time.monotonic() < deadline, proc.stderr.read().decode()
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.stop()


def _get(url: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as r:
            return r.status, dict(r.headers.items()), r.read()
    except urllib.error.HTTPError as err:
        return err.code, dict(err.headers.items()), err.read()
    except (urllib.error.URLError, ConnectionError):
        return 0, {}, b""


def test_nginx_sends_the_same_file_with_the_same_headers_as_the_app(sites, nginx):
    own = sites[0].test_client().get(PARQUET)
    status, headers, body = _get(nginx + PARQUET)
    assert status == 200 and body == own.data
    assert int(headers["Content-Length"]) == len(own.data)
    expected = {"ETag", "Last-Modified", "X-Dataset-Version", "X-Content-Type-Options", "Content-Security-Policy",
                "Vary", "Content-Type", "Content-Disposition", "Cache-Control"}
    assert expected <= set(own.headers.keys())
    for name in expected | set(CARRIED):
        if name in own.headers and name != "X-Request-ID":
            assert headers.get(name) == own.headers[name], name
    assert headers["Accept-Ranges"] == "bytes" and "X-Accel-Redirect" not in headers


def test_nginx_answers_ranges_and_if_range_and_the_app_answers_304_and_416(sites, nginx):
    own = sites[0].test_client().get(PARQUET)
    status, headers, body = _get(nginx + PARQUET, Range="bytes=100-199")
    assert status == 206 and body == own.data[100:200]
    assert headers["Content-Range"] == f"bytes 100-199/{len(own.data)}"
    status, _, body = _get(nginx + PARQUET, Range="bytes=100-199", **{"If-Range": own.headers["ETag"]})
    assert status == 206 and body == own.data[100:200]
    status, _, body = _get(nginx + PARQUET, Range="bytes=100-199", **{"If-Range": '"stale"'})
    assert status == 200 and body == own.data
    assert _get(nginx + PARQUET, **{"If-None-Match": own.headers["ETag"]})[0] == 304
    status, headers, body = _get(nginx + PARQUET, Range="bytes=99999999-")
    assert status == 416 and b'"requested-range-not-satisfiable"' in body and headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("spec", IGNORED_RANGES)
def test_nginx_gives_the_whole_file_for_a_range_that_must_be_ignored(sites, nginx, spec):
    with urllib.request.urlopen(urllib.request.Request(nginx + PARQUET, headers={"Range": spec}), timeout=30) as r:
        assert (r.status, r.read()) == (200, sites[0].test_client().get(PARQUET).data)
        assert "Content-Range" not in r.headers and r.headers.get_all("Accept-Ranges") == ["bytes"]


def test_head_through_nginx_gives_the_length_without_a_body(sites, nginx):
    status, headers, body = _get(nginx + PARQUET, method="HEAD")
    assert status == 200 and body == b"" and int(headers["Content-Length"]) == len(
        sites[0].test_client().get(PARQUET).data)


def test_the_internal_location_cannot_be_asked_for_directly(sites, nginx):
    rel = sites[1].test_client().get(PARQUET).headers["X-Accel-Redirect"]
    assert _get(nginx + rel)[0] == 404
    assert _get(nginx + PREFIX + "opendata.db")[0] == 404


def test_a_hidden_dataset_is_404_through_nginx(nginx):
    status, headers, body = _get(nginx + "/api/v1/datasets/subsidies/download.csv")
    assert status == 404 and b'"not-found"' in body and "X-Accel-Redirect" not in headers


def test_an_excel_csv_stored_as_the_canonical_one_is_sent_by_the_app_with_its_bom(sites, accel):
    # nginx cannot put the BOM before the stored file: the app answers, Range included
    direct = sites[0].test_client()
    body = b"\xef\xbb\xbf" + direct.get("/api/v1/datasets/budget/download.csv").data
    r = accel.get("/api/v1/datasets/budget/download.excel.csv")
    assert r.status_code == 200 and "X-Accel-Redirect" not in r.headers and r.data == body
    assert r.headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()}"'
    part = accel.get("/api/v1/datasets/budget/download.excel.csv", headers={"Range": "bytes=1-20"})
    assert part.status_code == 206 and part.data == body[1:21] and "X-Accel-Redirect" not in part.headers
