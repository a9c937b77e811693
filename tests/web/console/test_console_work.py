"""The console's work pages over HTTP: datasets, reports, findings, review, schemas, grants and requests,
administration. Department A's staff see and act only on department A (everything else is a 404)."""

from __future__ import annotations

import io
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from opendata.services.disclosure import request_disclosure_change
from opendata.services.grants import grant_create
from opendata.services.quality import dataset_quality
from opendata.services.review import review_step
from opendata.services.timeliness.board import dataset_timeliness
from opendata.services.timeliness.policy import timeliness_policy
from opendata.store.accounts import AuditLog
from opendata.store.db import transaction
from opendata.store.models import Dataset
from opendata.store.review import PiiResolution
from tests.builders import generate_rows, ingest_rows, write_csv
from tests.review_fixtures import (
    OPERATOR,
    person_rows,
    viewer_of,
)
from tests.web.console.conftest import client_of, csrf_of, post_form


def test_my_datasets_lists_only_the_organizations_own(app, runtime):
    ingest_rows(runtime, "budget", generate_rows(5))
    html = client_of(app, "finpub").get("/console/datasets").get_data(as_text=True)
    assert "/console/datasets/budget" in html and "/console/datasets/payees" in html
    other = client_of(app, "envpub").get("/console/datasets").get_data(as_text=True)
    assert "/console/datasets/budget" not in other


