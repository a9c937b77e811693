"""/api/v1/review: scopes, the one error shape, 404 for what the caller may not see, the whole flow."""

from __future__ import annotations

import pytest

from opendata.config import load_config
from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token
from tests.builders import generate_rows, ingest_rows
from tests.conftest import running_app
from tests.review_fixtures import person_rows, seed_review_catalog

BASE = "/api/v1/review"


@pytest.fixture
def app(runtime, tmp_path):
    seed_review_catalog(runtime, tmp_path)
    with running_app(load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_ENABLED=False)) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(runtime):
    scopes = {"admin": ["admin"], "finpub": ["publish"], "finrev1": ["review"], "finrev2": ["review"],
              "envrev": ["review"], "pubrev": ["publish", "review"]}
    out = {user: bearer(make_token(runtime, user, scopes=s)) for user, s in scopes.items()}
    out["finrev1-read"] = bearer(make_token(runtime, "finrev1", scopes=["read"]))
    return out


def _error(r, status):
    assert r.status_code == status, (r.status_code, r.json)
    assert set(r.json) == ERROR_KEYS and r.json["status"] == status
    return r.json


def test_anonymous_callers_get_401_in_the_error_shape(client, runtime):
    ingest_rows(runtime, "budget", generate_rows(3))
    _error(client.get(f"{BASE}/queue"), 401)
    _error(client.post(f"{BASE}/datasets/budget/versions/1/steps", json={"step": "submit"}), 401)


def test_the_whole_review_through_the_api_masks_before_publishing(client, runtime, tokens):
    rows = person_rows(10)
    ingest_rows(runtime, "payees", rows)
    path = f"{BASE}/datasets/payees/versions/1"
    queue = client.get(f"{BASE}/queue", headers=tokens["finrev1"]).json["versions"]
    assert [(q["dataset"], q["unresolved_pii"]) for q in queue] == [("payees", 2)]
    view = client.get(path, headers=tokens["finrev1"]).json
    assert view["pii"]["unresolved"] == 2 and "330106********" in str(view["pii"])
    assert client.post(f"{path}/steps", json={"step": "submit", "note": "请审"}, headers=tokens["finpub"]).status_code == 200
    r = client.post(f"{path}/findings", headers=tokens["finrev1"],
                    json={"field": "id_card", "kind": "id-number", "action": "mask", "method": "hash"})
    assert r.status_code == 200 and r.json["unresolved"] == 0
    assert client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["finrev1"]).status_code == 200
    assert client.get("/api/v1/datasets/payees/download.csv").status_code == 404  # not yet published
    r = client.post(f"{path}/steps", json={"step": "approve"}, headers=tokens["finrev2"])
    assert r.status_code == 200 and r.json["version"]["state"] == "published"
    body = client.get("/api/v1/datasets/payees/download.csv").get_data(as_text=True)
    assert "id_card" in body.splitlines()[0] and not any(row["id_card"] in body for row in rows)


def test_errors_of_the_workflow(client, runtime, tokens):
    ingest_rows(runtime, "budget", generate_rows(3))
    path = f"{BASE}/datasets/budget/versions/1"
    assert _error(client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["finrev1"]), 409)
    _error(client.post(f"{path}/steps", json={"step": "submit", "extra": 1}, headers=tokens["finpub"]), 422)
    assert client.post(f"{path}/steps", json={"step": "submit"}, headers=tokens["pubrev"]).status_code == 200
    body = _error(client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["pubrev"]), 403)
    assert "separation of duties" in body["message"]
    _error(client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["finrev1-read"]), 403)
    _error(client.post(f"{path}/publish", json={}, headers=tokens["finrev1"]), 403)
    _error(client.post(f"{path}/reject", json={"reason": ""}, headers=tokens["finrev1"]), 422)
    r = client.post(f"{path}/reject", json={"reason": "口径不一致"}, headers=tokens["finrev1"])
    assert r.status_code == 200 and r.json["version"]["state"] == "rejected"
    _error(client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["finrev2"]), 409)


def test_a_version_of_another_organization_answers_404_like_a_missing_one(client, runtime, tokens):
    ingest_rows(runtime, "budget", generate_rows(3))
    for suffix, method, payload in (("", "get", None), ("/steps", "post", {"step": "review"}),
                                    ("/reject", "post", {"reason": "x"}),
                                    ("/withdraw", "post", {"reason": "x"})):
        call = getattr(client, method)
        hidden = call(f"{BASE}/datasets/budget/versions/1{suffix}", json=payload, headers=tokens["envrev"])
        missing = call(f"{BASE}/datasets/budget/versions/7{suffix}", json=payload, headers=tokens["envrev"])
        nothing = call(f"{BASE}/datasets/nosuch/versions/1{suffix}", json=payload, headers=tokens["envrev"])
        _error(hidden, 404)
        assert hidden.json == {**missing.json, "message": missing.json["message"].replace("7", "1")}
        assert hidden.json == {**nothing.json, "message": nothing.json["message"].replace("nosuch", "budget")}
    assert client.get(f"{BASE}/queue", headers=tokens["envrev"]).json == {"versions": []}


