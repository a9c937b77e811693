"""Two years of disclosure requests (2024, 2025) made through the request services, for the report tests
(services, API, CLI and pages: their conftest files import the fixtures from here).

Every request is submitted, corrected, swept and decided by the real use cases at the given local
times (Asia/Shanghai, 10:00 on working days unless said), so the report counts exactly what the
requests subsystem stored. The expected tables are counted by hand in tests/services/reports/test_report_table_three.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from opendata.config import load_config
from opendata.services.access import ANONYMOUS, system_viewer
from opendata.services.reports.policy import ReportPolicy
from opendata.services.requests.decision import decide_request
from opendata.services.requests.handling import receive_correction, request_correction
from opendata.services.requests.policy import RequestPolicy
from opendata.services.requests.submit import submit_request
from opendata.services.requests.sweep import sweep_requests
from opendata.services.runtime import Runtime
from tests.accounts_fixtures import seed_accounts
from tests.services.requests.conftest import ID_CARD, staff

SHANGHAI = ZoneInfo("Asia/Shanghai")
ADMIN = system_viewer("test-admin")
LAW = "《中华人民共和国政府信息公开条例》第十五条"


def local(text: str) -> datetime:
    """A Shanghai wall-clock time ('2024-03-04 10:00') as an aware UTC moment."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _form(label: str, applicant_type: str, organization: str) -> dict:
    person = applicant_type == "natural-person"
    return {"organization": organization, "subject": f"申请事项 {label}", "description": f"请公开相关信息（{label}）。",
            "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": applicant_type,
            "applicant_name": "李明" if person else f"申请单位{label}", "id_type": "resident-id" if person else "other",
            "id_number": ID_CARD if person else f"ORG-{label}", "email": f"{label.lower()}@example.cn"}


class Requests:
    """Makes requests happen at given times through the services."""

    def __init__(self, runtime, policy: RequestPolicy):
        self.runtime, self.policy = runtime, policy
        self.clerk = {"finance": staff(runtime, "finclerk"), "city": staff(runtime, "cityclerk")}

    def submit(self, label: str, applicant_type: str, at: str, organization: str = "finance") -> str:
        return submit_request(runtime=self.runtime, policy=self.policy, viewer=ANONYMOUS,
                              form=_form(label, applicant_type, organization), now=local(at)).code

    def decide(self, code: str, outcome: str, at: str, organization: str = "finance") -> None:
        withholds = outcome == "partial" or outcome.startswith("withheld-")
        decide_request(runtime=self.runtime, policy=self.policy, viewer=self.clerk[organization], code=code,
                       outcome=outcome, reply="经审查，答复如下。", legal_basis=LAW if withholds else None, now=local(at))

    def ask_correction(self, code: str, at: str) -> None:
        request_correction(runtime=self.runtime, policy=self.policy, viewer=self.clerk["finance"], code=code,
                           reason="请明确所需信息的名称。", now=local(at))

    def correction_arrives(self, code: str, at: str) -> None:
        receive_correction(runtime=self.runtime, policy=self.policy, viewer=self.clerk["finance"], code=code,
                           description="所需信息为2024年度预算执行情况。", received_at=local(at), now=local(at))

    def sweep(self, at: str) -> None:
        sweep_requests(runtime=self.runtime, policy=self.policy, now=local(at))


@pytest.fixture
def report_policy() -> ReportPolicy:
    return ReportPolicy()


@pytest.fixture
def seeded(runtime, tmp_path):
    """The basic catalogue (city government > finance bureau) with its staff."""
    seed_accounts(runtime, tmp_path / "project")
    return runtime


@pytest.fixture(scope="session")
def two_years_database(tmp_path_factory, migrate_home) -> Path:
    """A home holding the two years of requests, made once per test run (it takes seconds)."""
    home = migrate_home(tmp_path_factory.mktemp("two-years") / "home")
    runtime = Runtime(load_config({}, HOME=str(home)))
    try:
        seed_accounts(runtime, home.parent / "project")
        _make_two_years(runtime)
    finally:
        runtime.close()
    return home


