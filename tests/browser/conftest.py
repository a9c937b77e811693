"""Browser-test fixtures: a live server over the published sample catalogue, Debian's chromium, pages.

``portal`` is the real server (``opendata serve``) over catalog.yaml and datasets/, initialised and
ingested by the CLI exactly as `make demo` does, once per test session. ``browser`` is chromium
driven by Playwright; ``new_page(width)`` opens a page in a fresh context (no cookies) and fails the
test on a script error or a Content-Security-Policy refusal. docs/dev/browser-tests.md shows how
other areas (the department console, the request forms) reuse these.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, sync_playwright

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS
from tests.live_server import LiveServer, start_sample_portal


@pytest.fixture(scope="session")
def portal(tmp_path_factory) -> Iterator[LiveServer]:
    """The portal over the published sample catalogue (read-only: tests must not change it)."""
    server = start_sample_portal(tmp_path_factory.mktemp("portal") / "home")
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
