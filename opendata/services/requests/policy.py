"""The settings request handling depends on, read once from the configuration into plain values.

Services take a :class:`RequestPolicy` instead of reading the configuration themselves, so the
same use case runs under the API, the CLI and the tests with the values they were given.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendata.core.requests.applicant import invalid
from opendata.core.workdays import OfficeHours, WorkCalendar, official_calendar, receipt_date

ATTACHMENT_TYPES = ("pdf", "ofd", "png", "jpeg", "csv", "txt", "xlsx", "docx", "zip")


@dataclass(frozen=True)
class RequestPolicy:
    """Office hours and time zone, periods and bounds, attachment limits, the lookup key."""

    secret: bytes
    office_hours: OfficeHours = field(default_factory=lambda: OfficeHours.parse("09:00-17:00"))
    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    correction_days: int = 15
    agency_pause_days: int = 15
    attachment_max_bytes: int = 20 * 1024**2
    attachment_types: frozenset[str] = frozenset(ATTACHMENT_TYPES)
    often_threshold: int = 3
    portal_url: str = "http://127.0.0.1:5000"  # where applicants follow their requests (links in messages)
    calendar: WorkCalendar = field(default_factory=official_calendar)

    @classmethod
    def from_config(cls, config) -> RequestPolicy:
        """The policy of a configuration (``opendata.config.Config``); bad values name their setting."""
        try:
            zone = ZoneInfo(config.REQUESTS_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise invalid("OPENDATA_REQUESTS_TIMEZONE", f"unknown time zone {config.REQUESTS_TIMEZONE!r}") from None
        types = frozenset(t.strip().lower() for t in config.REQUESTS_ATTACHMENT_TYPES.split(",") if t.strip())
        unknown = sorted(types - set(ATTACHMENT_TYPES))
        if unknown:
            raise invalid("OPENDATA_REQUESTS_ATTACHMENT_TYPES", f"unknown attachment types: {', '.join(unknown)}")
        for name in ("REQUESTS_CORRECTION_DAYS", "REQUESTS_AGENCY_PAUSE_DAYS", "REQUESTS_OFTEN_THRESHOLD"):
            if not 1 <= getattr(config, name) <= 60:
                raise invalid(f"OPENDATA_{name}", f"OPENDATA_{name} must be between 1 and 60")
        return cls(secret=str(config.SECRET_KEY).encode(), office_hours=OfficeHours.parse(config.REQUESTS_OFFICE_HOURS),
                   timezone=zone, correction_days=config.REQUESTS_CORRECTION_DAYS,
                   agency_pause_days=config.REQUESTS_AGENCY_PAUSE_DAYS,
                   attachment_max_bytes=config.REQUESTS_ATTACHMENT_MAX_BYTES, attachment_types=types,
                   often_threshold=config.REQUESTS_OFTEN_THRESHOLD, portal_url=config.public_base_url(""))

    def local(self, moment: datetime) -> datetime:
        """An aware moment in the offices' time zone."""
        return moment.astimezone(self.timezone)

    def today(self, now: datetime | None = None) -> date:
        """Today in the offices' time zone."""
        return self.local(now or datetime.now(UTC)).date()

    def receipt(self, received_at: datetime) -> date:
        """The day a request received at ``received_at`` counts as received (office-hours rule)."""
        return receipt_date(self.local(received_at), self.office_hours, self.calendar)

    def contact_digest(self, key: str) -> bytes:
        """A keyed digest of a normalised contact, compared in constant time by the status lookup."""
        return hmac.new(self.secret, key.encode("utf-8"), hashlib.sha256).digest()
