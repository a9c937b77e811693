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
