"""Applicants and staff hear by e-mail: a real SMTP server receives what the notification round sends."""

from __future__ import annotations

from datetime import UTC, datetime

from opendata.config import load_config
from opendata.services.access import ANONYMOUS
from opendata.services.notifier import run_notifications_once
from opendata.services.requests.decision import decide_request
from opendata.services.requests.submit import submit_request
from opendata.services.runtime import Runtime
from tests.services.requests.conftest import FORM, ID_CARD, staff
from tests.smtp_server import SmtpServer


def test_the_acknowledgement_and_the_decision_reach_the_applicant_by_smtp(seeded, policy):
    now = datetime.now(UTC)
    code = submit_request(runtime=seeded, policy=policy, viewer=ANONYMOUS,
                          form={**FORM, "subject": "<script>alert(1)</script>"}, now=now).code
    decide_request(runtime=seeded, policy=policy, viewer=staff(seeded, "finclerk"), code=code, outcome="disclosed",
                   reply="现予公开。", now=now)
    with SmtpServer() as smtp:
        config = load_config({}, **{**seeded.config.values, "SMTP_HOST": "127.0.0.1", "SMTP_PORT": smtp.port,
                                    "SMTP_TLS": "none", "SMTP_SENDER": "gk@example.gov.cn"})
        mailer = Runtime(config)
        try:
            run_notifications_once(mailer)
            run_notifications_once(mailer)  # a second round sends nothing twice
        finally:
            mailer.close()
    subjects = sorted(m["Subject"] for m in smtp.mailbox.messages)
    assert len(subjects) == 2 and all(code[:4] in s for s in subjects)
    bodies = [m.get_content() for m in smtp.mailbox.messages]
    assert all(ID_CARD not in b for b in bodies)
    assert any("（一）予以公开" in b for b in bodies)
    assert any("<script>alert(1)</script>" in b for b in bodies)  # plain text: shown, never run
    assert all(m["To"].addresses[0].addr_spec == FORM["email"] for m in smtp.mailbox.messages)


def test_the_notification_thread_outlives_a_database_it_cannot_reach(tmp_path, caplog):
    import socket
    import time

    from opendata.services.notifier import NotificationWorker

    with socket.socket() as s:  # a port nothing listens on: the database is down (or restarting)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = load_config({}, HOME=str(tmp_path / "home"),
                         DATABASE_URL=f"postgresql+psycopg://opendata@127.0.0.1:{port}/opendata")
    runtime = Runtime(config)
    worker = NotificationWorker(runtime, interval=0.02).start()
    try:
        deadline = time.monotonic() + 30
        while "notification round failed" not in caplog.text and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(0.1)  # more rounds, each failing
        assert "notification round failed" in caplog.text
        assert worker._thread.is_alive(), "a round that cannot reach the database must not end the thread"
    finally:
        worker.stop()
        runtime.close()
    assert not worker._thread.is_alive()
