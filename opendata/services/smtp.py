"""Sending outbox messages by SMTP (the standard library's smtplib), as plain-text UTF-8 e-mail.

Settings: ``OPENDATA_SMTP_HOST``, ``_PORT``, ``_TLS`` (starttls, ssl or none), ``_USERNAME``,
``_PASSWORD`` and ``_SENDER``. A 5xx answer or a refused recipient is permanent; a 4xx answer, a
refused or dropped connection and a timeout are worth retrying. Messages are text only, so no
markup an applicant typed can run in a mail reader.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr

from opendata.services.outbox import DeliveryError, Envelope

TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpTransport:
    """One SMTP connection per delivery run would be cheaper; one per message keeps failures apart."""

    host: str
    port: int
    tls: str
    sender: str
    username: str = ""
    password: str = ""

    @classmethod
    def from_config(cls, config) -> SmtpTransport | None:
        """The transport of the configuration, or None when no SMTP host is set."""
        if not config.SMTP_HOST:
            return None
        return cls(host=config.SMTP_HOST, port=config.SMTP_PORT, tls=config.SMTP_TLS, sender=config.SMTP_SENDER,
                   username=config.SMTP_USERNAME, password=config.SMTP_PASSWORD)

    def send(self, envelope: Envelope) -> None:
        """Send one message; DeliveryError (permanent or not) when the server does not take it."""
        message = self._message(envelope)
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _text in exc.recipients.values()]
            raise DeliveryError(f"recipient refused: {exc.recipients}", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPResponseException as exc:
            text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise DeliveryError(f"SMTP {exc.smtp_code}: {text}", permanent=exc.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError) as exc:  # connection refused or dropped, timeouts, TLS
            raise DeliveryError(f"{type(exc).__name__}: {exc}", permanent=False) from None
        if refused:
            raise DeliveryError(f"recipient refused: {refused}", permanent=True)

    def _connect(self) -> smtplib.SMTP:
        if self.tls == "ssl":
            return smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_SECONDS,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_SECONDS)
        if self.tls == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except Exception:
                smtp.close()
                raise
        return smtp

    def _message(self, envelope: Envelope) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.sender
        _name, address = parseaddr(envelope.recipient)
        if envelope.recipient_name:
            message["To"] = Address(display_name=_one_line(envelope.recipient_name), addr_spec=address)
        else:
            message["To"] = address
        message["Subject"] = _one_line(envelope.subject)
        message["Date"] = formatdate(localtime=False)
        message["Message-ID"] = envelope.message_id
        message["Auto-Submitted"] = "auto-generated"  # RFC 3834: vacation responders stay quiet
        message.set_content(envelope.body, charset="utf-8")
        return message


def _one_line(text: str) -> str:
    # header injection: a name or subject never carries a line break into the headers
    return " ".join(text.split())[:300]
