"""Integers a client sends beyond the database's 64 bits: 404 in a path, 422 in an argument, never 500."""

from __future__ import annotations

import pytest

from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token, seed_accounts
from tests.conftest import running_app

HUGE, INT64_MAX = 2**64, 2**63 - 1


@pytest.fixture
def app(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    with running_app(runtime.config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def admin(runtime):
    return bearer(make_token(runtime, "admin", scopes=["admin"]))


@pytest.mark.parametrize("method,path,body", [
    ("delete", "/api/v1/tokens/{n}", None),
    ("delete", "/api/v1/datasets/subsidies/grants/{n}", None),
    ("get", "/api/v1/datasets/budget/versions/{n}", None),
    ("get", "/api/v1/datasets/budget/versions/{n}/rows", None),
    ("get", "/api/v1/datasets/budget/versions/{n}/download.csv", None),
    ("get", "/api/v1/review/datasets/budget/versions/{n}", None),
    ("post", "/api/v1/review/datasets/budget/versions/{n}/steps", {"step": "review"}),
    ("post", "/api/v1/review/datasets/budget/versions/{n}/withdraw", {"reason": "x"}),
    ("get", "/api/v1/review/disclosure-changes/{n}", None),
    ("post", "/api/v1/review/disclosure-changes/{n}/steps", {"step": "submit"}),
    ("post", "/api/v1/review/disclosure-changes/{n}/reject", {"reason": "x"}),
])
@pytest.mark.parametrize("number", [HUGE, 10**30, INT64_MAX])
def test_path_integers_beyond_64_bits_are_404_like_any_missing_id(client, admin, method, path, body, number):
    r = getattr(client, method)(path.format(n=number), headers=admin, json=body)
    assert r.status_code == 404, (path, number, r.status_code, r.get_data(as_text=True)[:300])
    assert set(r.json) == ERROR_KEYS


@pytest.mark.parametrize("method,path,body", [
    ("get", f"/api/v1/audit?after_seq={HUGE}", None),
    ("get", f"/api/v1/audit?limit={HUGE}", None),
    ("post", "/api/v1/tokens", {"name": "t", "lifetime_days": HUGE}),
    ("post", "/api/v1/datasets/subsidies/grants", {"user": "alice", "purpose": "x", "days": HUGE}),
    ("get", f"/api/v1/datasets?page={HUGE}", None),
    ("get", f"/api/v1/changes?since={HUGE}", None),
    ("get", f"/api/v1/jobs?limit={HUGE}", None),
    ("get", f"/api/v1/datasets/budget/versions/1/diff?against={HUGE}", None),
])
def test_argument_integers_beyond_64_bits_are_422_naming_the_argument(client, admin, method, path, body):
    r = getattr(client, method)(path, headers=admin, json=body) if body else getattr(client, method)(path, headers=admin)
    assert r.status_code == 422, (path, r.status_code, r.get_data(as_text=True)[:300])
    assert set(r.json) == ERROR_KEYS and r.json["errors"]


def test_every_integer_a_request_takes_is_bounded_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json
    schemas = doc["components"]["schemas"]

    def resolve(node):
        return schemas[node["$ref"].rsplit("/", 1)[1]] if "$ref" in node else node

    def integers(node, where):
        node = resolve(node)
        if node.get("type") == "integer":
            yield where, node
        for name, child in (node.get("properties") or {}).items():
            yield from integers(child, f"{where}.{name}")
        if "items" in node:
            yield from integers(node["items"], f"{where}[]")

    found = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if not isinstance(op, dict):
                continue
            for param in op.get("parameters", []) + item.get("parameters", []):
                found += integers(param.get("schema", {}), f"{method} {path} {param['name']}")
            for media in (op.get("requestBody") or {}).get("content", {}).values():
                found += integers(media.get("schema", {}), f"{method} {path} body")
    assert len(found) > 10
    unbounded = [w for w, s in found if not (s.get("minimum", -(2**64)) >= -(2**63) and
                                             s.get("maximum", 2**64) <= INT64_MAX)]
    assert unbounded == []
