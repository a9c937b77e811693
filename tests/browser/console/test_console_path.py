"""A department's whole path in the browser, as people do it: a clerk registers a dataset (its schema
drafted from a sample), uploads a GBK CSV with errors, reads the report, uploads the corrected file,
hashes the ID-number column, submits; a reviewer and an approver (two other people) approve; the
dataset's public page shows the data. Then: department B's clerk sees and touches none of it.

The steps run in order in one module with its own server (each test needs the state the one
before it left); a failing step stops the rest.
"""

from __future__ import annotations

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from opendata.config import load_config
from opendata.services.access import ANONYMOUS, system_viewer
from opendata.services.grants import grant_create
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.submit import submit_request
from opendata.services.runtime import Runtime
from opendata.services.tokens import token_create
from opendata.store.accounts import AccessGrant, ApiToken, RoleAssignment, User
from opendata.store.db import transaction
from opendata.store.models import Dataset, Version
from opendata.store.requests import DisclosureRequest, RequestEvent
from tests.browser.console.conftest import console_path, console_rules, docs_shot, sign_in
from tests.browser.helpers import (
    WIDTHS,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    shoot,
)

DATASET = "qc-civil-relief-2024"
TITLE = "2024年临时救助发放明细"
A_REQUEST_SUBJECT, A_TOKEN, A_GRANT = "临时救助资金发放情况", "民政局数据同步", "低保资格核查专用"
ID_NUMBERS = ["11010519491231002X", "440524188001010014"]
HEADER = ["编号", "姓名", "身份证号", "救助金额", "发放日期"]


def _id_number(rng: random.Random) -> str:
    """A valid GB 11643 ID number (region, birth date, sequence, ISO 7064 check)."""
    body = f"3301{rng.randint(1, 9):02d}{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
    body += f"{rng.randint(0, 999):03d}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
    return body + check