def test_publish_withdraw_and_disclosure_are_explicit(client, runtime, tokens):
    ingest_rows(runtime, "budget", generate_rows(3))
    path = f"{BASE}/datasets/budget/versions/1"
    r = client.post(f"{path}/publish", json={"note": "紧急"}, headers=tokens["admin"])
    assert r.status_code == 200 and r.json["state"] == "published"
    assert client.get("/api/v1/datasets/budget/download.csv").status_code == 200
    r = client.post(f"{path}/withdraw", json={"reason": "数据错误"}, headers=tokens["finpub"])
    assert r.status_code == 200 and r.json["state"] == "withdrawn"
    assert client.get("/api/v1/datasets/budget/download.csv").status_code == 404

    disclosure = "/api/v1/datasets/budget/disclosure"
    _error(client.post(disclosure, json={"disclosure": "closed", "reason": "x"}), 401)
    body = _error(client.post(disclosure, json={"disclosure": "closed", "reason": "涉密"}, headers=tokens["admin"]),
                  422)
    assert body["errors"][0]["path"] == "legal_basis"
    r = client.post(disclosure, headers=tokens["finpub"],
                    json={"disclosure": "closed", "legal_basis": "《条例》第十四条", "reason": "涉及公共安全"})
    assert r.status_code == 201 and r.json["state"] == "applied" and r.json["to"]["disclosure"] == "closed"
    assert client.get("/api/v1/datasets/budget").json["disclosure"]["key"] == "closed"


def test_the_review_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for p in ("/queue", "/datasets/{dataset_id}/versions/{number}", "/datasets/{dataset_id}/versions/{number}/steps",
              "/datasets/{dataset_id}/versions/{number}/findings", "/disclosure-changes",
              "/disclosure-changes/{change_id}/steps", "/disclosure-changes/{change_id}/reject"):
        ops = paths[f"{BASE}{p}"]
        assert all(op.get("summary") for m, op in ops.items() if m in ("get", "post")), p


def test_closing_a_published_dataset_stops_its_data_everywhere(client, runtime, tokens):
    rows = generate_rows(4)
    for row in rows:
        row["category"] = "QMARKQ"
    ingest_rows(runtime, "budget", rows)
    assert client.post(f"{BASE}/datasets/budget/versions/1/publish", json={}, headers=tokens["admin"]).status_code == 200
    assert b"QMARKQ" in client.get("/api/v1/datasets/budget/download.csv").get_data()
    r = client.post("/api/v1/datasets/budget/disclosure", headers=tokens["admin"],
                    json={"disclosure": "closed", "legal_basis": "《条例》第十四条", "reason": "涉及公共安全"})
    assert r.status_code == 201 and r.json["state"] == "applied"
    for path in ("/api/v1/datasets/budget/download.csv", "/api/v1/datasets/budget/rows",
                 "/datasets/budget/datapackage.json", "/api/3/action/datastore_search?resource_id=budget-csv"):
        r = client.get(path)
        assert r.status_code == 404 and b"QMARKQ" not in r.get_data(), path
    archives = client.get("/bulk.json").json["archives"]
    assert all("budget" not in a["datasets"] for a in archives)


def test_a_column_dropped_in_review_is_gone_from_every_schema_view(client, runtime, tokens):
    ingest_rows(runtime, "payees", person_rows(10))
    path = f"{BASE}/datasets/payees/versions/1"
    client.post(f"{path}/steps", json={"step": "submit"}, headers=tokens["finpub"])
    r = client.post(f"{path}/findings", headers=tokens["finrev1"],
                    json={"field": "id_card", "kind": "id-number", "action": "drop"})
    assert r.status_code == 200 and r.json["unresolved"] == 0
    assert client.post(f"{path}/steps", json={"step": "review"}, headers=tokens["finrev1"]).status_code == 200
    assert client.post(f"{path}/steps", json={"step": "approve"}, headers=tokens["finrev2"]).status_code == 200

    detail = client.get("/api/v1/datasets/payees").json
    assert [f["name"] for f in detail["schema"]["fields"]] == ["id", "name", "amount"]
    package = client.get("/api/v1/datasets/payees/datapackage.json").json
    assert [f["name"] for f in package["resources"][0]["schema"]["fields"]] == ["id", "name", "amount"]
    rows = client.get("/api/3/action/datastore_search?resource_id=payees-csv").json["result"]
    assert "id_card" not in {f["id"] for f in rows["fields"]}
    views = ["/api/v1/datasets/payees", "/datasets/payees", "/api/v1/datasets/payees/datapackage.json",
             "/datasets/payees/datapackage.json", "/api/3/action/package_show?id=payees",
             "/api/3/action/datastore_search?resource_id=payees-csv", "/data.json", "/catalog.jsonld",
             "/catalog.ttl", "/datasets/payees.jsonld"]
    for view in views:
        r = client.get(view)
        assert r.status_code == 200, view
        body = r.get_data(as_text=True)
        assert "id_card" not in body and "身份证号" not in body, view
    assert client.get("/api/v1/datasets?q=身份证号").json["total"] == 0  # nor found by the dropped column's title
    assert client.get("/api/v1/datasets?q=补助对象名单").json["total"] == 1
