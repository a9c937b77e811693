"""POST /api/v1/datasets/{id}/disclosure and /api/v1/review/disclosure-changes: ask, list, step, reject over HTTP."""

from __future__ import annotations

import pytest

from opendata.config import load_config
from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token
from tests.builders import generate_rows, publish_rows
from tests.conftest import running_app
from tests.review_fixtures import seed_review_catalog

ASK = "/api/v1/datasets/budget/disclosure"
CHANGES = "/api/v1/review/disclosure-changes"
SECRET = "《条例》第十四条"


@pytest.fixture
def app(runtime, tmp_path):
    seed_review_catalog(runtime, tmp_path)
    rows = generate_rows(4)
    for row in rows:
        row["category"] = "QMARKQ"
    publish_rows(runtime, "budget", rows)
    with running_app(load_config({}, HOME=str(runtime.config.home), RATE_LIMIT_ENABLED=False)) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(runtime):
    scopes = {"admin": ["admin"], "finpub": ["publish"], "finrev1": ["review"], "finrev2": ["review"],
              "envpub": ["publish"], "envrev": ["review"]}
    return {user: bearer(make_token(runtime, user, scopes=s)) for user, s in scopes.items()}


def _error(r, status):
    assert r.status_code == status, (r.status_code, r.get_data(as_text=True))
    assert set(r.json) == ERROR_KEYS and r.json["status"] == status
    return r.json


def _served(client) -> bool:
    r = client.get("/api/v1/datasets/budget/download.csv")
    assert r.status_code in (200, 404)
    return r.status_code == 200 and b"QMARKQ" in r.get_data()


def test_tightening_answers_201_applied_and_stops_the_data_at_once(client, tokens):
    assert _served(client)  # the download path's cache is warm now
    with_token = client.get("/api/v1/datasets/budget/versions/1/download.csv", headers=tokens["finpub"])
    assert with_token.headers["Cache-Control"] == "private, no-cache"  # no shared cache keeps a token's answer
    r = client.post(ASK, headers=tokens["finpub"], json={"disclosure": "closed", "legal_basis": SECRET,
                                                         "reason": "涉及公共安全"})
    assert r.status_code == 201 and r.json["state"] == "applied" and r.headers["Location"] == r.json["url"]
    assert not _served(client)
    assert client.get("/api/v1/datasets/budget").json["disclosure"]["key"] == "closed"


def test_loosening_waits_for_every_step_over_http(client, tokens):
    client.post(ASK, headers=tokens["admin"], json={"disclosure": "closed", "legal_basis": SECRET, "reason": "涉密"})
    body = _error(client.post(ASK, headers=tokens["finpub"], json={"disclosure": "unconditional",
                                                                   "legal_basis": SECRET, "reason": "已脱密"}), 422)
    assert [e["path"] for e in body["errors"]] == ["legal_basis"] and "legal_basis" in body["message"]
    r = client.post(ASK, headers=tokens["finpub"], json={"disclosure": "unconditional", "reason": "已脱密"})
    assert r.status_code == 201 and r.json["state"] == "pending" and r.json["loosens"], r.json
    url = r.headers["Location"]
    assert url == f"{CHANGES}/{r.json['id']}" and r.json["source"] == "api"
    assert not _served(client)
    listed = client.get(CHANGES, headers=tokens["finrev1"]).json["changes"]
    assert [c["id"] for c in listed] == [r.json["id"]] and listed[0]["steps"]["next"] == "submit"
    assert client.get(CHANGES, headers=tokens["envrev"]).json["changes"] == []
    for step, user in (("submit", "finpub"), ("review", "finrev1")):
        done = client.post(f"{url}/steps", headers=tokens[user], json={"step": step, "note": "同意"})
        assert done.status_code == 200 and done.json["state"] == "pending", done.json
        assert not _served(client)  # no byte under the new class before the last step
    _error(client.post(f"{url}/steps", headers=tokens["finrev1"], json={"step": "approve"}), 403)
    done = client.post(f"{url}/steps", headers=tokens["finrev2"], json={"step": "approve"})
    assert done.status_code == 200 and done.json["state"] == "approved"
    assert [d["actor"] for d in done.json["decisions"]] == ["finpub", "finrev1", "finrev2"]
    assert _served(client)
    everything = client.get(f"{CHANGES}?state=all&dataset=budget", headers=tokens["admin"]).json["changes"]
    assert [c["state"] for c in everything] == ["applied", "approved"]


