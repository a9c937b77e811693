"""/api/v1/requests end to end: submit, follow, handle, decide, download; errors in the one shape."""

from __future__ import annotations

import io

from tests.accounts_fixtures import ERROR_KEYS
from tests.api.requests.conftest import FORM

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _error(response, status, path=None):
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.json
    assert set(body) == ERROR_KEYS and body["status"] == status
    if path is not None:
        errors = body["errors"]
        named = [p.get("path") for p in errors] if isinstance(errors, list) else list(errors.get("json", errors))
        assert path in named, body
    return body


def _submit(client, **change):
    r = client.post("/api/v1/requests", json={**FORM, **change})
    assert r.status_code == 201, r.get_data(as_text=True)
    return r.json


def test_anyone_submits_and_follows_a_request_by_code_and_contact(client):
    done = _submit(client)
    assert len(done["code"]) == 16 and done["tracking_code"].count("-") == 3
    assert done["calendar_version"].startswith("chinese-calendar")
    r = client.post("/api/v1/requests/status", json={"code": done["tracking_code"].lower(), "contact": FORM["email"]})
    assert r.status_code == 200 and r.json["state"] == "open" and r.json["timeline"][0]["action"] == "submitted"
    assert FORM["id_number"] not in r.get_data(as_text=True)


def test_wrong_contact_and_unknown_code_answer_exactly_alike(client):
    done = _submit(client)
    wrong = client.post("/api/v1/requests/status", json={"code": done["code"], "contact": "x@y.cn"})
    unknown = client.post("/api/v1/requests/status", json={"code": "ABCDEFGHJKMNPQRS", "contact": FORM["email"]})
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.get_data() == unknown.get_data()


def test_bad_fields_are_named_in_the_one_error_shape(client):
    _error(client.post("/api/v1/requests", json={**FORM, "subject": "x" * 20_000}), 422, "subject")
    _error(client.post("/api/v1/requests", json={**FORM, "id_number": "110105194912310021"}), 422, "id_number")
    _error(client.post("/api/v1/requests", json={**FORM, "extra": 1}), 422, "extra")
    _error(client.post("/api/v1/requests", json={**FORM, "subject": ""}), 422, "subject")
    # a NUL names no dataset or organisation on any database (PostgreSQL refuses it in a query)
    _error(client.post("/api/v1/requests", json={**FORM, "dataset": "sub\u0000sidies"}), 422, "dataset")
    _error(client.post("/api/v1/requests", json={**FORM, "organization": "fin\u0000ance"}), 422, "organization")


def test_the_idempotency_key_answers_a_repeat_with_the_first_code(client):
    first = client.post("/api/v1/requests", json=FORM, headers={"Idempotency-Key": "abc"})
    again = client.post("/api/v1/requests", json=FORM, headers={"Idempotency-Key": "abc"})
    assert first.status_code == 201 and again.json["code"] == first.json["code"]
    _error(client.post("/api/v1/requests", json=FORM), 409, "description")  # the same request, no key: duplicate


def test_staff_handle_the_request_through_to_a_sealed_reply(client, tokens):
    code = _submit(client)["code"]
    queue = client.get("/api/v1/requests/queue?organization=finance", headers=tokens["finclerk"])
    assert queue.status_code == 200 and queue.json["total"] == 1
    [item] = queue.json["items"]
    assert item["id_number"] == "1" + "*" * 16 + "X" and item["days_left"] is not None
    r = client.post(f"/api/v1/requests/{code}/assign", json={"handler": "finclerk"}, headers=tokens["finclerk"])
    assert r.status_code == 200 and r.json["id_number"] == FORM["id_number"]  # the handler's own detail view
    other = client.get(f"/api/v1/requests/{code}", headers=tokens["reviewer"])
    assert other.json["id_number"] != FORM["id_number"]
    client.post(f"/api/v1/requests/{code}/notes", json={"text": "内部意见：可公开"}, headers=tokens["finclerk"])
    up = client.post(f"/api/v1/requests/{code}/attachments", data={"file": (io.BytesIO(PDF), "答复.pdf")},
                     headers=tokens["finclerk"], content_type="multipart/form-data")
    assert up.status_code == 201, up.get_data(as_text=True)
    decided = client.post(f"/api/v1/requests/{code}/decision", headers=tokens["finclerk"],
                          json={"outcome": "disclosed", "reply": "<b>现予公开</b>", "attachment_ids": [up.json["id"]]})
    assert decided.status_code == 200 and decided.json["state"] == "closed"
    _error(client.post(f"/api/v1/requests/{code}/decision", headers=tokens["finclerk"],
                       json={"outcome": "disclosed", "reply": "again"}), 409)
    view = client.post("/api/v1/requests/status", json={"code": code, "contact": FORM["email"]}).json
    assert "内部意见" not in str(view) and view["reply"]["text"] == "<b>现予公开</b>"
    [attachment] = view["reply"]["attachments"]
    file = client.get(f"/api/v1/requests/files/{attachment['token']}")
    assert file.status_code == 200 and file.get_data() == PDF
    assert "filename*=UTF-8''" in file.headers["Content-Disposition"]


