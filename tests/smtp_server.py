"""A real SMTP server for tests (aiosmtpd) on 127.0.0.1: it keeps what it receives and can refuse addresses."""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller

from tests.live_server import free_port


@dataclass
class Mailbox:
    """The aiosmtpd handler: parsed messages received, and recipients refused with 550."""

    messages: list = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd's name)
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start with ``with SmtpServer() as smtp:``; ``smtp.port`` and ``smtp.mailbox.messages``."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.mailbox = Mailbox()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()
