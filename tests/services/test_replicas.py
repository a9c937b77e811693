"""Two replicas (separate data folders, one PostgreSQL database): what one changes, the other's search
index and read cache pick up from the database's change feed, with no message between them."""

from __future__ import annotations

import time

import pytest

from opendata.config import load_config
from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.runtime import Runtime
from opendata.services.search import search_datasets
from opendata.store.db import transaction
from tests.conftest import BASIC_CATALOG, write_catalog

pytestmark = pytest.mark.postgresql


def _sync(runtime, root, body):
    spec = load_catalog(write_catalog(root, body), schemas_dir=root / "schemas")
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=spec)


def _found(runtime, q: str, *, within: float = 10.0) -> list[str]:
    """Identifiers matching ``q`` once the replica's index has caught up (polled; never a timing assertion)."""
    deadline = time.monotonic() + within
    while True:
        found = [r["id"] for r in search_datasets(runtime=runtime, q=q)["results"]]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def test_a_change_through_one_replica_is_found_through_the_other(runtime, tmp_path):
    other = Runtime(load_config({}, HOME=str(tmp_path / "replica-b"), DATABASE_URL=runtime.config.database_url))
    try:
        root = tmp_path / "catalog"
        root.mkdir()
        _sync(runtime, root, BASIC_CATALOG)
        assert _found(other, "财政预算") == ["budget"]
        assert search_datasets(runtime=other, q="交通")["total"] == 0
        _sync(runtime, root, BASIC_CATALOG.replace("示例市财政预算", "示例市交通预算"))
        assert _found(other, "交通") == ["budget"]  # the other replica's own index file followed
        assert _found(runtime, "交通") == ["budget"]
        assert (other.config.home / "search.sqlite3").exists() and not (other.config.home / "opendata.db").exists()
    finally:
        other.close()