def test_organisations_above_read_but_do_not_act(client, tokens):
    code = _submit(client)["code"]
    assert client.get(f"/api/v1/requests/{code}", headers=tokens["cityclerk"]).status_code == 200
    _error(client.post(f"/api/v1/requests/{code}/notes", json={"text": "x"}, headers=tokens["cityclerk"]), 403)
    _error(client.get("/api/v1/requests/queue", headers=tokens["finreader"]), 403)
    _error(client.get("/api/v1/requests/queue"), 401)


def test_one_applicant_never_sees_anothers_request(client, tokens):
    form = {**FORM, "dataset": "subsidies", "purpose": "科研", "intended_use": "分析", "period_start": "2026-10-01",
            "period_end": "2030-09-30"}
    r = client.post("/api/v1/requests", json=form, headers=tokens["alice"])
    assert r.status_code == 201 and r.json["kind"] == "data-access"
    code = r.json["code"]
    assert client.get(f"/api/v1/requests/{code}", headers=tokens["alice"]).json["view"] == "applicant"
    missing = client.get("/api/v1/requests/ABCDEFGHJKMNPQRS", headers=tokens["bob"])
    hidden = client.get(f"/api/v1/requests/{code}", headers=tokens["bob"])
    assert hidden.status_code == missing.status_code == 404
    assert hidden.get_data(as_text=True).replace(code, "X") == missing.get_data(as_text=True).replace(
        "ABCDEFGHJKMNPQRS", "X")
    assert [m["code"] for m in client.get("/api/v1/requests/mine", headers=tokens["alice"]).json] == [code]
    assert client.get("/api/v1/requests/mine", headers=tokens["bob"]).json == []


def test_a_data_access_application_needs_a_token(client):
    form = {**FORM, "dataset": "subsidies", "purpose": "科研", "intended_use": "分析", "period_start": "2026-10-01",
            "period_end": "2030-09-30"}
    _error(client.post("/api/v1/requests", json=form), 401)


def test_the_workday_calculator(client):
    assert client.get("/api/v1/workdays?from=2025-09-26&days=20").json["date"] == "2025-10-30"
    assert client.get("/api/v1/workdays?from=2025-09-26&until=2025-10-30").json["days"] == 20
    _error(client.get("/api/v1/workdays?from=2025-09-26"), 422, "days")


def test_attachments_over_the_limit_answer_413(client, tokens, app):
    code = _submit(client)["code"]
    limit = app.extensions["opendata"].config.REQUESTS_ATTACHMENT_MAX_BYTES
    big = PDF + b"0" * limit
    r = client.post(f"/api/v1/requests/{code}/attachments", data={"file": (io.BytesIO(big), "big.pdf")},
                    headers=tokens["finclerk"], content_type="multipart/form-data")
    _error(r, 413)
    r = client.post(f"/api/v1/requests/{code}/attachments", data={"file": (io.BytesIO(b"MZ\x90\x00"), "a.exe")},
                    headers=tokens["finclerk"], content_type="multipart/form-data")
    _error(r, 422, "file")


def test_status_look_ups_are_limited_per_address_answered_or_not(seeded_runtime):
    from opendata.config import load_config
    from tests.conftest import running_app

    config = load_config({}, **{**seeded_runtime.config.values, "REQUESTS_STATUS_RATE_LIMIT": "3 per minute"})
    with running_app(config) as app:
        client = app.test_client()
        answers = [client.post("/api/v1/requests/status", json={"code": f"ABCDEFGHJKMNPQR{c}", "contact": "x@y.cn"})
                   for c in "STUV"]
        assert [r.status_code for r in answers] == [404, 404, 404, 429]
        assert int(answers[-1].headers["Retry-After"]) >= 1 and answers[-1].json["status"] == 429
        page = client.post("/requests/status", data={"code": "ABCDEFGHJKMNPQRS", "contact": "x@y.cn"})
        assert page.status_code == 429  # the portal's status page counts against the same address
