"""The settings reports depend on, read once from the configuration into plain values."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from opendata.core.errors import Problem, ValidationError
from opendata.core.requests.vocab import KINDS, keys


@dataclass(frozen=True)
class ReportPolicy:
    """The offices' time zone (days and years are local days) and which kinds of request table 三 counts."""

    timezone: ZoneInfo = field(default_factory=lambda: ZoneInfo("Asia/Shanghai"))
    request_kinds: tuple[str, ...] = keys(KINDS)

    @classmethod
    def from_config(cls, config) -> ReportPolicy:
        """The policy of a configuration; a bad value names its setting."""
        try:
            zone = ZoneInfo(config.REQUESTS_TIMEZONE)
        except (ZoneInfoNotFoundError, ValueError):
            raise _invalid("OPENDATA_REQUESTS_TIMEZONE", f"unknown time zone {config.REQUESTS_TIMEZONE!r}") from None
        kinds = tuple(k.strip() for k in str(config.REPORTS_REQUEST_KINDS).split(",") if k.strip())
        unknown = [k for k in kinds if k not in keys(KINDS)]
        if unknown or not kinds:
            raise _invalid("OPENDATA_REPORTS_REQUEST_KINDS", f"request kinds are {', '.join(keys(KINDS))}; "
                           f"got {config.REPORTS_REQUEST_KINDS!r}")
        return cls(timezone=zone, request_kinds=kinds)

    def today(self, now: datetime | None = None) -> date:
        """Today in the offices' time zone."""
        return (now or datetime.now(UTC)).astimezone(self.timezone).date()

    def local_date(self, moment: datetime) -> date:
        """The local day of an aware moment."""
        return moment.astimezone(self.timezone).date()

    def year_bounds(self, year: int) -> tuple[datetime, datetime]:
        """The first moment of ``year`` and of the next, local midnight, as UTC instants."""
        start = datetime.combine(date(year, 1, 1), time(0), self.timezone).astimezone(UTC)
        end = datetime.combine(date(year + 1, 1, 1), time(0), self.timezone).astimezone(UTC)
        return start, end


def _invalid(setting: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-setting", message, path=setting)])
