"""The timeliness board over a catalogue published at known days, and the publishers' notices.

Today is 2026-03-01 (Shanghai); due soon means within 7 days. By hand, from conftest.DATASETS:
  finance  m-ok      monthly    2026-02-20 -> due 03-24  on time
           m-soon    monthly    2026-01-30 -> due 03-03  due soon (2 days)
           w-late    weekly     2026-02-10 -> due 02-18  overdue (11 days)
           a-never   annual     never (registered 2025-01-01) -> due 2026-01-02  overdue
           irr       irregular  no schedule
  env      q-env     quarterly  2026-01-15 -> due 04-18  on time
           d-env     daily      2026-02-28 -> due 03-02  due soon (1 day)
           withdrawn monthly    its only version withdrawn: never published -> due 2025-02-02  overdue
           closed-x  closed: not on the board
"""

from __future__ import annotations

from sqlalchemy import text

from opendata.services.access import system_viewer
from opendata.services.outbox import DeliveryPolicy, outbox_deliver, outbox_list
from opendata.services.smtp import SmtpTransport
from opendata.services.timeliness.board import dataset_timeliness, timeliness_board
from opendata.services.timeliness.notices import (
    send_daily_timeliness_notices,
    send_timeliness_notices,
)
from opendata.services.timeliness.policy import TimelinessPolicy
from tests.services.timeliness.conftest import NOW
from tests.smtp_server import SmtpServer

POLICY = TimelinessPolicy()


def _board(runtime, **kw):
    return timeliness_board(runtime=runtime, policy=POLICY, now=NOW, **kw)


def test_overdue_and_due_soon_datasets_are_listed_soonest_due_first(dated):
    board = _board(dated)
    assert [(i["dataset"], i["status"], i["due"].isoformat(), i["days_left"]) for i in board["items"]] == [
        ("withdrawn", "overdue", "2025-02-02", -392), ("a-never", "overdue", "2026-01-02", -58),
        ("w-late", "overdue", "2026-02-18", -11), ("d-env", "due-soon", "2026-03-02", 1),
        ("m-soon", "due-soon", "2026-03-03", 2)]
    assert [i["never_published"] for i in board["items"]] == [True, True, False, False, False]


def test_each_organisation_and_tree_has_its_on_time_rate(dated):
    orgs = {o["organization"]: o for o in _board(dated)["organizations"]}
    finance, env, city = orgs["finance"]["own"], orgs["env"]["own"], orgs["city"]["tree"]
    assert (finance["scheduled"], finance["overdue"], finance["no_schedule"], finance["on_time_rate"]) == (4, 2, 1, 0.5)
    assert (env["scheduled"], env["overdue"], env["on_time_rate"]) == (3, 1, 0.6667)
    assert (city["datasets"], city["scheduled"], city["overdue"], city["on_time_rate"]) == (8, 7, 3, 0.5714)
    assert orgs["city"]["own"]["datasets"] == 0


def test_the_board_of_one_organisation_and_other_statuses(dated):
    board = _board(dated, organization="env", status=("on-time", "no-schedule"), within=0)
    assert [i["dataset"] for i in board["items"]] == ["d-env", "q-env"]  # d-env is not "soon" within 0 days
    assert board["summary"]["due_soon"] == 0 and board["summary"]["overdue"] == 1
    assert [o["organization"] for o in board["organizations"]] == ["env"]


def test_one_datasets_standing_for_its_page(dated):
    with dated.sessions() as session:
        ids = dict(session.execute(text("SELECT identifier, id FROM dataset")).all())
    assert dataset_timeliness(runtime=dated, policy=POLICY, dataset_id=ids["m-soon"], now=NOW)["days_left"] == 2
    assert dataset_timeliness(runtime=dated, policy=POLICY, dataset_id=ids["closed-x"], now=NOW) is None


def test_publishers_are_told_once_per_due_date_and_others_are_listed_for_staff(dated):
    report = send_timeliness_notices(runtime=dated, policy=POLICY, now=NOW)
    assert (report.due_soon, report.overdue) == (2, 3)
    again = send_timeliness_notices(runtime=dated, policy=POLICY, now=NOW)
    assert (again.due_soon, again.overdue) == (0, 0)
    with dated.sessions() as session:
        messages = {m.subject_id: m for m in outbox_list(session=session, actor=system_viewer())}
    assert messages["m-soon"].recipient == "finpub@finance.example.cn" and messages["m-soon"].state == "pending"
    assert "2026-03-03" in messages["m-soon"].body and messages["m-soon"].topic == "dataset-due-soon"
    assert messages["w-late"].topic == "dataset-overdue"
    assert messages["d-env"].recipient is None and messages["d-env"].state == "manual"
    assert "m-ok" not in messages and "closed-x" not in messages


def test_the_notices_reach_the_publisher_by_smtp(dated):
    send_timeliness_notices(runtime=dated, policy=POLICY, now=NOW)
    with SmtpServer() as smtp:
        transport = SmtpTransport(host="127.0.0.1", port=smtp.port, tls="none", sender="opendata@example.gov.cn")
        sent = outbox_deliver(sessions=dated.sessions, transport=transport, policy=DeliveryPolicy())
        assert sent.sent == 3
        subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert all(m.startswith("数据集") for m in subjects) and any("数据集 m-soon" in m for m in subjects)


def test_the_worker_queues_the_notices_once_a_day(dated):
    assert send_daily_timeliness_notices(dated, now=NOW).overdue == 3
    assert send_daily_timeliness_notices(dated, now=NOW) is None
