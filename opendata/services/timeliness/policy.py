"""The settings timeliness depends on, read once from the configuration into plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendata.core.errors import Problem, ValidationError

MAX_WITHIN = 366


@dataclass(frozen=True)
class TimelinessPolicy:
    """The offices' time zone (days are local days) and how many days ahead "due soon" and notices look."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    notice_days: int = 7

    @classmethod
    def from_config(cls, config) -> TimelinessPolicy:
        """The policy of a configuration; a bad value names its setting."""
        try:
            zone = ZoneInfo(config.REQUESTS_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid("OPENDATA_REQUESTS_TIMEZONE", f"unknown time zone {config.REQUESTS_TIMEZONE!r}") from None
        days = config.TIMELINESS_NOTICE_DAYS
        if not 0 <= days <= MAX_WITHIN:
            raise _invalid("OPENDATA_TIMELINESS_NOTICE_DAYS", f"OPENDATA_TIMELINESS_NOTICE_DAYS must be 0 to "
                           f"{MAX_WITHIN}, not {days}")
        return cls(timezone=zone, notice_days=days)

    def today(self, now: datetime | None = None) -> date:
        """Today in the offices' time zone."""
        return (now or datetime.now(UTC)).astimezone(self.timezone).date()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self.timezone).date()


def timeliness_policy(runtime) -> TimelinessPolicy:
    """The runtime's policy, read from its configuration once (a runtime part)."""
    return runtime.part("timeliness.policy", lambda: TimelinessPolicy.from_config(runtime.config))


def _invalid(setting: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-setting", message, path=setting)])
