"""The portal's search page, /api/v1/datasets and CKAN package_search answer a query with the same datasets.

All three go through ``search_datasets``: a query typed without spaces, a synonym, pinyin or mixed
Chinese and English finds the same datasets in the same order at every door. Run over the sample
catalogue (catalog.yaml) with the relevance set's sample queries.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from opendata.app import close_app, create_app
from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.search import reindex_search
from opendata.store.db import transaction
from tests.web.pagecheck import read_page

ROOT = Path(__file__).resolve().parents[2]
QUERIES = yaml.safe_load((ROOT / "tests" / "data" / "search_relevance.yaml").read_text(encoding="utf-8"))["sample"]
PAGE = 20  # the portal's page size


@pytest.fixture(scope="module")
def client(tmp_path_factory, migrate_home):
    home = migrate_home(tmp_path_factory.mktemp("doors"))
    app = create_app(HOME=str(home), BASE_URL="http://testserver", RATE_LIMIT_ENABLED=False)
    app.config["TESTING"] = True
    runtime = app.extensions["opendata"]
    with transaction(runtime.sessions) as session:
        sync_catalog(session=session, spec=load_catalog(ROOT / "catalog.yaml", schemas_dir=ROOT / "schemas"))
    reindex_search(runtime=runtime)
    yield app.test_client()
    close_app(app)


def _api(client, q: str) -> tuple[int, list[str]]:
    r = client.get("/api/v1/datasets", query_string={"q": q, "page_size": PAGE})
    assert r.status_code == 200, (q, r.json)
    return r.json["total"], [d["id"] for d in r.json["results"]]


def _ckan(client, q: str) -> tuple[int, list[str]]:
    r = client.get("/api/3/action/package_search", query_string={"q": q, "rows": PAGE})
    assert r.status_code == 200 and r.json["success"], (q, r.json)
    return r.json["result"]["count"], [p["name"] for p in r.json["result"]["results"]]


def _portal(client, q: str) -> list[str]:
    r = client.get("/catalog", query_string={"q": q})
    assert r.status_code == 200, q
    found: list[str] = []
    for link in read_page(r.get_data(as_text=True)).links:
        parts = link.split("?")[0].split("/")
        if len(parts) == 3 and parts[1] == "datasets" and parts[2] not in found:
            found.append(parts[2])
    return found


@pytest.mark.parametrize("case", QUERIES, ids=[c["q"] for c in QUERIES])
def test_portal_api_and_ckan_find_the_same_datasets_in_the_same_order(client, case):
    total, api = _api(client, case["q"])
    assert set(api) & set(case["expect"]), f"{case['q']}: the API found {api[:5]}"
    assert _ckan(client, case["q"]) == (total, api)
    assert _portal(client, case["q"]) == api