@pytest.fixture
def two_years(runtime, two_years_database, copy_home_database):
    """A fresh copy of the two years of requests in this test's OPENDATA_HOME (on either database)."""
    runtime.engine.dispose()
    copy_home_database(two_years_database, runtime.config.home)
    return runtime


def _make_two_years(runtime) -> None:
    """The requests of 2024 and 2025 described in test_report_table_three.py, made through the services."""
    seeded = runtime
    r = Requests(seeded, RequestPolicy(secret=b"test-secret", portal_url="http://portal.test"))
    a1 = r.submit("A1", "natural-person", "2024-03-04 10:00")
    r.decide(a1, "disclosed", "2024-03-20 15:00")
    a2 = r.submit("A2", "natural-person", "2024-05-06 10:00")
    r.decide(a2, "partial", "2024-05-20 15:00")
    a3 = r.submit("A3", "commercial-enterprise", "2024-06-03 10:00")
    r.decide(a3, "withheld-third-party", "2024-06-25 15:00")
    a4 = r.submit("A4", "research-institution", "2024-09-02 10:00")
    r.decide(a4, "unavailable-not-held", "2024-09-10 15:00")
    a5 = r.submit("A5", "natural-person", "2024-12-16 10:00")  # decided in January: carried over
    r.decide(a5, "disclosed", "2025-01-08 15:00")
    r.submit("A6", "legal-services", "2024-12-20 10:00")  # never decided: carried over twice
    a7 = r.submit("A7", "public-interest-organization", "2024-12-23 10:00")
    r.ask_correction(a7, "2024-12-25 10:00")
    r.correction_arrives(a7, "2025-01-06 10:00")  # the clock restarts in 2025; the request arrived in 2024
    r.decide(a7, "not-processed-repeat", "2025-01-20 15:00")
    a8 = r.submit("A8", "natural-person", "2024-11-04 10:00")
    r.ask_correction(a8, "2024-11-06 10:00")
    r.sweep("2024-11-29 10:00")  # no correction in 15 working days: 六.1, set by the clock
    a9 = r.submit("A9", "other-organization", "2024-07-01 10:00")
    r.decide(a9, "not-processed-petition", "2024-07-15 15:00")

    b1 = r.submit("B1", "natural-person", "2025-02-10 10:00")
    r.decide(b1, "disclosed", "2025-02-20 15:00")
    b2 = r.submit("B2", "commercial-enterprise", "2025-03-03 10:00")
    r.decide(b2, "withheld-state-secret", "2025-03-10 15:00")
    b3 = r.submit("B3", "commercial-enterprise", "2025-04-07 10:00")
    r.decide(b3, "other", "2025-04-30 15:00")
    b4 = r.submit("B4", "natural-person", "2025-12-22 10:00")
    r.decide(b4, "disclosed", "2026-01-05 15:00")
    b5 = r.submit("B5", "research-institution", "2025-06-09 10:00")
    r.decide(b5, "unavailable-needs-creation", "2025-06-16 15:00")
    b6 = r.submit("B6", "natural-person", "2025-12-29 10:00")
    r.decide(b6, "disclosed", "2025-12-31 23:30")  # 15:30 UTC: still 2025 in Shanghai
    b7 = r.submit("B7", "natural-person", "2025-12-30 10:00")
    r.decide(b7, "disclosed", "2026-01-01 00:30")  # 2025-12-31 16:30 UTC, but 2026 in Shanghai
    r.submit("B8", "natural-person", "2025-12-31 18:00")  # after office hours: received in 2026
    c1 = r.submit("C1", "commercial-enterprise", "2025-05-12 10:00", organization="city")
    r.decide(c1, "disclosed", "2025-05-20 15:00", organization="city")
