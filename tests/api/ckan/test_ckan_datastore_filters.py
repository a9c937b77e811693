"""datastore_search ``filters`` as CKAN means them: every key is a column (equality; a list is any of
its values), whatever the column is called, even after one of the row engine's own parameters.

A catalogue of its own: one dataset whose columns are named ``q``, ``total``, ``limit``, ``sort``,
``fields`` and ``amount__gt``, plus a ``label`` whose values contain commas. Driven with ckanapi
against a live server and through the Flask test client.
"""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import ckanapi
import pytest

from opendata.config import load_config
from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.publication import publish_if_clean
from opendata.services.runtime import Runtime
from opendata.services.versions import ingest_file
from opendata.store.db import transaction
from opendata.store.migrate import upgrade_to_head
from tests.api.ckan.flask_testapp import FlaskTestApp
from tests.api.standards.catalogue import catalog_text, rows_csv
from tests.conftest import running_app
from tests.live_server import LiveServer

COLUMNS = ["id", "q", "total", "limit", "sort", "fields", "amount", "amount__gt", "label"]
SCHEMA = {"fields": [
    {"name": "id", "type": "integer", "constraints": {"required": True}},
    {"name": "q", "type": "string"}, {"name": "total", "type": "integer"}, {"name": "limit", "type": "integer"},
    {"name": "sort", "type": "string"}, {"name": "fields", "type": "string"}, {"name": "amount", "type": "number"},
    {"name": "amount__gt", "type": "string"}, {"name": "label", "type": "string"},
], "primaryKey": ["id"]}
LABELS = ["a,b", "c", "a", "b", "d,e,f"]
DATASET = dict(id="odd", code="10100", title="列名特殊的数据", title_en="Odd column names", publisher="finance",
               theme="fiscal", keywords="测试", disclosure="unconditional", frequency="annual")


def _rows() -> list[dict[str, str]]:
    rnd = random.Random(42)
    return [{"id": str(i), "q": rnd.choice(["x", "y", "x y", "xx"]), "total": str(rnd.randint(1, 4)),
             "limit": str(rnd.randint(1, 3)), "sort": rnd.choice(["a", "b"]), "fields": rnd.choice(["c", "d"]),
             "amount": str(rnd.randint(1, 999)), "amount__gt": rnd.choice(["500", "10"]), "label": rnd.choice(LABELS)}
            for i in range(1, 41)]


ROWS = _rows()


def _build(root: Path) -> tuple[Runtime, dict[str, str]]:
    for sub in ("schemas", "data"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "schemas" / "rows.json").write_text(json.dumps(SCHEMA), encoding="utf-8")
    (root / "catalog.yaml").write_text(catalog_text([DATASET]), encoding="utf-8")
    rt = Runtime(load_config({}, HOME=str(root / "home"), RATE_LIMIT_ENABLED=False,
                             CATALOG_FILE=str(root / "catalog.yaml"), SCHEMAS_DIR=str(root / "schemas")))
    rt.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(rt.config.database_url)
    with transaction(rt.sessions) as session:
        sync_catalog(session=session, spec=load_catalog(root / "catalog.yaml", schemas_dir=root / "schemas"))
    out = io.StringIO()
    writer = csv.DictWriter(out, COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ROWS)
    path = root / "data" / "odd.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    outcome = ingest_file(sessions=rt.sessions, store=rt.artifacts, dataset="odd", path=path, actor="test")
    assert outcome.state == "awaiting-review", outcome.report
    assert publish_if_clean(runtime=rt, version_id=outcome.version_id, actor="test").startswith("published")
    env = {"OPENDATA_CATALOG_FILE": str(root / "catalog.yaml"), "OPENDATA_SCHEMAS_DIR": str(root / "schemas")}
    return rt, env


@pytest.fixture(scope="module")
def odd_site(tmp_path_factory):
    rt, env = _build(tmp_path_factory.mktemp("ckan-odd") / "project")
    yield rt, env
    rt.close()


@pytest.fixture(scope="module")
def odd_remote(odd_site):
    rt, env = odd_site
    with LiveServer(rt.config.home, **env) as srv, ckanapi.RemoteCKAN(srv.base, user_agent="opendata-tests") as ckan:
        yield ckan


