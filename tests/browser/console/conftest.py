"""The department console in the browser: one server per test module over the sample catalogue (synced,
not ingested: the console makes its own versions), with the people of a department's first day.

People (password ``PASSWORD``):

| username | organization | role |
|---|---|---|
| clerk | qc-civil (民政局) | publisher |
| reviewer1, approver1 | qc-civil | reviewer |
| clerkb | qc-health (卫生健康委) | publisher (department B) |
| admin | qc-gov | administrator |
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page
from werkzeug.routing import Rule

from opendata.app import close_app, create_app
from opendata.config import load_config
from opendata.core.catalog_file import load_catalog
from opendata.services.access import system_viewer
from opendata.services.accounts import role_grant, user_create
from opendata.services.catalog_sync import sync_catalog
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from opendata.store.migrate import upgrade_to_head
from tests.live_server import ROOT, LiveServer

PASSWORD = "first day at the office"
PEOPLE = {"clerk": ("qc-civil", "publisher"), "reviewer1": ("qc-civil", "reviewer"),
          "approver1": ("qc-civil", "reviewer"), "clerkb": ("qc-health", "publisher"),
          "admin": ("qc-gov", "administrator")}
DOCS_SCREENSHOTS = ROOT / "docs" / "images" / "console"


def docs_shot(page: Page, name: str, folder: Path) -> Path:
    """A screenshot docs/console.md shows (its 1280 px one): into docs/images/console/ when
    OPENDATA_DOCS_SCREENSHOTS is set (to take them again), else beside the other screenshots."""
    from tests.browser.helpers import shoot

    if os.environ.get("OPENDATA_DOCS_SCREENSHOTS") and page.viewport_size["width"] == 1280:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return shoot(page, name, DOCS_SCREENSHOTS)
    return shoot(page, name, folder)


def console_rules(home: Path) -> list[Rule]:
    """Every route of the console, from the app's url_map (so a page added later is checked too)."""
    app = create_app(load_config({}, HOME=str(home)))
    try:
        return sorted((r for r in app.url_map.iter_rules() if r.endpoint.startswith("console.")), key=str)
    finally:
        close_app(app)


def console_path(rule: Rule, values: dict[str, object]) -> str:
    """The path of ``rule`` with its arguments taken from ``values`` (every argument must have one)."""
    missing = rule.arguments - values.keys()
    assert not missing, f"{rule}: no test value for {sorted(missing)}; add one to the test's values"
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    return path


def prepare_console_home(home: Path) -> None:
    """The sample catalogue synced into a new home, and PEOPLE with their passwords and roles."""
    runtime = Runtime(load_config({}, HOME=str(home)))
    try:
        runtime.config.home.mkdir(parents=True, exist_ok=True)
        upgrade_to_head(runtime.config.database_url)
        spec = load_catalog(ROOT / "catalog.yaml", schemas_dir=ROOT / "schemas")
        operator = system_viewer("test-setup")
        with transaction(runtime.sessions) as session:
            sync_catalog(session=session, spec=spec)
            for username, (org, role) in PEOPLE.items():
                user_create(session=session, actor=operator, username=username, organization=org,
                            password=PASSWORD)
                role_grant(session=session, actor=operator, username=username, role=role)
    finally:
        runtime.close()


@pytest.fixture(scope="module")
def console_server(tmp_path_factory) -> Iterator[LiveServer]:
    """A console server of its own for the test module (tests in it may change its data)."""
    home = tmp_path_factory.mktemp("console") / "home"
    prepare_console_home(home)
    server = LiveServer(home, OPENDATA_OUTBOX_INTERVAL_SECONDS="0").start()
    yield server
    server.stop()


def sign_in(page: Page, base: str, username: str, password: str = PASSWORD) -> None:
    """Sign in through the form, as a person does, and wait for the console's home."""
    page.goto(f"{base}/console/sign-in")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/console/")
    assert page.locator("h1").inner_text() != "" and "(500)" not in page.title()


@pytest.fixture
def signed_in(new_page, console_server) -> Callable[..., Page]:
    """``signed_in(username, width=1280)``: a new browser context signed in as that person."""

    def make(username: str, width: int = 1280) -> Page:
        page = new_page(width)
        sign_in(page, console_server.base, username)
        return page

    return make
