"""Grants and requests in the console over HTTP: the queue with its filters, every handling step of a request
from its page (inline errors that change nothing), a data-access application approved into a grant, and
another department that neither sees nor handles any of it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from opendata.services.access import ANONYMOUS
from opendata.services.disclosure import request_disclosure_change
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.submit import submit_request
from opendata.store.requests import DisclosureRequest, RequestEvent
from tests.review_fixtures import OPERATOR, add_users, viewer_of
from tests.web.console.conftest import client_of, post_form

FORM = {"organization": "finance", "subject": "2024年财政补助发放情况", "description": "请提供2024年度财政补助资金的发放明细。",
        "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": "natural-person",
        "applicant_name": "李明", "id_type": "resident-id", "id_number": "11010519491231002X",
        "email": "li.ming@example.cn"}


def _submit(runtime, form=None, viewer=None) -> str:
    """A request received now; its tracking code."""
    policy = RequestPolicy.from_config(runtime.config)
    done = submit_request(runtime=runtime, policy=policy, viewer=viewer or ANONYMOUS,
                          form=dict(form or FORM))
    return done.code


def _record(runtime, code: str) -> tuple[DisclosureRequest, list[str]]:
    with runtime.sessions() as session:
        request = session.scalar(select(DisclosureRequest).where(DisclosureRequest.code == code))
        actions = list(session.scalars(select(RequestEvent.action).where(RequestEvent.request_id == request.id)
                                       .order_by(RequestEvent.id)))
        session.expunge(request)
        return request, actions


def test_the_queue_lists_the_organizations_requests_and_filters_them(app, runtime):
    code = _submit(runtime)
    other = _submit(runtime, {**FORM, "subject": "环境监测点位", "organization": "env"})
    client = client_of(app, "finpub")
    html = client.get("/console/access").get_data(as_text=True)
    assert f"/console/requests/{code}" in html and "2024年财政补助发放情况" in html
    assert f"/console/requests/{other}" not in html and "环境监测点位" not in html  # env's, not finance's
    assert f"/console/requests/{code}" in client.get("/console/access?q=财政补助").get_data(as_text=True)
    assert f"/console/requests/{code}" not in client.get("/console/access?q=公交线路").get_data(as_text=True)
    closed = client.get("/console/access?state=closed").get_data(as_text=True)
    assert f"/console/requests/{code}" not in closed and "没有符合条件的申请" in closed
    bad = client.get("/console/access?page=0")
    assert bad.status_code == 200 and f"/console/requests/{code}" not in bad.get_data(as_text=True)


def test_a_request_is_assigned_noted_extended_and_decided_from_its_page(app, runtime):
    code = _submit(runtime)
    client = client_of(app, "finpub")
    page = f"/console/requests/{code}"
    html = client.get(page).get_data(as_text=True)
    assert "2024年财政补助发放情况" in html and "11010519491231002X" not in html  # identity masked until assigned
    assert post_form(client, page, {"which": "assign", "assign-handler": "finrev1"}).status_code == 303
    assert post_form(client, page, {"which": "note", "note-text": "已联系财政局预算科核实。"}).status_code == 303
    assert post_form(client, page, {"which": "extension", "extension-days": "10", "extension-approver": "王局长",
                                    "extension-reason": "涉及多个科室，需汇总核实。"}).status_code == 303
    request, actions = _record(runtime, code)
    assert request.extension_days == 10 and actions[-3:] == ["assigned", "note", "extended"]
    html = client.get(page).get_data(as_text=True)
    assert "已联系财政局预算科核实。" in html and "handler: finrev1" in html
    assert "11010519491231002X" in client_of(app, "finrev1").get(page).get_data(as_text=True)  # the handler's view
    decided = post_form(client, page, {"which": "decision", "decision-outcome": "disclosed",
                                       "decision-reply": "所申请信息予以公开，见附件明细。"})
    assert decided.status_code == 303
    request, actions = _record(runtime, code)
    assert request.state == "closed" and request.outcome == "disclosed" and actions[-1] == "decided"
    html = client.get(page).get_data(as_text=True)
    assert "予以公开" in html and 'name="which"' not in html  # a closed request has no more steps


def test_a_step_with_missing_or_wrong_fields_names_them_and_changes_nothing(app, runtime):
    code = _submit(runtime)
    client = client_of(app, "finpub")
    page = f"/console/requests/{code}"
    before = _record(runtime, code)
    answer = post_form(client, page, {"which": "extension", "extension-days": "45"})
    html = answer.get_data(as_text=True)
    assert answer.status_code == 422
    assert "请填写批准延期的人。" in html and "请填写告知申请人的理由。" in html  # approver, reason
    assert 'id="extension-days"' in html and "20" in html  # at most 20 working days
    wrong_handler = post_form(client, page, {"which": "assign", "assign-handler": "envpub"})
    assert wrong_handler.status_code == 422 and "envpub" in wrong_handler.get_data(as_text=True)
    decision = post_form(client, page, {"which": "decision", "decision-outcome": "withheld-third-party",
                                        "decision-reply": "涉及第三方个人信息。"})
    assert decision.status_code == 422 and 'id="decision-legal_basis"' in decision.get_data(as_text=True)
    after = _record(runtime, code)
    assert (after[0].state, after[0].handler_id, after[0].extension_days, after[1]) == \
        (before[0].state, before[0].handler_id, before[0].extension_days, before[1])


def test_an_approved_data_access_application_is_a_grant_on_the_access_page(app, runtime):
    request_disclosure_change(runtime=runtime, viewer=OPERATOR, identifier="payees", disclosure="conditional",
                              legal_basis="《社会救助暂行办法》第六十六条", reason="名单含个人信息")
    add_users(runtime, {"researcher": (None, ["requester"])})
    policy = RequestPolicy.from_config(runtime.config)
    today = policy.today()
    form = {**FORM, "organization": "", "dataset": "payees", "subject": "补助对象名单用于政策评估",
            "purpose": "评估低保政策覆盖面", "intended_use": "仅用于课题统计分析，不对外提供",
            "period_start": today.isoformat(), "period_end": (today + timedelta(days=90)).isoformat()}
    code = _submit(runtime, form, viewer_of(runtime, "researcher"))
    client = client_of(app, "finrev1")
    access = client.get("/console/access").get_data(as_text=True)
    assert f"/console/requests/{code}" in access and "评估低保政策覆盖面" not in access  # no grant yet
    page = f"/console/requests/{code}"
    assert post_form(client, page, {"which": "decision", "decision-outcome": "disclosed",
                                     "decision-reply": "同意在申请期限内使用。"}).status_code == 303
    access = client.get("/console/access").get_data(as_text=True)
    grants = access[access.index('id="grants"'):]
    assert "<code>payees</code>" in grants and "researcher" in grants and "评估低保政策覆盖面" in grants
    assert "envpub" not in grants
    assert "评估低保政策覆盖面" not in client_of(app, "envrev").get("/console/access").get_data(as_text=True)


def test_another_department_neither_sees_nor_handles_a_request(app, runtime):
    code = _submit(runtime)
    own = _submit(runtime, {**FORM, "subject": "另一份申请"}, viewer_of(runtime, "envpub"))
    before = _record(runtime, code)
    client = client_of(app, "envpub")
    assert f"/console/requests/{code}" not in client.get("/console/access").get_data(as_text=True)
    assert client.get(f"/console/requests/{code}").status_code == 404
    assert client.get(f"/console/requests/{own}").status_code == 404  # its applicant follows it on the portal
    for which, data in (("assign", {"assign-handler": "envpub"}), ("note", {"note-text": "B"}),
                        ("decision", {"decision-outcome": "disclosed", "decision-reply": "B"})):
        answer = post_form(client, f"/console/requests/{code}", {"which": which, **data}, page="/console/access")
        assert answer.status_code == 404, which
    after = _record(runtime, code)
    assert (after[0].state, after[0].handler_id, after[1]) == (before[0].state, before[0].handler_id, before[1])
