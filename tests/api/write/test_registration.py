"""Dataset and schema registration: the catalogue's rules, 422 naming the field, 403 across organizations."""

from __future__ import annotations

import pytest

from opendata.services.access import system_viewer
from opendata.services.audit import AuditFilter, audit_list
from tests.accounts_fixtures import bearer, make_token
from tests.api.write.conftest import error_of

VALID = {"id": "tax-refunds", "code": "330100/00100", "title": "退税明细", "publisher": "finance",
         "theme": "fiscal", "keywords": ["退税"], "license": "CC-BY-4.0", "disclosure": "unconditional",
         "frequency": "monthly", "schema": "simple.json", "temporal": {"start": "2024-01-01", "end": "2024-12-31"},
         "contact": {"name": "财政局", "email": "fin@example.gov.cn"}}


def _audit(runtime, **kw):
    with runtime.sessions() as session:
        return audit_list(session=session, actor=system_viewer(), filters=AuditFilter(**kw))


def test_register_dataset_then_read_it_back(client, fin, runtime):
    created = client.post("/api/v1/datasets", json=VALID, headers=fin)
    assert created.status_code == 201, created.json
    assert created.headers["Location"] == "/api/v1/datasets/tax-refunds"
    assert created.json["theme"] == "fiscal" and created.json["temporal"] == {"start": "2024-01-01", "end": "2024-12-31"}
    shown = client.get("/api/v1/datasets/tax-refunds")
    assert shown.status_code == 200 and shown.json["title"] == "退税明细"
    (entry,) = _audit(runtime, action="dataset-registered", target_id="tax-refunds")  # the sync registered others
    assert entry.actor == "finclerk" and entry.after["code"] == "330100/00100" and entry.before is None


def test_chinese_vocabulary_names_are_accepted_as_in_the_catalogue(client, fin):
    created = client.post("/api/v1/datasets", json={**VALID, "theme": "财政预决算", "frequency": "每月"}, headers=fin)
    assert created.status_code == 201, created.json
    assert (created.json["theme"], created.json["frequency"]) == ("fiscal", "monthly")


@pytest.mark.parametrize(("change", "field"), [
    ({"id": "Not_A_Slug"}, "id"),
    ({"id": "budget"}, "id"),
    ({"code": "330100/00001"}, "code"),
    ({"code": "hello world"}, "code"),
    ({"code": "110101/00001"}, "code"),
    ({"title": ""}, "title"),
    ({"theme": "astrology"}, "theme"),
    ({"license": "WTFPL"}, "license"),
    ({"frequency": "hourly-ish"}, "frequency"),
    ({"disclosure": "secret"}, "disclosure"),
    ({"disclosure": "conditional"}, "legal_basis"),
    ({"schema": "missing.json"}, "schema"),
    ({"publisher": "nobody"}, "publisher"),
    ({"temporal": {"start": "2024-13-01"}}, "temporal/start"),
    ({"keywords": "not-a-list"}, "keywords"),
    ({"contact": {"fax": "1"}}, "contact"),
    ({"extra": 1}, "extra"),
])
def test_each_bad_input_answers_422_naming_the_field(client, fin, change, field):
    body = error_of(client.post("/api/v1/datasets", json={**VALID, **change}, headers=fin), 422)
    errors = body["errors"]
    named = {e.get("path") for e in errors} if isinstance(errors, list) else set(errors.get("json", {}))
    assert any(n == field or (n or "").startswith(field) for n in named), body


def test_a_catalogue_code_out_of_format_is_refused_with_the_format_in_the_message(client, fin):
    body = error_of(client.post("/api/v1/datasets", json={**VALID, "code": "hello world"}, headers=fin), 422)
    (problem,) = body["errors"]
    assert problem["path"] == "code" and "is not <publisher code>/<sequence>" in problem["message"]
    assert client.get("/api/v1/datasets/tax-refunds").status_code == 404


def test_moving_a_dataset_to_another_publisher_needs_a_code_of_that_publisher(client, fin, city):
    assert client.post("/api/v1/datasets", json=VALID, headers=fin).status_code == 201
    from tests.conftest import CITY_CODE

    body = error_of(client.patch("/api/v1/datasets/tax-refunds", json={"publisher": "city",
                                 "code": "999999/00001"}, headers=city), 422)
    assert [e["path"] for e in body["errors"]] == ["code"]
    assert f"'{CITY_CODE[8:17]}'" in body["errors"][0]["message"]


def test_missing_required_fields_are_each_named(client, fin):
    body = error_of(client.post("/api/v1/datasets", json={"id": "x-1"}, headers=fin), 422)
    named = {e["path"] for e in body["errors"]}
    assert {"code", "title", "publisher", "theme", "license", "disclosure", "frequency", "schema"} <= named