def test_a_rejected_change_leaves_the_class(client, tokens):
    client.post(ASK, headers=tokens["admin"], json={"disclosure": "closed", "legal_basis": SECRET, "reason": "涉密"})
    url = client.post(ASK, headers=tokens["finpub"], json={"disclosure": "conditional", "legal_basis": "《条例》第十五条",
                                                           "reason": "可依申请"}).headers["Location"]
    _error(client.post(f"{url}/reject", headers=tokens["finpub"], json={"reason": "否"}), 403)  # publish scope only
    _error(client.post(f"{url}/reject", headers=tokens["finrev1"], json={"reason": ""}), 422)
    r = client.post(f"{url}/reject", headers=tokens["finrev1"], json={"reason": "仍涉密"})
    assert r.status_code == 200 and r.json["state"] == "rejected" and r.json["decision_note"] == "仍涉密"
    _error(client.post(f"{url}/steps", headers=tokens["finpub"], json={"step": "submit"}), 409)
    assert client.get("/api/v1/datasets/budget").json["disclosure"]["key"] == "closed"


def test_who_may_see_and_ask(client, tokens):
    _error(client.post(ASK, json={"disclosure": "closed", "reason": "x"}), 401)
    _error(client.get(CHANGES), 401)
    _error(client.post(ASK, headers=tokens["envpub"], json={"disclosure": "closed", "legal_basis": SECRET,
                                                            "reason": "x"}), 403)
    url = client.post(ASK, headers=tokens["finpub"], json={"disclosure": "closed", "legal_basis": SECRET,
                                                           "reason": "x"}).headers["Location"]
    hidden = _error(client.get(url, headers=tokens["envrev"]), 404)
    missing = _error(client.get(f"{CHANGES}/999", headers=tokens["envrev"]), 404)
    assert hidden["message"].replace(url.rsplit("/", 1)[1], "999") == missing["message"]
    for path in (f"{CHANGES}/99999999999999999999999", f"{CHANGES}/0"):
        _error(client.get(path, headers=tokens["admin"]), 404)
        _error(client.post(f"{path}/steps", headers=tokens["admin"], json={"step": "submit"}), 404)
    _error(client.post("/api/v1/datasets/nosuch/disclosure", headers=tokens["admin"],
                       json={"disclosure": "closed", "legal_basis": SECRET, "reason": "x"}), 404)
    body = _error(client.post(ASK, headers=tokens["admin"], json={"disclosure": "secret", "reason": " "}), 422)
    assert [e["path"] for e in body["errors"]] == ["disclosure", "reason"]
    _error(client.post(ASK, headers=tokens["admin"], json={"disclosure": "closed", "reason": "x", "extra": 1}), 422)
    _error(client.get(f"{CHANGES}?state=nosuch", headers=tokens["admin"]), 422)


def test_the_update_422_names_the_disclosure_path_that_exists(client, tokens):
    body = _error(client.patch("/api/v1/datasets/budget", headers=tokens["finpub"], json={"disclosure": "closed"}), 422)
    message = body["errors"][0]["message"]
    assert "POST /api/v1/datasets/budget/disclosure" in message
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "post" in paths["/api/v1/datasets/{dataset_id}/disclosure"]
    for p in (CHANGES, f"{CHANGES}/{{change_id}}", f"{CHANGES}/{{change_id}}/steps", f"{CHANGES}/{{change_id}}/reject"):
        assert all(op.get("summary") for m, op in paths[p].items() if m in ("get", "post")), p
