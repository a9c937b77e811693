"""The registration API refuses text no format can carry: 422 naming the field, 400 for broken Unicode, nothing stored."""

from __future__ import annotations

import json

import pytest

from tests.api.write.conftest import error_of
from tests.api.write.test_registration import VALID

CONTROL = "预算\u0001标题"

# (change to the valid body, the path the 422 names)
CASES = [
    ({"title": CONTROL}, "title"),
    ({"title": "第一行\n第二行"}, "title"),
    ({"title_en": "Budget\u0085x"}, "title_en"),
    ({"description": "说明\u001b[31m红色"}, "description"),
    ({"keywords": ["预算", "财\u0000政"]}, "keywords/1"),
    ({"spatial": "330100\u007f"}, "spatial"),
    ({"code": "330100/\u202800100"}, "code"),  # inside: surrounding whitespace is trimmed, not refused
    ({"id": "tax\u0001refunds"}, "id"),
    ({"disclosure": "conditional", "legal_basis": "第十五条\ufffe"}, "legal_basis"),
    ({"contact": {"name": "财政局\u0002"}}, "contact/name"),
    ({"contact": {"email": "a b@c.d"}}, "contact/email"),
    ({"contact": {"email": "fin@exa\nmple.gov.cn"}}, "contact/email"),
    ({"contact": {"email": "<script>@x.y"}}, "contact/email"),
    ({"contact": {"url": "javascript:alert(1)"}}, "contact/url"),
    ({"contact": {"url": "https://x y.example/"}}, "contact/url"),
    ({"contact": {"phone": "0571\u00008700"}}, "contact/phone"),
]


@pytest.mark.parametrize(("change", "path"), CASES, ids=[c[1] for c in CASES])
def test_each_text_field_refuses_what_no_format_can_carry(client, fin, change, path):
    body = error_of(client.post("/api/v1/datasets", json={**VALID, **change}, headers=fin), 422)
    named = [e for e in body["errors"] if e.get("path") == path]
    assert named, body
    assert "U+" in named[0]["message"] or "e-mail" in named[0]["message"] or "URL" in named[0]["message"]
    assert client.get("/api/v1/datasets/tax-refunds").status_code == 404


def test_an_update_is_checked_the_same_way_and_changes_nothing(client, fin):
    assert client.post("/api/v1/datasets", json=VALID, headers=fin).status_code == 201
    body = error_of(client.patch("/api/v1/datasets/tax-refunds", json={"title": CONTROL,
                                 "contact": {"email": "a b@c.d"}}, headers=fin), 422)
    assert {e["path"] for e in body["errors"]} == {"title", "contact/email"}
    assert client.get("/api/v1/datasets/tax-refunds").json["title"] == VALID["title"]


@pytest.mark.parametrize("raw", [
    '"\\ud800"', '"ok \\udfff"', '"\\ud83d\\u0041"'])  # lone high, lone low, high then a non-surrogate
def test_a_json_body_with_an_unpaired_surrogate_is_a_400_in_the_one_shape(client, fin, raw):
    text = json.dumps({**VALID, "title": "x"}).replace('"title": "x"', f'"title": {raw}')
    r = client.post("/api/v1/datasets", data=text, content_type="application/json", headers=fin)
    body = error_of(r, 400)
    assert set(body) == {"code", "status", "message", "errors"} and "unpaired surrogate" in body["message"]
    assert "/title" in body["message"]


def test_a_paired_surrogate_escape_is_an_ordinary_character(client, fin):
    text = json.dumps({**VALID, "title": "数据😀"}, ensure_ascii=True)  # 😀 as \ud83d\ude00
    r = client.post("/api/v1/datasets", data=text, content_type="application/json", headers=fin)
    assert r.status_code == 201, r.json
    assert r.json["title"] == "数据😀"


def test_a_schema_with_a_control_character_in_a_field_title_is_refused_naming_the_property(client, fin):
    descriptor = {"fields": [{"name": "id", "type": "integer"}, {"name": "x", "title": "名称\u0007"}]}
    body = error_of(client.post("/api/v1/schemas", json={"name": "odd.json", "descriptor": descriptor},
                                headers=fin), 422)
    assert any(e.get("path") == "fields/1/title" and "U+0007" in e["message"] for e in body["errors"]), body
