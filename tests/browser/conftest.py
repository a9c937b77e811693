"""Browser-test fixtures: a live server over the published sample catalogue, Debian's chromium, pages.

``portal`` is the real server (``opendata serve``) over catalog.yaml and datasets/, initialised and
ingested by the CLI exactly as `make demo` does, once per test session. ``browser`` is chromium
driven by Playwright; ``new_page(width)`` opens a page in a fresh context (no cookies) and fails the
test on a script error or a Content-Security-Policy refusal. docs/dev/browser-tests.md shows how
other areas (the department console, the request forms) reuse these.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, SCREENSHOTS
from tests.live_server import LiveServer, start_sample_portal

SECOND_VERSION = "qc-debt"  # the dataset that gets a second version, so pages show version changes


def publish_second_version(server: LiveServer, folder: Path) -> None:
    """Publish a version 2 of qc-debt from its sample file with one row changed and the last removed."""
    lines = (ROOT / "datasets" / "qc-debt-2019-2024.csv").read_bytes().decode("gbk").splitlines()
    cells = lines[1].split(",")
    cells[3] = f"{float(cells[3]) + 10:.2f}"  # 债务限额 of the first row
    path = folder / "qc-debt-v2.csv"
    path.write_text("\n".join([lines[0], ",".join(cells), *lines[2:-1]]) + "\n", encoding="utf-8")
    done = server.cli("ingest", SECOND_VERSION, str(path), "--publish")
    assert done.returncode == 0, done.stdout + done.stderr


REPORT = ("qc-finance", "2025")  # the organisation and year of the published annual report


def publish_sample_report(server: LiveServer, folder: Path) -> None:
    """Publish qc-finance's 2025 annual report (texts and tables 二 and 四 entered; table 三 from no requests)."""
    entry = {"sections": {"overview": "2025年，本局坚持以公开为常态、不公开为例外。\n全年主动公开政府信息 120 条。",
                          "problems": "部分栏目更新不够及时。", "other": "无。"},
             "table_two": {"regulations": {"issued": 1, "repealed": 0, "in-force": 5}, "licensing": {"decisions": 12},
                           "fees": {"amount": 3.25}},
             "table_four": {"reconsideration": {"upheld": 1, "total": 1}}}
    path = folder / "report-entry.json"
    path.write_text(json.dumps(entry, ensure_ascii=False), encoding="utf-8")
    for args in (("reports", "enter", *REPORT, str(path)), ("reports", "publish", *REPORT)):
        done = server.cli(*args)
        assert done.returncode == 0, done.stdout + done.stderr


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[LiveServer]:
    """The portal over the published sample catalogue, qc-debt with two versions, qc-finance's 2025 annual
    report (read-only: tests must not change it)."""
    folder = tmp_path_factory.mktemp("portal")
    server = start_sample_portal(folder / "home")
    publish_second_version(server, folder)
    publish_sample_report(server, folder)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """Debian's chromium (Playwright's own browser builds cannot be downloaded here)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs chromium (scripts/system-packages.sh)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The folder screenshots are written to: build/screenshots, or $OPENDATA_SCREENSHOTS."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def new_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """``new_page(width=1280, height=900, **context_options)``: a page in a new context of that size.

    At teardown the test fails if any page logged a script error or a Content-Security-Policy
    refusal (an inline style or script the CSP blocks is a bug, not noise).
    """
    contexts, problems = [], []

    def watch(message: ConsoleMessage) -> None:
        if message.type == "error" and ("Content Security Policy" in message.text or "Refused" in message.text):
            problems.append(message.text)

    def make(width: int = 1280, height: int = 900, **options) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN", **options)
        contexts.append(context)
        page = context.new_page()
        page.on("console", watch)
        page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)
