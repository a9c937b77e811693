"""Schemathesis over /api/v1/openapi.json: no server error, no response that violates the document.

The document is read from an app at collection time (it does not depend on data); each generated
case is then sent to the read API tests' published catalogue (``site`` in tests/api/conftest.py).
Examples are bounded and derandomized, so the run is repeatable and short. (The lazy
``schemathesis.pytest.from_fixture`` loader reads ``Function._nodeid``, which pytest 9 removed.)
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from opendata.app import create_app

MAX_EXAMPLES = 15


def _openapi_document() -> dict:
    with tempfile.TemporaryDirectory() as home:
        app = create_app(HOME=str(Path(home) / "home"))
        document = app.test_client().get("/api/v1/openapi.json").get_json()
        app.extensions["opendata"].close()
    return document


schema = schemathesis.openapi.from_dict(_openapi_document())
schema.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_api_v1_conforms_to_its_openapi_document(case, site):
    case.call_and_validate(app=site.app)
