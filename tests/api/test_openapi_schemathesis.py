"""Schemathesis over /api/v1/openapi.json: no server error, no response that violates the document.

The document is read from an app at collection time (it does not depend on data); each generated
case is then sent to the read API tests' published catalogue (``site`` in tests/api/conftest.py).
Examples are bounded and derandomized, so the run is repeatable and short. (The lazy
``schemathesis.pytest.from_fixture`` loader reads ``Function._nodeid``, which pytest 9 removed.)
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.specs.openapi.checks import positive_data_acceptance

from opendata.app import create_app
from opendata.config import load_config

MAX_EXAMPLES = 15


def _openapi_document() -> dict:
    with tempfile.TemporaryDirectory() as home:
        app = create_app(HOME=str(Path(home) / "home"))
        document = app.test_client().get("/api/v1/openapi.json").get_json()
        app.extensions["opendata"].close()
    return document


@schemathesis.serializer("application/offset+octet-stream")
def _tus_chunk(ctx, value) -> bytes:
    """tus PATCH bodies are raw bytes (schemathesis has no serializer for this media type)."""
    if value is None or isinstance(value, bytes):
        return value
    return value.encode("utf-8") if isinstance(value, str) else json.dumps(value).encode("utf-8")


schema = schemathesis.openapi.from_dict(_openapi_document())
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)

# Random identifiers almost never name a published dataset; mix in the catalogue's own (see
# tests/api/conftest.py), so the detail, version, download and row operations run on real data.
REAL_PATH_VALUES = {
    "dataset_id": ["budget", "air", "subsidies", "secret", "traffic", "schools"],
    "identifier": ["budget", "subsidies"],
    "org_id": ["city", "finance", "env"],
    "number": [1, 2, 3],
}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters:
        return st.just(path_parameters)
    strategies = {name: st.one_of(st.just(value), st.sampled_from(REAL_PATH_VALUES[name]))
                  if name in REAL_PATH_VALUES else st.just(value) for name, value in path_parameters.items()}
    return st.fixed_dictionaries(strategies)


@pytest.fixture(scope="session")
def fuzzed_app(site):
    """The site's catalogue behind an app without rate limits (else most cases would only see 429)."""
    config = load_config({}, **{**site.runtime.config.values, "RATE_LIMIT_ENABLED": False})
    app = create_app(config)
    app.config["TESTING"] = True
    yield app
    usage = app.extensions.get("opendata.usage")
    if usage is not None:
        usage.close()
    app.extensions["opendata"].close()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_v1_conforms_to_its_openapi_document(case, fuzzed_app):
    excluded = [positive_data_acceptance] if (case.method.upper(), case.path) in CHECKED_AGAINST_DATA else []
    case.call_and_validate(app=fuzzed_app, excluded_checks=excluded)


# Operations whose schema-valid input can still be refused (422) for reasons the document cannot state:
# an identity card's check character and birth date, an organisation or dataset that must exist, the
# span of the working-day calendar, "days or until" of the calculator. Every other check runs on them,
# and tests/api/requests/ covers what they accept.
CHECKED_AGAINST_DATA = {("POST", "/api/v1/requests"), ("GET", "/api/v1/workdays")}


# Row-query parameters whose valid values the document cannot state: a 'next' cursor is signed by
# the server, and the column names in fields/sort/group_by/agg depend on the dataset and on each
# other. Generated values are rightly refused (422), so the fuzzer leaves them out; the row engine's
# own tests (tests/core/rowquery/) cover them, cursor forgery included.
DATA_DEPENDENT = ("next", "fields", "sort", "group_by", "agg")


@schema.hook
def map_query(context, query):
    if query and context.operation is not None and context.operation.path.endswith("/rows"):
        query = {k: v for k, v in query.items() if k not in DATA_DEPENDENT}
    return query
