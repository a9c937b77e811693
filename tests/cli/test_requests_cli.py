"""`opendata requests …`: staff handle a request from the command line, from the queue to the decision."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from opendata.config import load_config
from opendata.services.access import ANONYMOUS
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.submit import submit_request
from opendata.services.runtime import Runtime

FORM = {"organization": "finance", "subject": "2024年预算执行情况", "description": "请提供明细。",
        "delivery_medium": "paper", "delivery_channel": "post", "address": "示例市人民路1号",
        "applicant_type": "natural-person", "applicant_name": "李明", "id_type": "resident-id",
        "id_number": "11010519491231002X", "phone": "13800138000"}


def _submit(home) -> str:
    rt = Runtime(load_config({"OPENDATA_HOME": str(home)}))
    try:
        policy = RequestPolicy.from_config(rt.config)
        return submit_request(runtime=rt, policy=policy, viewer=ANONYMOUS, form=dict(FORM),
                              now=datetime.now(UTC)).code
    finally:
        rt.close()


def test_staff_take_a_request_from_the_queue_to_a_decision(synced_cli, home, tmp_path):
    synced_cli("users", "create", "clerk", "--organization", "finance", "--role", "publisher")
    code = _submit(home)
    listed = synced_cli("requests", "list").output
    assert code[:4] in listed and "1 request(s)" in listed
    shown = synced_cli("requests", "show", code).output
    assert "11010519491231002X" not in shown and "1****************X" in shown
    synced_cli("requests", "assign", code, "clerk")
    mine = synced_cli("requests", "show", code, "--as", "clerk", "--json").output
    assert json.loads(mine)["id_number"] == "11010519491231002X"  # the handler's own view
    synced_cli("requests", "note", code, "先查档案", "--as", "clerk")
    synced_cli("requests", "pause", code, "--kind", "agency", "--party", "市档案馆", "--reason", "会商", "--as", "clerk")
    synced_cli("requests", "resume", code, "--as", "clerk")
    out = synced_cli("requests", "extend", code, "--days", "10", "--approver", "王局长", "--reason", "档案多",
                     "--as", "clerk").output
    assert "extended" in out
    fee = synced_cli("requests", "fees", code, "--basis", "per-page", "--units", "45", "--as", "clerk").output
    assert "¥150" in fee
    synced_cli("requests", "fees", code, "--paid", "--reference", "NO.1", "--as", "clerk")
    reply = tmp_path / "reply.txt"
    reply.write_text("经查，现予公开。", encoding="utf-8")
    attachment = tmp_path / "答复.pdf"
    attachment.write_bytes(b"%PDF-1.4\n%%EOF\n")
    decided = synced_cli("requests", "decide", code, "--outcome", "disclosed", "--reply-file", str(reply),
                         "--attach", str(attachment), "--as", "clerk").output
    assert "（一）予以公开" in decided and "reply sha256" in decided and "答复.pdf" in decided
    again = synced_cli("requests", "decide", code, "--outcome", "other", "--reply", "x", code=1)
    assert "closed" in again.stderr


def test_errors_are_one_line_and_exit_one(synced_cli, home):
    code = _submit(home)
    result = synced_cli("requests", "extend", code, "--days", "30", "--approver", "a", "--reason", "b", code=1)
    assert result.stderr.startswith("error: ") and "20" in result.stderr
    assert "is not a tracking code" in synced_cli("requests", "show", "nonsense", code=1).stderr
    assert synced_cli("requests", "correct", code, code=2).exit_code == 2  # neither --reason nor --received


def test_sweep_and_often_run_on_an_empty_queue(synced_cli):
    assert "closed without correction: 0" in synced_cli("requests", "sweep").output
    assert "0 item(s)" in synced_cli("requests", "often", "--since", "2025-01-01", "--until", "2025-12-31").output
