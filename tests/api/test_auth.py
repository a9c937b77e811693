"""Bearer-token authentication, scopes, and the token, audit and grant endpoints."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from opendata.store.models import utcnow
from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token, seed_accounts
from tests.conftest import running_app


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
    return make_token(runtime, "admin", scopes=["admin"])


def _error(response, status):
    assert response.status_code == status, response.get_data(as_text=True)
    assert set(response.json) == ERROR_KEYS and response.json["status"] == status
    return response.json


def test_token_created_through_the_api_is_shown_once(client, runtime):
    first = make_token(runtime, "finclerk", scopes=["publish"])
    created = client.post("/api/v1/tokens", json={"name": "laptop", "scopes": ["read"]}, headers=bearer(first))
    assert created.status_code == 201
    plain = created.json["token"]
    assert plain.startswith("od_" + created.json["prefix"] + "_")
    listed = client.get("/api/v1/tokens", headers=bearer(plain))
    assert listed.status_code == 200
    assert {t["name"] for t in listed.json} == {"test", "laptop"}
    assert plain not in listed.get_data(as_text=True) and "token" not in listed.json[0]


def test_token_made_with_a_token_never_outlives_it(client, runtime):
    parent = make_token(runtime, "finclerk", lifetime_days=2)
    child = client.post("/api/v1/tokens", json={"name": "c", "lifetime_days": 300}, headers=bearer(parent))
    listed = {t["name"]: t["expires_at"] for t in client.get("/api/v1/tokens", headers=bearer(parent)).json}
    assert child.json["expires_at"] == listed["test"]


def test_token_cannot_gain_scopes(client, runtime):
    plain = make_token(runtime, "finclerk")
    _error(client.post("/api/v1/tokens", json={"name": "x", "scopes": ["publish"]}, headers=bearer(plain)), 403)
    body = _error(client.post("/api/v1/tokens", json={"name": "x", "scopes": ["root"]}, headers=bearer(plain)), 422)
    assert "scopes" in str(body["errors"])


def test_revoked_token_stops_working_at_once(client, runtime):
    plain = make_token(runtime, "alice")
    token_id = client.get("/api/v1/tokens", headers=bearer(plain)).json[0]["id"]
    assert client.delete(f"/api/v1/tokens/{token_id}", headers=bearer(plain)).status_code == 204
    body = _error(client.get("/api/v1/tokens", headers=bearer(plain)), 401)
    assert "revoked" in body["message"]


def test_expired_token_is_refused(client, runtime):
    plain = make_token(runtime, "alice", now=utcnow() - timedelta(days=2), lifetime_days=1)
    response = client.get("/api/v1/tokens", headers=bearer(plain))
    assert "expired" in _error(response, 401)["message"]
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="opendata", error="invalid_token"'


@pytest.mark.parametrize("header", ["Bearer od_0123456789_" + "x" * 43, "Bearer nonsense", "Basic YWxpY2U6cHc=",
                                    "Bearer", "Token abc"])
def test_wrong_credentials_answer_401_with_a_challenge(client, header):
    response = client.get("/api/v1/status", headers={"Authorization": header})
    _error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="opendata"')


def test_anonymous_caller_needs_a_token_for_private_endpoints(client):
    response = client.get("/api/v1/tokens")
    _error(response, 401)
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="opendata"'
    assert client.get("/api/v1/status").status_code == 200


def test_token_in_query_string_or_cookie_is_refused(client, runtime):
    plain = make_token(runtime, "alice")
    for url in (f"/api/v1/tokens?access_token={plain}", f"/api/v1/status?token={plain}",
                f"/api/v1/status?q={plain}"):
        response = client.get(url)
        body = _error(response, 400)
        assert body["code"] == "token-not-in-header" and plain not in response.get_data(as_text=True)
        assert 'error="invalid_request"' in response.headers["WWW-Authenticate"]
    client.set_cookie("session_token", plain)
    _error(client.get("/api/v1/tokens", headers=bearer(plain)), 400)


def test_missing_scope_answers_403(client, runtime):
    read_only_admin = make_token(runtime, "admin", scopes=["read"])
    response = client.get("/api/v1/audit", headers=bearer(read_only_admin))
    assert _error(response, 403)["code"] == "forbidden"
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    _error(client.get("/api/v1/audit", headers=bearer(make_token(runtime, "finclerk", scopes=["publish"]))), 403)


def test_tokens_never_reach_logs_or_error_bodies(client, runtime, caplog, app):
    caplog.set_level(logging.DEBUG)
    plain = make_token(runtime, "alice")
    # Change the last character to one it is not: a fixed "A" left the token valid when it already ended in "A".
    altered = plain[:-1] + ("B" if plain.endswith("A") else "A")
    bodies = []
    for response in (client.get("/api/v1/audit", headers=bearer(plain)),
                     client.get("/api/v1/status", headers=bearer(altered)),
                     client.get(f"/api/v1/status?access_token={plain}"),
                     client.post("/api/v1/tokens", json={"name": ""}, headers=bearer(plain))):
        assert response.status_code >= 400
        bodies.append(response.get_data(as_text=True))
    logging.getLogger("werkzeug").info('"GET /api/v1/status?access_token=%s HTTP/1.1" 400 -', plain)
    app.logger.warning("token seen: %s", plain)
    secret = plain.split("_", 2)[2]
    assert caplog.records and all(secret not in r.getMessage() for r in caplog.records)
    assert secret not in caplog.text and not any(secret in b for b in bodies)


def test_audit_lists_and_exports_for_administrators(client, runtime, admin):
    response = client.post("/api/v1/tokens", json={"name": "audited"}, headers={**bearer(admin),
                                                                                 "X-Request-ID": "req-42"})
    assert response.headers["X-Request-ID"] == "req-42"
    page = client.get("/api/v1/audit?action=token-created&limit=1", headers=bearer(admin)).json
    assert len(page["items"]) == 1 and page["next_after_seq"] == page["items"][0]["seq"]
    last = client.get(f"/api/v1/audit?action=token-created&after_seq={page['next_after_seq']}",
                      headers=bearer(admin)).json["items"]
    assert last[-1]["actor"] == "admin" and last[-1]["request_id"] == "req-42"
    assert last[-1]["address"] == "127.0.0.1" and last[-1]["after"]["name"] == "audited"
    export = client.get("/api/v1/audit?format=csv", headers=bearer(admin))
    assert export.status_code == 200 and export.mimetype == "text/csv"
    assert export.headers["Content-Disposition"].startswith("attachment;")
    lines = export.get_data(as_text=True).strip().split("\r\n")
    assert lines[0].startswith("seq,at,actor,action") and any(",token-created," in line for line in lines)
    _error(client.get("/api/v1/audit?format=xml", headers=bearer(admin)), 422)
    _error(client.get("/api/v1/audit?since=2026-01-01T00:00:00", headers=bearer(admin)), 422)  # no zone


def test_grants_through_the_api(client, runtime, admin):
    url = "/api/v1/datasets/subsidies/grants"
    created = client.post(url, json={"user": "alice", "purpose": "研究", "days": 30}, headers=bearer(admin))
    assert created.status_code == 201 and created.json["user"] == "alice" and created.json["granted_by"] == "admin"
    assert [g["id"] for g in client.get(url, headers=bearer(admin)).json] == [created.json["id"]]
    _error(client.post(url, json={"user": "alice", "purpose": "x"}, headers=bearer(admin)), 422)
    _error(client.post(url, json={"user": "alice", "days": 3}, headers=bearer(admin)), 422)
    _error(client.post("/api/v1/datasets/budget/grants", json={"user": "alice", "purpose": "x", "days": 3},
                       headers=bearer(admin)), 409)
    _error(client.post("/api/v1/datasets/nope/grants", json={"user": "alice", "purpose": "x", "days": 3},
                       headers=bearer(admin)), 404)
    clerk = make_token(runtime, "finclerk", scopes=["publish"])
    _error(client.post(url, json={"user": "alice", "purpose": "x", "days": 3}, headers=bearer(clerk)), 403)
    _error(client.delete(f"{url}/{created.json['id']}", headers=bearer(clerk)), 403)
    _error(client.delete(f"/api/v1/datasets/budget/grants/{created.json['id']}", headers=bearer(admin)), 404)
    assert client.delete(f"{url}/{created.json['id']}", headers=bearer(admin)).status_code == 204
    assert client.get(f"{url}?active_only=true", headers=bearer(admin)).json == []


def test_current_viewer_carries_grants_and_organizations(app, client, runtime, admin):
    from opendata.api.auth import current_viewer

    @app.get("/test-viewer")
    def _viewer():
        v = current_viewer()
        return {"user": v.user, "grants": sorted(v.granted_dataset_ids), "admin": v.is_admin}

    assert client.get("/test-viewer").json == {"user": None, "grants": [], "admin": False}
    client.post("/api/v1/datasets/subsidies/grants", json={"user": "alice", "purpose": "x", "days": 1},
                headers=bearer(admin))
    alice = client.get("/test-viewer", headers=bearer(make_token(runtime, "alice"))).json
    assert alice["user"] == "alice" and len(alice["grants"]) == 1 and not alice["admin"]
    assert client.get("/test-viewer", headers=bearer(admin)).json["admin"] is True


def test_conditional_data_reaches_granted_requesters_and_own_publishers_only(fresh_site):
    from opendata.services.accounts import role_grant, user_create
    from opendata.services.grants import grant_create
    from opendata.store.db import transaction
    from tests.accounts_fixtures import OPERATOR

    rt, client = fresh_site.runtime, fresh_site.client
    now = utcnow()
    with transaction(rt.sessions) as s:
        for name, org, role in (("alice", None, "requester"), ("bob", None, "requester"),
                                ("carol", None, "requester"), ("clerk", "finance", "publisher"),
                                ("envclerk", "env", "publisher")):
            user_create(session=s, actor=OPERATOR, username=name, organization=org)
            role_grant(session=s, actor=OPERATOR, username=name, role=role)
        grant_create(session=s, actor=OPERATOR, dataset="subsidies", username="alice", purpose="研究",
                     expires_at=now + timedelta(days=1))
        expired = grant_create(session=s, actor=OPERATOR, dataset="subsidies", username="bob", purpose="研究",
                               expires_at=now + timedelta(seconds=1), now=now - timedelta(days=1))
        expired.expires_at = now - timedelta(seconds=1)
    url = "/api/v1/datasets/subsidies/download.csv"
    expected = {None: 404, "alice": 200, "bob": 404, "carol": 404, "clerk": 200, "envclerk": 404}
    for user, status in expected.items():
        headers = bearer(make_token(rt, user)) if user else {}
        response = client.get(url, headers=headers)
        assert response.status_code == status, user
        response.close()
    assert client.get("/api/v1/datasets/budget/download.csv").status_code == 200
