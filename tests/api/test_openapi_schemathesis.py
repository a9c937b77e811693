"""Schemathesis over /api/v1/openapi.json: no server error, no response that violates the document.

The document is read from an app at collection time (it does not depend on data); each generated
case is then sent to the read API tests' published catalogue (``site`` in tests/api/conftest.py),
anonymously; and every operation, reads and writes, is sent again with a finance publisher's
token and with an administrator's token to a catalogue of its own (the cases change it: uploads,
review steps, registry changes, grants, tokens). Examples are bounded and derandomized, so the
run is repeatable and short. (The lazy
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
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    positive_data_acceptance,
    response_schema_conformance,
)
from sqlalchemy import select

from opendata.app import close_app, create_app
from opendata.config import load_config
from opendata.store.accounts import ApiToken

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
# span of the working-day calendar, "days or until" of the calculator, usage statistics' `from` after `to`
# or more than 120 months, a showcase's datasets and its screenshot (an image), or a dataset filter that names
# no dataset. Every other check runs on them, and tests/api/requests/ and
# tests/services/test_usage_statistics.py cover what they accept.
CHECKED_AGAINST_DATA = {("POST", "/api/v1/requests"), ("GET", "/api/v1/workdays"), ("GET", "/api/v1/statistics"),
                        ("POST", "/api/v1/showcases"), ("GET", "/api/v1/showcases")}


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


# -- every operation with credentials: a department publisher and an administrator ---------------
CALLERS = {"publisher": ("finpub", ("read", "publish")), "admin": ("admin", ("read", "publish", "review", "admin"))}
WRITE_EXAMPLES = 12


@pytest.fixture(scope="module")
def write_site(tmp_path_factory):
    """A catalogue of its own (the cases change it), with a finance publisher and an administrator."""
    from tests.accounts_fixtures import make_token
    from tests.api.conftest import build_site, teardown_site
    from tests.review_fixtures import add_users

    site = build_site(tmp_path_factory.mktemp("write-site"))
    add_users(site.runtime, {user: (org, [role]) for user, org, role in
                             (("finpub", "finance", "publisher"), ("admin", "city", "administrator"))})
    tokens = {name: make_token(site.runtime, user, scopes=scopes) for name, (user, scopes) in CALLERS.items()}
    config = load_config({}, **{**site.runtime.config.values, "RATE_LIMIT_ENABLED": False})
    app = create_app(config)
    app.config["TESTING"] = True
    with site.runtime.sessions() as session:
        protected = set(session.scalars(select(ApiToken.id)))
    yield app, tokens, protected
    close_app(app)
    teardown_site(site)


@schema.parametrize()
@settings(max_examples=WRITE_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@pytest.mark.parametrize("caller", sorted(CALLERS))
def test_every_operation_with_a_publisher_or_admin_token_never_answers_5xx(case, caller, write_site):
    app, tokens, protected = write_site
    if case.path_parameters and case.path_parameters.get("token_id") in protected:
        case.path_parameters["token_id"] = 10**6  # revoking the callers' own tokens would end the run
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {tokens[caller]}"}
    # no 5xx, and what a 2xx says matches the document (the document does not state every rule a
    # write checks, e.g. which publisher ids exist, so refusing a schema-valid body is not a failure)
    case.call_and_validate(app=app, checks=[not_a_server_error, response_schema_conformance,
                                            content_type_conformance])
