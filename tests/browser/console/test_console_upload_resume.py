"""The upload page over a connection that drops: the browser's tus client retries and goes on from the
offset the server holds, and after a reload of the page the same file resumes instead of starting over.

The server sends 64 KiB chunks here (OPENDATA_UPLOAD_CHUNK_BYTES) so a 1 MB file takes many PATCH
requests; Playwright fails chosen PATCH requests with a reset connection, as a dropped network does.
"""

from __future__ import annotations

import csv
import random
import re

import pytest

from tests.browser.console.conftest import prepare_console_home, sign_in
from tests.live_server import ROOT, LiveServer

CHUNK = 64 * 1024
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
    """About 1 MB of the sample register: its rows again and again with new numbers (random.Random(42))."""
    with (ROOT / "datasets" / f"{DATASET}.csv").open(encoding="utf-8") as f:
        header, *rows = list(csv.reader(f))
    rng = random.Random(42)
    path = tmp_path_factory.mktemp("big") / "register.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(header)
        for n in range(1, 10_001):
            row = list(rng.choice(rows))
            row[0] = f"QCDB{n:07d}"
            writer.writerow(row)
    return path


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
    link.wait_for(timeout=180_000)
    return link.get_attribute("href")


def test_a_dropped_connection_mid_upload_is_retried_from_the_servers_offset(server, new_page, big_file):
    page = new_page()
    sign_in(page, server.base, "clerk")
    page.goto(f"{server.base}/console/datasets/{DATASET}/upload")
    offsets = _patches(page, lambda i: i in (3, 4))  # two drops in a row at the fourth chunk
    page.locator("#file").set_input_files(str(big_file))
    page.get_by_role("button", name="上传", exact=True).click()
    href = _checked_version(page)
    size = big_file.stat().st_size
    assert offsets[3] == offsets[4] == offsets[5] == 3 * CHUNK  # the retries go on from the server's offset
    assert offsets == sorted(offsets) and offsets[0] == 0 and len(offsets) == -(-size // CHUNK) + 2
    assert "10,000" in page.locator("#status").inner_text() or "10000" in page.locator("#status").inner_text()
    page.goto(server.base + href)
    page.wait_for_load_state()
    assert "10,000" in page.locator("dl.facts").inner_text()


def test_after_a_reload_the_same_file_resumes_where_it_stopped(server, new_page, big_file):
    page = new_page()
    sign_in(page, server.base, "clerk")
    page.goto(f"{server.base}/console/datasets/{DATASET}/upload")
    dropped = _patches(page, lambda i: i >= 5)  # the network goes away after five chunks and stays away
    page.locator("#file").set_input_files(str(big_file))
    page.get_by_role("button", name="上传", exact=True).click()
    page.get_by_text(re.compile("网络连接中断，正在重试")).wait_for(timeout=60_000)
    assert dropped[5:] and set(dropped[5:]) == {5 * CHUNK}
    page.reload()  # the clerk gives up waiting and opens the page again (no retry got through)
    page.wait_for_load_state()
    page.unroute(re.compile(r".*/uploads/tus/.+"))
    offsets = _patches(page, lambda i: False)
    page.locator("#file").set_input_files(str(big_file))
    page.get_by_role("button", name="上传", exact=True).click()
    _checked_version(page)
    assert offsets[0] == 5 * CHUNK  # not from 0: the upload's URL was remembered for this file
