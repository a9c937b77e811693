"""The request pages: the public form, the confirmation with the code, the status page (no enumeration)."""

from __future__ import annotations

import re

import pytest

from tests.web.pagecheck import read_page

FORM = {"organization": "finance", "subject": "<script>alert('s')</script>预算", "description": "<b>明细</b>",
        "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": "natural-person",
        "applicant_name": "李明", "id_type": "resident-id", "id_number": "11010519491231002X",
        "email": "li.ming@example.cn"}


def _token(client) -> str:
    html = client.get("/requests/new").get_data(as_text=True)
    return re.search(r'name="token" value="([^"]+)"', html).group(1)


def _code(html: str) -> str:
    return re.search(r'class="tracking-code"><code>([A-Z0-9-]+)</code>', html).group(1)


@pytest.fixture
def client(app, catalogue):
    return app.test_client()


def test_the_form_is_bilingual_and_offers_every_choice(client):
    html = client.get("/requests/new?organization=finance").get_data(as_text=True)
    page = read_page(html)
    assert page.scripts == [] and "<form method=\"post\"" in html
    for label in ("自然人", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "居民身份证", "电子", "邮寄"):
        assert label in html
    assert 'value="finance" selected' in html


def test_submitting_shows_the_code_once_and_a_refresh_does_not_send_twice(client):
    token = _token(client)
    first = client.post("/requests/new", data={**FORM, "token": token})
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-store"
    code = _code(first.get_data(as_text=True))
    again = client.post("/requests/new", data={**FORM, "token": token})
    assert _code(again.get_data(as_text=True)) == code


def test_errors_are_named_beside_their_fields_and_input_is_escaped(client):
    r = client.post("/requests/new", data={**FORM, "id_number": "110105194912310021", "token": _token(client)})
    html = r.get_data(as_text=True)
    assert r.status_code == 422 and 'href="#id_number"' in html and 'aria-invalid="true"' in html
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html
    expired = client.post("/requests/new", data={**FORM, "token": "forged"})
    assert expired.status_code == 400


def test_the_status_page_shows_the_request_without_the_identity_number(client):
    code = _code(client.post("/requests/new", data={**FORM, "description": "status", "token": _token(client)})
                 .get_data(as_text=True))
    r = client.post("/requests/status", data={"code": code.lower(), "contact": "LI.MING@example.cn"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and code in html and "办理中" in html
    assert "11010519491231002X" not in html and "<script>alert" not in html


def test_unknown_codes_and_wrong_contacts_read_alike(client):
    code = _code(client.post("/requests/new", data={**FORM, "description": "alike", "token": _token(client)})
                 .get_data(as_text=True))
    wrong = client.post("/requests/status", data={"code": code, "contact": "x@y.cn"})
    unknown = client.post("/requests/status", data={"code": "ABCD-EFGH-JKMN-PQRS", "contact": FORM["email"]})
    assert wrong.status_code == unknown.status_code == 404
    strip = re.compile(r'name="code" value="[^"]*"')
    assert strip.sub("", wrong.get_data(as_text=True)) == strip.sub("", unknown.get_data(as_text=True))