def _rows(rng: random.Random, n: int) -> list[list[str]]:
    surnames, given = "王李张刘陈杨赵黄周吴", "伟芳娜敏静丽强磊军洋"
    rows = []
    for i in range(1, n + 1):
        amount = f"{rng.randint(300, 3000)}.{rng.randint(0, 99):02d}"
        rows.append([f"{i:04d}", rng.choice(surnames) + rng.choice(given), _id_number(rng), amount,
                     f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"])
    return rows


def _gbk_csv(path, rows) -> None:
    text = "\r\n".join(",".join(r) for r in [HEADER, *rows]) + "\r\n"
    path.write_bytes(text.encode("gbk"))  # as Excel and WPS save CSV in China: GBK, no BOM


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("relief")
    rng = random.Random(42)
    good = _rows(rng, 40)
    broken = [list(r) for r in good]
    # not a number; a currency sign the field's cleaning would take; not a date
    broken[4][3], broken[9][3], broken[14][4] = "一千二", "800元", "2024-13-40"
    paths = {name: folder / f"{name}.csv" for name in ("sample", "broken", "fixed")}
    _gbk_csv(paths["sample"], good[:10])
    _gbk_csv(paths["broken"], broken)
    _gbk_csv(paths["fixed"], good)
    return paths


def _upload(page, base: str, path) -> int:
    """Upload a file on the dataset's upload page; the new version's number once it is checked."""
    page.goto(f"{base}/console/datasets/{DATASET}/upload")
    page.locator("#file").set_input_files(str(path))
    page.get_by_role("button", name="上传", exact=True).click()
    link = page.locator("#result a")
    link.wait_for(timeout=120_000)
    return int(re.search(r"/versions/(\d+)$", link.get_attribute("href")).group(1))


def test_the_clerk_drafts_a_schema_from_a_sample_and_registers_the_dataset(console_server, signed_in, files,
                                                                            screenshots):
    page = signed_in("clerk")
    base = console_server.base
    page.goto(f"{base}/console/schemas/new")
    page.get_by_label("样例数据文件").set_input_files(str(files["sample"]))
    with page.expect_navigation():
        page.get_by_role("button", name="生成表结构草稿").click()
    assert page.get_by_role("heading", name="检查草稿").is_visible()
    assert page.get_by_label("第 3 个字段的类型").input_value() == "string"  # ID numbers stay text
    assert page.get_by_label("第 4 个字段的类型").input_value() == "number"
    draft = page.locator("form", has=page.locator("input[name=which][value=draft]"))
    draft.get_by_label("表结构名称").fill("qc-relief.json")
    draft.get_by_label("第 1 个字段为必填").check()
    draft.get_by_label("主键").fill("编号")
    assert_no_axe_violations(page)
    draft.get_by_role("button", name="登记表结构").click()
    page.wait_for_url(re.compile(r"/console/datasets/new\?schema=qc-relief.json"))
    page.get_by_label("标识").fill(DATASET)
    page.get_by_label("名称（中文）").fill("2024年临时救助发放明细")
    page.get_by_label("主题").select_option("social-assistance")
    page.get_by_label("更新频率").select_option("monthly")
    page.get_by_label("开放属性").select_option("unconditional")
    assert page.get_by_label("表结构").input_value() == "qc-relief.json"
    assert_no_axe_violations(page)
    docs_shot(page, "console-register", screenshots)
    page.get_by_role("button", name="登记数据集").click()
    page.wait_for_url(f"{base}/console/datasets/{DATASET}")
    assert page.get_by_role("heading", level=1).inner_text() == "2024年临时救助发放明细"


def test_the_clerk_uploads_a_gbk_csv_with_errors_and_reads_the_report(console_server, signed_in, files, screenshots):
    page = signed_in("clerk")
    number = _upload(page, console_server.base, files["broken"])
    assert "错误" in page.locator("#status").inner_text()
    docs_shot(page, "console-upload", screenshots)
    page.locator("#result a").click()
    page.wait_for_url(re.compile(rf"/versions/{number}$"))
    groups = page.locator("table.groups tbody tr")
    text = " ".join(groups.all_inner_texts())
    assert "类型错误" in text and "D (4)" in text and "E (5)" in text
    assert "x-normalize" in text and "货币符号" in text  # the 元 cell's fix is the field's cleaning
    bad = page.locator("td.bad")
    assert bad.count() == 3
    row_of = {c.inner_text().split()[-1]: c.locator("xpath=..").locator("th").inner_text() for c in bad.all()}
    assert row_of == {"一千二": "6", "800元": "11", "2024-13-40": "16"}  # file rows: the header is row 1
    assert_no_axe_violations(page)
    docs_shot(page, "console-report", screenshots)
    with page.expect_download() as csv_download:
        page.get_by_role("link", name="错误清单（CSV，可用表格软件打开）").click()
    text = csv_download.value.path().read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("rowNumber,fieldNumber,column") and "一千二" in text
    with page.expect_download() as json_download:
        page.get_by_role("link", name="完整报告（JSON）").click()
    assert '"valid": false' in json_download.value.path().read_text(encoding="utf-8")


def test_the_corrected_file_is_valid_and_its_id_numbers_are_hashed(console_server, signed_in, files, screenshots):
    page = signed_in("clerk")
    number = _upload(page, console_server.base, files["fixed"])
    assert "没有错误" in page.locator("#status").inner_text()
    page.goto(f"{console_server.base}/console/datasets/{DATASET}/versions/{number}/findings")
    findings = page.locator("section.finding")
    assert not re.search(r"\d{17}[\dX]", " ".join(findings.all_inner_texts()))  # samples are masked
    assert_no_axe_violations(page)
    docs_shot(page, "console-findings", screenshots)
    section = findings.filter(has=page.get_by_role("heading", name=re.compile("^“身份证号”")))
    section.get_by_role("radio", name=re.compile("^哈希")).check()
    with page.expect_navigation():
        section.get_by_role("button", name=re.compile("处理")).click()
    while page.locator("section.finding").count():  # any other finding (the names): keep the surname only
        other = page.locator("section.finding").first
        other.get_by_role("radio", name=re.compile("^遮盖")).check()
        other.get_by_label("保留开头字符数").fill("1")
        other.get_by_label("保留末尾字符数").fill("0")
        with page.expect_navigation():
            other.get_by_role("button", name=re.compile("处理")).click()
    resolved = page.locator("table").last.inner_text()
    assert re.search(r"身份证号\s.*mask \(hash\)", resolved)


def test_the_clerk_submits_and_two_other_people_approve(console_server, signed_in, screenshots):
    base = console_server.base
    clerk = signed_in("clerk")
    clerk.goto(f"{base}/console/review")
    clerk.get_by_role("link", name="2024年临时救助发放明细").click()
    clerk.wait_for_url(re.compile(rf"/console/review/{DATASET}/\d+$"))
    with clerk.expect_navigation():
        clerk.get_by_role("button", name=re.compile("submit")).click()
    assert "职责分离" in clerk.content()  # the clerk took a step: the next is someone else's
    assert clerk.get_by_role("button", name=re.compile("review")).count() == 0
    reviewer = signed_in("reviewer1")
    reviewer.goto(f"{base}/console/review")
    reviewer.get_by_role("link", name="2024年临时救助发放明细").click()
    reviewer.wait_for_url(re.compile(rf"/console/review/{DATASET}/\d+$"))
    assert_no_axe_violations(reviewer)
    docs_shot(reviewer, "console-review", screenshots)
    reviewer.get_by_label("意见").fill("数据完整，身份证号已哈希。")
    with reviewer.expect_navigation():
        reviewer.get_by_role("button", name=re.compile("review")).click()
    assert reviewer.get_by_role("button", name=re.compile("approve")).count() == 0  # separation of duties
    approver = signed_in("approver1")
    approver.goto(f"{base}/console/review")
    approver.get_by_role("link", name="2024年临时救助发放明细").click()
    approver.wait_for_url(re.compile(rf"/console/review/{DATASET}/\d+$"))
    with approver.expect_navigation():
        approver.get_by_role("button", name=re.compile("approve")).click()
    assert "已发布" in approver.content()


def test_the_public_page_shows_the_data_with_the_id_numbers_hashed(console_server, new_page, files):
    # the file's own ID numbers, not any run of 18 digits: a salted hash's hex may hold one by chance
    id_numbers = [line.split(",")[2] for line in files["fixed"].read_bytes().decode("gbk").splitlines()[1:]]
    page = new_page()
    page.goto(f"{console_server.base}/datasets/{DATASET}")
    page.wait_for_load_state()
    html = page.content()
    assert "2024年临时救助发放明细" in html and "0001" in html  # the preview shows the rows
    assert len(id_numbers) == 40 and not [n for n in id_numbers if n in html]
    status, body = console_server.get(f"/api/v1/datasets/{DATASET}/download.csv")
    text = body.decode("utf-8-sig")
    assert status == 200 and text.count("\n") >= 40
    published = [line.split(",")[2] for line in text.splitlines()[1:]]
    assert len(published) == 40 and not set(published) & set(id_numbers)
    assert all(re.fullmatch(r"[0-9a-f]{64}", value) for value in published)  # each one hashed


def _runtime(server) -> Runtime:
    return Runtime(load_config({}, HOME=server.env["OPENDATA_HOME"]))


@pytest.fixture(scope="module")
def department_a(console_server):
    """Department A's things besides its dataset: a disclosure request to it, its clerk's API token, and an
    access grant to one of its conditional datasets (made through the services, on the server's home)."""
    runtime = _runtime(console_server)
    operator = system_viewer("test-setup")
    try:
        code = submit_request(runtime=runtime, policy=RequestPolicy.from_config(runtime.config), viewer=ANONYMOUS,
                              form={"organization": "qc-civil", "subject": A_REQUEST_SUBJECT,
                                    "description": "请提供2024年临时救助资金的发放汇总。", "delivery_medium": "electronic",
                                    "delivery_channel": "online", "applicant_type": "natural-person",
                                    "applicant_name": "李明", "id_type": "resident-id",
                                    "id_number": "11010519491231002X", "email": "li.ming@example.cn"}).code
        with transaction(runtime.sessions) as session:
            token = token_create(session=session, actor=operator, username="clerk", name=A_TOKEN).token
            grant_create(session=session, actor=operator, dataset="qc-social-assistance", purpose=A_GRANT,
                         expires_at=datetime.now(UTC) + timedelta(days=30), username="approver1")
            session.flush()
            token_id = token.id
    finally:
        runtime.close()
    return {"identifier": DATASET, "number": 2, "code": code, "token_id": token_id, "username": "clerk"}


def _department_a_state(server) -> dict:
    """Everything of department A a page could change: the dataset, its versions, the request, the clerk."""
    runtime = _runtime(server)
    try:
        with runtime.sessions() as s:
            ds = s.scalar(select(Dataset).where(Dataset.identifier == DATASET))
            clerk = s.scalar(select(User).where(User.username == "clerk"))
            return {
                "dataset": (ds.title, ds.description, ds.keywords, ds.disclosure, ds.state, ds.modified_at),
                "versions": [(v.number, v.state) for v in s.scalars(select(Version).where(Version.dataset_id == ds.id))],
                "requests": [(r.state, r.handler_id, r.extension_days, r.outcome) for r in s.scalars(
                    select(DisclosureRequest).where(DisclosureRequest.subject == A_REQUEST_SUBJECT))],
                "events": len(list(s.scalars(select(RequestEvent.id)))),
                "clerk": (clerk.active, clerk.password_hash, clerk.modified_at, sorted(
                    (r.role, r.organization_id) for r in s.scalars(select(RoleAssignment).where(
                        RoleAssignment.user_id == clerk.id)))),
                "tokens": [t.revoked_at for t in s.scalars(select(ApiToken).where(ApiToken.name == A_TOKEN))],
                "grants": [(g.purpose, g.revoked_at) for g in s.scalars(select(AccessGrant))],
                "datasets": len(list(s.scalars(select(Dataset.id)))),
            }
    finally:
        runtime.close()


# What department A's own people would send on each console form that acts on something of theirs: the
# refusal must come from who is asking, not from a form that does not validate.
A_FORMS = {
    "console.edit": {"title": "B was here", "code": "x", "publisher": "qc-health", "theme": "health",
                     "license": "CC-BY-4.0", "frequency": "monthly", "schema": "qc-relief.json"},
    "console.findings": {"which": "0", "finding0-field": "身份证号", "finding0-kind": "id-number",
                         "finding0-action": "drop", "finding0-reason": "B"},
    "console.review_version": {"which": "reject", "reject-reason": "B was here"},
    "console.request_page": {"which": "note", "note-text": "B was here"},
    "console.admin_set_active": {"active": "0"},
    "console.admin_password": {"password": "B was here, B was here", "confirm": "B was here, B was here"},
    "console.admin_users": {"which": "role", "role-username": "clerk", "role-role": "reviewer",
                            "role-organization": "qc-civil", "role-grant": "y"},
    "console.register": {"identifier": "qc-civil-by-b", "code": "002547958/09999", "title": "B 在甲部门名下登记",
                         "publisher": "qc-civil", "theme": "social-assistance", "license": "CC-BY-4.0",
                         "disclosure": "unconditional", "frequency": "monthly", "schema": "qc-relief.json"},
}
OWN_ACCOUNT = {  # forms that act only on the signed-in person's own account (checked in test_console_account)
    "console.sign_in", "console.sign_out", "console.password", "console.tokens",
    "console.new_schema",  # a Table Schema belongs to no department until a dataset uses it
}


def test_department_b_sees_and_touches_nothing_of_department_a(console_server, signed_in, department_a):
    page = signed_in("clerkb")
    base = console_server.base
    before = _department_a_state(console_server)
    # not "qc-social-assistance": Table Schemas belong to no department, and that one's name may show
    markers = (DATASET, TITLE, A_REQUEST_SUBJECT, A_TOKEN, A_GRANT, "/console/datasets/qc-social-assistance",
               f"/console/requests/{department_a['code']}")
    csrf = None
    checked = []
    for rule in console_rules(Path(console_server.env["OPENDATA_HOME"])):
        path = console_path(rule, department_a)
        if "GET" in rule.methods:
            answer = page.goto(base + path)
            page.wait_for_load_state()
            if rule.arguments:
                assert answer.status in (403, 404), f"GET {path}: {answer.status}"
            elif rule.endpoint.startswith("console.admin_"):
                assert answer.status == 403, f"GET {path}: {answer.status}"  # administrators' pages
            else:
                assert answer.ok, f"GET {path}: {answer.status}"
                html = page.content()
                assert not [m for m in markers if m in html], f"GET {path} shows department A's {markers}"
                assert 'value="qc-civil"' not in html, f"GET {path} offers department A as publisher"
            csrf = page.locator("input[name=csrf_token]").first.get_attribute("value") if csrf is None and \
                page.locator("input[name=csrf_token]").count() else csrf
        if "POST" in rule.methods and rule.endpoint not in OWN_ACCOUNT:
            answer = page.request.post(base + path, form={**A_FORMS.get(rule.endpoint, {}), "csrf_token": csrf},
                                       max_redirects=0)
            assert answer.status in (403, 404, 422), f"POST {path}: {answer.status}"
            assert answer.status != 422 or not rule.arguments, f"POST {path}: refused by the form, not by who asks"
        checked.append(rule.endpoint)
    assert {"console.report", "console.findings", "console.request_page", "console.revoke_token"} <= set(checked)
    assert _department_a_state(console_server) == before
    tus = page.request.post(f"{base}/api/v1/datasets/{DATASET}/uploads/tus/",
                            headers={"Tus-Resumable": "1.0.0", "Upload-Length": "10", "X-CSRFToken": csrf})
    assert tus.status in (403, 404)


DOWNLOADS = {"console.report_json", "console.report_csv_file"}  # files, not pages


@pytest.mark.parametrize("width", WIDTHS)
def test_every_console_page_is_accessible(console_server, signed_in, new_page, department_a, screenshots, width):
    base = console_server.base
    pages = {"clerk": signed_in("clerk", width), "admin": signed_in("admin", width), "nobody": new_page(width)}
    visited = []
    for rule in console_rules(Path(console_server.env["OPENDATA_HOME"])):
        if "GET" not in rule.methods or rule.endpoint in DOWNLOADS:
            continue
        who = "nobody" if rule.endpoint == "console.sign_in" else \
            "admin" if rule.endpoint.startswith("console.admin_") else "clerk"
        number = 1 if rule.endpoint == "console.report" else 2  # the report with errors; the version with findings
        path = console_path(rule, {**department_a, "number": number})
        page = pages[who]
        answer = page.goto(base + path)
        page.wait_for_load_state()
        assert answer.ok, f"{who} GET {path}: {answer.status}"
        assert_no_axe_violations(page)
        assert_no_horizontal_scroll(page)
        shoot(page, "console" + re.sub(r"[^a-z0-9]+", "-", path.removeprefix("/console")).rstrip("-"), screenshots)
        visited.append(rule.endpoint)
    assert {"console.datasets", "console.request_page", "console.admin_password", "console.sign_in"} <= set(visited)
    assert sign_in  # the helper every test above signs in with
