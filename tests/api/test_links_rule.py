"""One base-URL rule for every link an answer carries: OPENDATA_BASE_URL when set on purpose, else the
host the request came to (the default setting points at a development server, never at this host)."""

from __future__ import annotations

import pytest

from opendata.app import close_app, create_app
from opendata.store.migrate import upgrade_to_head
from tests.api.conftest import DATASETS
from tests.builders import ROWS_SCHEMA, generate_rows, make_catalog, publish_rows

HOST = "data.example.gov.cn"


@pytest.fixture
def default_base_app(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENDATA_BASE_URL", raising=False)
    app = create_app(HOME=str(tmp_path / "home"), RATE_LIMIT_ENABLED=False)
    runtime = app.extensions["opendata"]
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    make_catalog(runtime, tmp_path, datasets=[DATASETS[0]], schemas={"rows.json": ROWS_SCHEMA})
    publish_rows(runtime, "budget", generate_rows(20, seed=1))
    yield app
    close_app(app)


def test_changes_feed_atom_and_dataset_links_use_the_requested_host(default_base_app):
    client = default_base_app.test_client()
    base = f"https://{HOST}"
    changes = client.get("/api/v1/changes", base_url=base).get_json()
    assert changes["changes"] and all(c["url"].startswith(f"{base}/api/v1/datasets/") for c in changes["changes"])
    atom = client.get("/feeds/datasets.atom", base_url=base).get_data(as_text=True)
    assert f"{base}/api/v1/feeds/datasets.atom" in atom and "127.0.0.1:5000" not in atom
    detail = client.get("/api/v1/datasets/budget", base_url=base).get_json()
    assert detail["download"]["csv"] == f"{base}/api/v1/datasets/budget/download.csv"
    assert detail["versions"][0]["links"]["rows"] == f"{base}/api/v1/datasets/budget/versions/1/rows"


def test_a_configured_base_url_wins_over_the_request_host(tmp_path):
    app = create_app(HOME=str(tmp_path / "home"), BASE_URL="https://open.example.org", RATE_LIMIT_ENABLED=False)
    runtime = app.extensions["opendata"]
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    make_catalog(runtime, tmp_path, datasets=[DATASETS[0]], schemas={"rows.json": ROWS_SCHEMA})
    try:
        changes = app.test_client().get("/api/v1/changes", base_url=f"https://{HOST}").get_json()
        assert changes["changes"][0]["url"] == "https://open.example.org/api/v1/datasets/budget"
    finally:
        close_app(app)
