"""The outbox delivered by SMTP to a real local server: arrives once, retries with backoff, fails for good."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from opendata.services.access import system_viewer
from opendata.services.outbox import DeliveryPolicy, outbox_deliver, outbox_enqueue, outbox_retry
from opendata.services.smtp import SmtpTransport
from opendata.store.db import transaction
from opendata.store.models import utcnow
from opendata.store.outbox import OutboxMessage
from tests.live_server import free_port
from tests.smtp_server import SmtpServer

SENDER = "信息公开 <gk@example.gov.cn>"


def _transport(port: int) -> SmtpTransport:
    return SmtpTransport(host="127.0.0.1", port=port, tls="none", sender=SENDER)


def _queue(runtime, n: int = 1, **kw) -> None:
    with transaction(runtime.sessions) as session:
        for i in range(n):
            outbox_enqueue(session=session, dedup_key=kw.get("key", f"test:{i}"), topic="request-received",
                           audience="applicant", recipient=kw.get("recipient", f"user{i}@example.cn"),
                           recipient_name="李明", subject=kw.get("subject", f"已收到您的申请 {i}"),
                           body=kw.get("body", "您好：\n已收到。"))


def _states(runtime) -> list[str]:
    with runtime.sessions() as session:
        return list(session.scalars(select(OutboxMessage.state).order_by(OutboxMessage.id)))


def test_messages_arrive_once_as_utf8_plain_text(runtime):
    _queue(runtime, 3, subject="<b>已收到</b>\r\nBcc: evil@example.com")
    with SmtpServer() as smtp:
        report = outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
        again = outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
    assert (report.sent, again.sent) == (3, 0)
    assert len(smtp.mailbox.messages) == 3
    message = smtp.mailbox.messages[0]
    assert message["Subject"] == "<b>已收到</b> Bcc: evil@example.com"  # one line: no header injection
    assert message["Bcc"] is None and message.get_content_type() == "text/plain"
    assert message.get_content().replace("\r\n", "\n").strip() == "您好：\n已收到。"
    assert message["To"].addresses[0].display_name == "李明" and message["Message-ID"].startswith("<outbox-")
    assert _states(runtime) == ["sent"] * 3


def test_a_message_is_queued_once_per_dedup_key(runtime):
    _queue(runtime, key="same")
    _queue(runtime, key="same")
    assert _states(runtime) == ["pending"]


def test_an_unreachable_server_is_retried_with_backoff_then_delivered(runtime):
    _queue(runtime)
    port = free_port()
    policy = DeliveryPolicy(max_attempts=5, retry_seconds=60)
    now = utcnow()
    report = outbox_deliver(sessions=runtime.sessions, transport=_transport(port), policy=policy, now=now)
    assert report.retried == 1
    with runtime.sessions() as session:
        m = session.scalar(select(OutboxMessage))
        assert (m.state, m.attempts) == ("pending", 1) and m.last_error
        assert m.next_attempt_at == pytest.approx(now + timedelta(seconds=60), abs=timedelta(seconds=1))
    with SmtpServer(port) as smtp:
        early = outbox_deliver(sessions=runtime.sessions, transport=_transport(port), policy=policy,
                               now=now + timedelta(seconds=30))
        late = outbox_deliver(sessions=runtime.sessions, transport=_transport(port), policy=policy,
                              now=now + timedelta(seconds=61))
    assert (early.sent, late.sent) == (0, 1) and len(smtp.mailbox.messages) == 1


def test_backoff_doubles_and_gives_up_after_the_last_attempt(runtime):
    _queue(runtime)
    policy = DeliveryPolicy(max_attempts=3, retry_seconds=10)
    assert [policy.backoff(n).total_seconds() for n in (1, 2, 3)] == [10, 20, 40]
    port, now = free_port(), utcnow()
    for step in range(3):
        outbox_deliver(sessions=runtime.sessions, transport=_transport(port), policy=policy,
                       now=now + timedelta(days=step))
    assert _states(runtime) == ["failed"]


def test_a_refused_recipient_fails_at_once(runtime):
    _queue(runtime, recipient="nobody@example.cn")
    with SmtpServer() as smtp:
        smtp.mailbox.refuse.add("nobody@example.cn")
        report = outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
    assert report.failed == 1 and smtp.mailbox.messages == []
    with runtime.sessions() as session:
        assert "550" in session.scalar(select(OutboxMessage.last_error))


def test_two_senders_at_once_send_each_message_once(runtime):
    _queue(runtime, 20)
    with SmtpServer() as smtp:
        threads = [threading.Thread(target=outbox_deliver, kwargs={
            "sessions": runtime.sessions, "transport": _transport(smtp.port)}) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    recipients = sorted(m["To"].addresses[0].addr_spec for m in smtp.mailbox.messages)
    assert recipients == sorted(f"user{i}@example.cn" for i in range(20))


def test_a_message_whose_sender_died_is_unknown_and_only_sent_again_on_purpose(runtime):
    _queue(runtime)
    with transaction(runtime.sessions) as session:  # a sender claimed it and stopped
        session.execute(update(OutboxMessage).values(state="sending", claimed_at=utcnow() - timedelta(hours=1)))
    with SmtpServer() as smtp:
        report = outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
        assert report.unknown == 1 and smtp.mailbox.messages == []
        with transaction(runtime.sessions) as session:
            outbox_retry(session=session, actor=system_viewer("ops"), message_id=1)
        outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
    assert len(smtp.mailbox.messages) == 1 and _states(runtime) == ["sent"]


def test_messages_without_an_address_are_manual_and_never_sent(runtime):
    _queue(runtime, recipient=None)
    with SmtpServer() as smtp:
        outbox_deliver(sessions=runtime.sessions, transport=_transport(smtp.port))
    assert _states(runtime) == ["manual"] and smtp.mailbox.messages == []