def test_registering_a_dataset_checks_each_field_inline_in_the_readers_language(app, runtime):
    client = client_of(app, "finpub")
    page = client.get("/console/datasets/new").get_data(as_text=True)
    code = re.search(r'name="code"[^>]*value="([^"]+)"', page).group(1)
    bad = client.post("/console/datasets/new", data={
        "csrf_token": csrf_of(page), "identifier": "Bad ID", "code": "nonsense", "title": "",
        "publisher": "finance", "theme": "fiscal", "license": "CC-BY-4.0", "disclosure": "conditional",
        "frequency": "annual", "schema": "rows.json"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    for message in ("请使用小写字母、数字和连字符", "编码格式为", "请填写名称", "非无条件开放的数据必须说明法律依据"):
        assert message in html, message
    good = client.post("/console/datasets/new", data={
        "csrf_token": csrf_of(html), "identifier": "fin-grants", "code": code, "title": "财政补助资金",
        "publisher": "finance", "theme": "fiscal", "license": "CC-BY-4.0", "disclosure": "unconditional",
        "frequency": "annual", "schema": "rows.json", "keywords": "补助，资金"})
    assert good.status_code == 303 and good.location.endswith("/console/datasets/fin-grants")
    with runtime.sessions() as s:
        ds = s.scalar(select(Dataset).where(Dataset.identifier == "fin-grants"))
        assert ds.keywords == ["补助", "资金"] and ds.origin == "api"
        assert s.scalar(select(AuditLog.actor).where(AuditLog.action == "dataset-registered",
                                                 AuditLog.target_id == "fin-grants")) == "finpub"
    again = post_form(client, "/console/datasets/new", {
        "identifier": "fin-grants", "code": code, "title": "x", "publisher": "finance", "theme": "fiscal",
        "license": "CC-BY-4.0", "disclosure": "unconditional", "frequency": "annual", "schema": "rows.json"})
    assert again.status_code == 422 and "该值已被其他数据集或表结构使用" in again.get_data(as_text=True)


def test_editing_keeps_the_identifier_and_the_disclosure_class(app, runtime):
    client = client_of(app, "finpub")
    page = client.get("/console/datasets/budget/edit").get_data(as_text=True)
    assert 'name="identifier"' not in page and 'name="disclosure"' not in page
    fields = dict(re.findall(r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', page))
    answer = client.post("/console/datasets/budget/edit", data={
        **fields, "title": "预算（修订）", "publisher": "finance", "theme": "fiscal", "license": "CC-BY-4.0",
        "frequency": "annual", "schema": "rows.json", "csrf_token": csrf_of(page)})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:2000]
    with runtime.sessions() as s:
        assert s.scalar(select(Dataset.title).where(Dataset.identifier == "budget")) == "预算（修订）"


def test_the_report_groups_errors_locates_bad_cells_and_downloads(app, runtime, tmp_path):
    rows = generate_rows(12)
    rows[3]["amount"] = "1,234.5"  # thousands separators: the field's cleaning would take them
    rows[7]["amount"] = "abc"
    ingest_rows(runtime, "budget", rows)
    client = client_of(app, "finpub")
    html = client.get("/console/datasets/budget/versions/1").get_data(as_text=True)
    assert "类型错误" in html and "D (4)" in html
    assert html.count('class="bad"') == 2 and "千位分隔符" in html and "x-normalize" in html
    assert re.search(r'<th scope="row">5</th>.*?class="bad".*?1,234.5', html, re.S)  # file row 5: header is row 1
    as_json = client.get("/console/datasets/budget/versions/1/report.json")
    assert as_json.headers["Content-Disposition"].startswith("attachment") and json.loads(as_json.data)["valid"] is False
    as_csv = client.get("/console/datasets/budget/versions/1/report.csv").data.decode("utf-8-sig").splitlines()
    assert as_csv[0] == "rowNumber,fieldNumber,column,fieldName,type,cell,message" and len(as_csv) == 3
    api = client.get("/api/v1/review/datasets/budget/versions/1").get_json()
    assert api["report"]["valid"] is False  # through the API, staff read its summary in the review view
    assert "report" not in client.get("/api/v1/datasets/budget/versions/1").get_json()  # the public path: with data
    for path in ("/console/datasets/budget/versions/1", "/console/datasets/budget/versions/1/report.json",
                 "/console/datasets/budget", "/console/datasets/budget/upload", "/console/datasets/budget/edit"):
        assert client_of(app, "envpub").get(path).status_code == 404, path


def test_the_publisher_hashes_an_id_column_then_reviewers_approve_in_turn(app, runtime):
    ingest_rows(runtime, "payees", person_rows(6))
    clerk = client_of(app, "finpub")
    page = clerk.get("/console/datasets/payees/versions/1/findings").get_data(as_text=True)
    assert "身份证号" in page and "****" in page
    index = re.search(r'name="which" value="(\d+)"', page).group(1)
    answer = clerk.post("/console/datasets/payees/versions/1/findings", data={
        "csrf_token": csrf_of(page), "which": index, f"finding{index}-field": "id_card",
        f"finding{index}-kind": "id-number", f"finding{index}-action": "hash"})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:3000]
    with runtime.sessions() as s:
        assert [(r.action, r.mask_method, r.actor) for r in s.scalars(select(PiiResolution))] == [
            ("mask", "hash", "finpub")]
    path = "/console/review/payees/1"
    assert post_form(clerk, path, {"which": "step", "step-step": "submit"}).status_code == 303
    assert "职责分离" in clerk.get(path).get_data(as_text=True)
    first = client_of(app, "finrev1")
    assert post_form(first, path, {"which": "step", "step-step": "review", "step-note": "已核对"}).status_code == 303
    refused = post_form(first, path, {"which": "step", "step-step": "approve"})
    assert refused.status_code == 403 and "separation of duties" in refused.get_data(as_text=True)
    second = client_of(app, "finrev2")
    assert post_form(second, path, {"which": "step", "step-step": "approve"}).status_code == 303
    assert "已发布" in second.get(path).get_data(as_text=True)
    assert client_of(app, "envrev").get(path).status_code == 404


def test_a_reviewer_rejects_with_a_reason(app, runtime):
    ingest_rows(runtime, "budget", generate_rows(3))
    review_step(runtime=runtime, viewer=viewer_of(runtime, "finpub"), identifier="budget", number=1, step="submit")
    client = client_of(app, "finrev1")
    empty = post_form(client, "/console/review/budget/1", {"which": "reject", "reject-reason": ""})
    assert empty.status_code == 422
    done = post_form(client, "/console/review/budget/1", {"which": "reject", "reject-reason": "金额单位错误"})
    assert done.status_code == 303 and "已退回" in client.get("/console/review/budget/1").get_data(as_text=True)


def test_a_schema_is_drafted_from_a_gbk_sample_and_registered(app, tmp_path):
    client = client_of(app, "finpub")
    sample = "编号,身份证号,金额,日期\n001,11010519491231002X,\"1,234.5\",2023年6月18日\n002,440524188001010014,１２,2023年6月19日\n"
    page = client.get("/console/schemas/new").get_data(as_text=True)
    drafted = client.post("/console/schemas/new", content_type="multipart/form-data", data={
        "csrf_token": csrf_of(page), "which": "sample", "sample-sample": (io.BytesIO(sample.encode("gbk")), "补助.csv")})
    html = drafted.get_data(as_text=True)
    assert drafted.status_code == 200 and "draft-fields-0-name" in html
    types = re.findall(r'<select[^>]*name="draft-fields-(\d)-type".*?<option selected value="([a-z]+)"', html, re.S)
    assert [t for _i, t in types] == ["string", "string", "number", "date"]
    registered = client.post("/console/schemas/new", data={
        "csrf_token": csrf_of(html), "which": "draft", "draft-name": "grants.json",
        **{f"draft-fields-{i}-{k}": v for i, (n, t) in enumerate([("编号", "string"), ("身份证号", "string"),
                                                                   ("金额", "number"), ("日期", "date")])
           for k, v in (("name", n), ("type", t))}, "draft-fields-2-normalize": "y", "draft-fields-3-normalize": "y"})
    assert registered.status_code == 303 and registered.location.endswith("/console/datasets/new?schema=grants.json")


def test_administration_is_for_administrators(app):
    assert client_of(app, "finpub").get("/console/admin/users").status_code == 403
    admin = client_of(app, "admin")
    html = admin.get("/console/admin/users").get_data(as_text=True)
    assert "finrev2" in html
    made = post_form(admin, "/console/admin/users", {
        "which": "new", "new-username": "newclerk", "new-organization": "finance", "new-role": "publisher",
        "new-password": "a first long password"})
    assert made.status_code == 303
    audit = admin.get("/console/admin/audit?action=user-created").get_data(as_text=True)
    assert "newclerk" in audit and "/api/v1/audit?" in audit
    export = admin.get(re.search(r'href="(/api/v1/audit\?[^"]+)"', audit).group(1).replace("&amp;", "&"))
    assert export.status_code == 200 and "newclerk" in export.get_data(as_text=True)


def test_an_upload_page_offers_the_tus_endpoint_and_the_csrf_token(app, tmp_path):
    client = client_of(app, "finpub")
    html = client.get("/console/datasets/budget/upload").get_data(as_text=True)
    endpoint = re.search(r'data-endpoint="([^"]+)"', html).group(1)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    body = write_csv(tmp_path / "b.csv", generate_rows(3)).read_bytes()
    created = client.post(endpoint, headers={"Tus-Resumable": "1.0.0", "Upload-Length": str(len(body)),
                                             "X-CSRFToken": token})
    assert created.status_code == 201
    done = client.patch(created.headers["Location"], data=body, headers={
        "Tus-Resumable": "1.0.0", "Upload-Offset": "0", "Content-Type": "application/offset+octet-stream",
        "X-CSRFToken": token})
    assert done.status_code == 204 and "Location-Job" in done.headers


def test_the_access_page_lists_the_grants_of_the_organizations_datasets_only(app, runtime):
    expires = datetime.now(UTC) + timedelta(days=30)
    change = request_disclosure_change(runtime=runtime, viewer=OPERATOR, identifier="payees",
                                       disclosure="conditional", legal_basis="《社会救助暂行办法》第六十六条",
                                       reason="名单含个人信息")
    assert change["state"] == "applied"  # a tightening is in force at once
    with transaction(runtime.sessions) as session:
        grant_create(session=session, actor=OPERATOR, dataset="payees", purpose="低保资格复核",
                     expires_at=expires, username="envpub")
    html = client_of(app, "finpub").get("/console/access").get_data(as_text=True)
    assert "低保资格复核" in html and "<code>payees</code>" in html and "envpub" in html
    other = client_of(app, "envrev").get("/console/access").get_data(as_text=True)
    assert "授权与申请" in other and "低保资格复核" not in other  # env's staff: not their dataset's grant


def test_the_review_page_says_what_changed_from_the_published_version(app, runtime):
    def approve(number):
        for user, step in (("finpub", "submit"), ("finrev1", "review"), ("finrev2", "approve")):
            review_step(runtime=runtime, viewer=viewer_of(runtime, user), identifier="budget", number=number,
                        step=step)

    rows = generate_rows(10)
    ingest_rows(runtime, "budget", rows)
    approve(1)
    changed = [dict(r) for r in rows[:8]] + generate_rows(3, seed=7, start_id=11)  # 2 removed, 3 added
    changed[0]["amount"] += 1  # 1 changed, found by the primary key
    ingest_rows(runtime, "budget", changed)
    html = client_of(app, "finrev1").get("/console/review/budget/2").get_data(as_text=True)
    assert "与最近发布的第 1 版相比" in html
    assert "新增 3 行" in html and "删除 2 行" in html and "修改 1 行" in html


def test_another_departments_published_report_is_not_in_the_console(app, runtime):
    ingest_rows(runtime, "budget", generate_rows(5))
    for user, step in (("finpub", "submit"), ("finrev1", "review"), ("finrev2", "approve")):
        review_step(runtime=runtime, viewer=viewer_of(runtime, user), identifier="budget", number=1, step=step)
    client = client_of(app, "envpub")
    for path in ("", "/report.json", "/report.csv"):  # public data: the API gives its report, not env's console
        assert client.get(f"/console/datasets/budget/versions/1{path}").status_code == 404, path
    assert client_of(app, "finpub").get("/console/datasets/budget/versions/1").status_code == 200


def _row(html: str, identifier: str) -> str:
    """The My datasets table row of one dataset."""
    return next(r for r in html.split("<tr>") if f"/console/datasets/{identifier}\"" in r)


def test_my_datasets_shows_each_datasets_timeliness_and_quality(app, runtime):
    ingest_rows(runtime, "budget", generate_rows(5))
    for user, step in (("finpub", "submit"), ("finrev1", "review"), ("finrev2", "approve")):
        review_step(runtime=runtime, viewer=viewer_of(runtime, user), identifier="budget", number=1, step=step)
    with transaction(runtime.sessions) as session:  # payees: monthly, registered 400 days ago, never published
        payees = session.scalar(select(Dataset).where(Dataset.identifier == "payees"))
        payees.frequency, payees.created_at = "monthly", payees.created_at - timedelta(days=400)
        budget = session.scalar(select(Dataset).where(Dataset.identifier == "budget"))
        budget.frequency = "annual"
        ids = {"payees": payees.id, "budget": budget.id}
    policy = timeliness_policy(runtime)
    html = client_of(app, "finpub").get("/console/datasets").get_data(as_text=True)
    late = dataset_timeliness(runtime=runtime, policy=policy, dataset_id=ids["payees"])
    assert late["status"] == "overdue" and late["never_published"]
    assert "已逾期" in _row(html, "payees") and f"逾期 {-late['days_left']} 天" in _row(html, "payees")
    assert "尚未发布过" in _row(html, "payees")
    due = dataset_timeliness(runtime=runtime, policy=policy, dataset_id=ids["budget"])
    assert due["status"] == "on-time" and f"下次应于 {due['due']} 前更新" in _row(html, "budget")
    for identifier in ids:  # the score the public sees on the dataset's page
        score = dataset_quality(runtime=runtime, policy=policy, identifier=identifier)
        assert f"{score['score']} 分（满分 100）" in _row(html, identifier)
    published = dataset_quality(runtime=runtime, policy=policy, identifier="budget")["score"]
    assert published > dataset_quality(runtime=runtime, policy=policy, identifier="payees")["score"]
    english = client_of(app, "finpub").get("/console/datasets?lang=en").get_data(as_text=True)
    assert "Overdue" in _row(english, "payees") and f"{published} of 100" in _row(english, "budget")