@pytest.fixture(scope="module")
def odd_app(odd_site):
    with running_app(odd_site[0].config) as app:
        yield app


@pytest.fixture(params=["remote", "testapp"])
def odd(request):
    if request.param == "remote":
        return request.getfixturevalue("odd_remote")
    return ckanapi.TestAppCKAN(FlaskTestApp(request.getfixturevalue("odd_app").test_client()))


def _ids(found) -> list[int]:
    return sorted(r["id"] for r in found["records"])


def _where(**equal) -> list[int]:
    return sorted(int(r["id"]) for r in ROWS if all(r[k] in (v if isinstance(v, list) else [v])
                                                    for k, v in equal.items()))


@pytest.mark.parametrize("filters", [
    {"total": 3}, {"limit": "2"}, {"q": "x"}, {"sort": "b"}, {"fields": "c"}, {"amount__gt": "500"},
    {"q": "x y", "total": 2}, {"label": "a,b"},
])
def test_every_filter_key_is_a_column_compared_for_equality(odd, filters):
    found = odd.action.datastore_search(resource_id="odd-csv", filters=filters, limit=1000)
    expected = _where(**{k: str(v) for k, v in filters.items()})
    assert expected and _ids(found) == expected and found["total"] == len(expected)


def test_list_values_match_any_of_them_even_with_commas(odd):
    found = odd.action.datastore_search(resource_id="odd-csv", filters={"label": ["a,b", "d,e,f"]}, limit=1000)
    assert _ids(found) == _where(label=["a,b", "d,e,f"])
    assert _ids(odd.action.datastore_search(resource_id="odd-csv", filters={"limit": [1, 3]}, limit=1000)) \
        == _where(limit=["1", "3"])


def test_filters_on_reserved_names_leave_the_real_parameters_working(odd):
    found = odd.action.datastore_search(resource_id="odd-csv", filters={"limit": 2, "sort": "a"},
                                        sort="id desc", limit=3, q="x", fields=["id", "q"])
    expected = [i for i in reversed(_where(limit="2", sort="a")) if "x" in ROWS[i - 1]["q"]]
    assert [r["id"] for r in found["records"]] == expected[:3] and found["total"] == len(expected)
    assert [f["id"] for f in found["fields"]] == ["id", "q"]


def test_q_as_an_object_searches_the_named_columns(odd):
    found = odd.action.datastore_search(resource_id="odd-csv", q={"total": "3", "q": "x"}, limit=1000)
    assert _ids(found) == sorted(int(r["id"]) for r in ROWS if "3" in r["total"] and "x" in r["q"])


@pytest.mark.parametrize("filters,column", [
    ({"amount__gt": "500"}, "amount__gt"), ({"total": 1}, "total"), ({"limit": 1}, "limit"),
    ({"q": "x"}, "q"), ({"sort": "id"}, "sort"), ({"fields": "id"}, "fields"), ({"id__in": "1,2"}, "id__in"),
])
def test_an_unknown_column_is_a_validation_error_naming_it(ckan, filters, column):
    # budget's columns are id, name, district, amount: none of these exists there
    with pytest.raises(ckanapi.ValidationError) as info:
        ckan.action.datastore_search(resource_id="budget-csv", filters=filters)
    assert set(info.value.error_dict) == {"__type", "filters"}
    assert info.value.error_dict["filters"] == [f'field "{column}" not in table']


@pytest.mark.parametrize("sort", [["amount desc", "id"], ["amount desc, id"], "amount desc, id",
                                  '["amount desc", "id"]'])
def test_sort_is_a_string_or_a_list_of_strings(ckan, sort):
    found = ckan.action.datastore_search(resource_id="budget-csv", sort=sort, limit=100)
    rows = list(csv.DictReader(io.StringIO(rows_csv(1, 12))))
    expected = [int(r["id"]) for r in sorted(rows, key=lambda r: (-float(r["amount"]), int(r["id"])))]
    assert [r["id"] for r in found["records"]] == expected


@pytest.mark.parametrize("sort", [["amount sideways"], [1], [["id"]]])
def test_bad_sort_lists_are_validation_errors(ckan, sort):
    with pytest.raises(ckanapi.ValidationError) as info:
        ckan.action.datastore_search(resource_id="budget-csv", sort=sort)
    assert "sort" in info.value.error_dict
