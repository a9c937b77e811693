"""The upload page over a connection that drops: the browser's tus client retries and goes on from the
offset the server holds, and after a reload of the page the same file resumes instead of starting over;
either way the server holds the very bytes of the file (its size and SHA-256 on the version's page).

The file is about 1 MB in CI; the server sends 64 KiB chunks here (OPENDATA_UPLOAD_CHUNK_BYTES) so it
takes many PATCH requests, and Playwright fails chosen PATCH requests with a reset connection, as a
dropped network does. OPENDATA_RESUME_TEST_BYTES makes the file larger (docs/console.md: the 2 GB run
by hand); chunks grow with it to keep about 32 of them.
"""

from __future__ import annotations

import csv
import hashlib
import os
import random
import re

import pytest

from tests.browser.console.conftest import prepare_console_home, sign_in
from tests.live_server import ROOT, LiveServer

SIZE = int(os.environ.get("OPENDATA_RESUME_TEST_BYTES", 1_000_000))
CHUNK = max(1, -(-SIZE // (32 * 64 * 1024))) * 64 * 1024  # whole 64 KiB blocks, about 32 chunks
WAIT_MS = 180_000 + SIZE // 1_000_000 * 2_000  # ingest time grows with the file: 2 s per MB on top
DATASET = "qc-social-assistance"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("resume") / "home"
    prepare_console_home(home)
    live = LiveServer(home, OPENDATA_UPLOAD_CHUNK_BYTES=str(CHUNK), OPENDATA_OUTBOX_INTERVAL_SECONDS="0").start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    """SIZE bytes (about) of the sample register: its rows again and again with new numbers
    (random.Random(42)); the file, its row count and its SHA-256."""
    with (ROOT / "datasets" / f"{DATASET}.csv").open(encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    rng = random.Random(42)
    path = tmp_path_factory.mktemp("big") / "register.csv"
    n = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        while out.tell() < SIZE:
            n += 1
            row = list(rng.choice(rows))
            row[0] = f"QCDB{n:09d}"
            writer.writerow(row)
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return path, n, digest.hexdigest()


def _patches(page, fail: callable) -> list[int]:
    """Upload-Offset of every PATCH the page sends; ``fail(i)`` says which to drop (i counts from 0)."""
    offsets: list[int] = []

    def handle(route):
        request = route.request
        if request.method != "PATCH":
            return route.continue_()
        offsets.append(int(request.headers["upload-offset"]))
        if fail(len(offsets) - 1):
            return route.abort("connectionreset")
        return route.continue_()

    page.route(re.compile(r".*/uploads/tus/.+"), handle)
    return offsets


def _checked_version(page) -> str:
    link = page.locator("#result a")
    link.wait_for(timeout=WAIT_MS)
    return link.get_attribute("href")


def _assert_stored_as_sent(page, base: str, href: str, big_file) -> None:
    """The version's page: the server's copy has the file's size and SHA-256, and every row was read."""
    path, rows, sha256 = big_file
    page.goto(base + href)
    page.wait_for_load_state()
    facts = page.locator("dl.facts").inner_text()
    assert page.locator("dl.facts code.hash").inner_text() == sha256
    assert f"{path.stat().st_size:,}" in facts and f"{rows:,}" in facts


def test_a_dropped_connection_mid_upload_is_retried_from_the_servers_offset(server, new_page, big_file):
    page = new_page()
    sign_in(page, server.base, "clerk")
    page.goto(f"{server.base}/console/datasets/{DATASET}/upload")
    offsets = _patches(page, lambda i: i in (3, 4))  # two drops in a row at the fourth chunk
    page.locator("#file").set_input_files(str(big_file[0]))
    page.get_by_role("button", name="上传", exact=True).click()
    href = _checked_version(page)
    size = big_file[0].stat().st_size
    assert offsets[3] == offsets[4] == offsets[5] == 3 * CHUNK  # the retries go on from the server's offset
    assert offsets == sorted(offsets) and offsets[0] == 0 and len(offsets) == -(-size // CHUNK) + 2
    assert f"{big_file[1]:,}" in page.locator("#status").inner_text()
    _assert_stored_as_sent(page, server.base, href, big_file)


def test_after_a_reload_the_same_file_resumes_where_it_stopped(server, new_page, big_file):
    page = new_page()
    sign_in(page, server.base, "clerk")
    page.goto(f"{server.base}/console/datasets/{DATASET}/upload")
    dropped = _patches(page, lambda i: i >= 5)  # the network goes away after five chunks and stays away
    page.locator("#file").set_input_files(str(big_file[0]))
    page.get_by_role("button", name="上传", exact=True).click()
    page.get_by_text(re.compile("网络连接中断，正在重试")).wait_for(timeout=60_000)
    assert dropped[5:] and set(dropped[5:]) == {5 * CHUNK}
    page.reload()  # the clerk gives up waiting and opens the page again (no retry got through)
    page.wait_for_load_state()
    page.unroute(re.compile(r".*/uploads/tus/.+"))
    offsets = _patches(page, lambda i: False)
    page.locator("#file").set_input_files(str(big_file[0]))
    page.get_by_role("button", name="上传", exact=True).click()
    href = _checked_version(page)
    assert offsets[0] == 5 * CHUNK  # not from 0: the upload's URL was remembered for this file
    _assert_stored_as_sent(page, server.base, href, big_file)