def test_publisher_of_another_organization_gets_403(client, fin, city):
    error_of(client.post("/api/v1/datasets", json={**VALID, "publisher": "city"}, headers=fin), 403)
    # a parent organization's publisher may register for its sub-organization
    assert client.post("/api/v1/datasets", json=VALID, headers=city).status_code == 201


def test_registration_needs_a_publish_token(client, runtime):
    error_of(client.post("/api/v1/datasets", json=VALID), 401)
    reader = bearer(make_token(runtime, "finclerk", scopes=["read"]))
    error_of(client.post("/api/v1/datasets", json=VALID, headers=reader), 403)


def test_update_changes_metadata_and_is_audited_with_before_and_after(client, fin, runtime):
    client.post("/api/v1/datasets", json=VALID, headers=fin)
    updated = client.patch("/api/v1/datasets/tax-refunds", json={"title": "退税明细（更新）", "keywords": ["a", "b"]},
                           headers=fin)
    assert updated.status_code == 200, updated.json
    assert updated.json["title"] == "退税明细（更新）" and updated.json["code"] == VALID["code"]
    (entry,) = _audit(runtime, action="dataset-updated")
    assert entry.before == {"title": "退税明细", "keywords": ["退税"]}
    assert entry.after == {"title": "退税明细（更新）", "keywords": ["a", "b"]}


def test_update_applies_the_same_rules(client, fin):
    client.post("/api/v1/datasets", json=VALID, headers=fin)
    assert error_of(client.patch("/api/v1/datasets/tax-refunds", json={"license": "nope"}, headers=fin),
                    422)["errors"][0]["path"] == "license"
    assert error_of(client.patch("/api/v1/datasets/tax-refunds", json={"id": "other"}, headers=fin),
                    422)["errors"][0]["path"] == "id"
    error_of(client.patch("/api/v1/datasets/tax-refunds", json={"publisher": "city"}, headers=fin), 403)
    error_of(client.patch("/api/v1/datasets/none-such", json={"title": "x"}, headers=fin), 404)


def test_disclosure_does_not_change_through_an_update(client, fin):
    client.post("/api/v1/datasets", json=VALID, headers=fin)
    body = error_of(client.patch("/api/v1/datasets/tax-refunds", json={"disclosure": "closed"}, headers=fin), 422)
    assert body["errors"][0]["path"] == "disclosure" and "/disclosure" in body["errors"][0]["message"]
    body = error_of(client.patch("/api/v1/datasets/tax-refunds", json={"legal_basis": "x"}, headers=fin), 422)
    assert body["errors"][0]["path"] == "legal_basis"


SCHEMA = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "type": "string"}], "primaryKey": ["id"]}


def test_register_schema_then_a_dataset_on_it(client, fin, runtime):
    created = client.post("/api/v1/schemas", json={"name": "refunds.json", "descriptor": SCHEMA}, headers=fin)
    assert created.status_code == 201, created.json
    assert len(created.json["sha256"]) == 64
    assert client.post("/api/v1/datasets", json={**VALID, "schema": "refunds.json"}, headers=fin).status_code == 201
    assert _audit(runtime, action="schema-registered", target_id="refunds.json")[0].actor == "finclerk"
    again = error_of(client.post("/api/v1/schemas", json={"name": "refunds.json", "descriptor": SCHEMA},
                                 headers=fin), 422)
    assert again["errors"][0]["path"] == "name"


@pytest.mark.parametrize(("descriptor", "path"), [
    ({"fields": [{"name": "id", "type": "integr"}]}, "fields/0/type"),
    ({"fields": [{"name": "id"}], "primaryKey": ["nope"]}, "primaryKey"),
    ({"fields": [{"name": "a", "type": "string", "constraints": {"maxLength": "x"}}]},
     "fields/0/constraints/maxLength"),
    ({"fields": [{"name": "a"}, {"name": "a"}]}, "fields/1/name"),
    ({"fields": [{"name": "a", "x-mask": {"method": "zap"}}]}, "fields/0/x-mask"),
])
def test_bad_schema_answers_422_naming_the_property(client, fin, descriptor, path):
    body = error_of(client.post("/api/v1/schemas", json={"name": "bad.json", "descriptor": descriptor},
                                headers=fin), 422)
    assert any((e.get("path") or "").startswith(path) for e in body["errors"]), body


def test_bad_schema_name_is_422(client, fin):
    body = error_of(client.post("/api/v1/schemas", json={"name": "../etc/passwd", "descriptor": SCHEMA},
                                headers=fin), 422)
    assert body["errors"][0]["path"] == "name"
