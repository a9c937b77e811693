"""Fixtures of the request services: the basic catalogue (city > finance), staff and applicants."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from opendata.services.accounts import role_grant, user_create, user_get, viewer_for_user
from opendata.services.requests.policy import RequestPolicy
from opendata.store.db import transaction
from tests.accounts_fixtures import OPERATOR, seed_accounts

# Friday 26 September 2025, 10:00 in Shanghai: the example (reply due Thursday 30 October)
FRIDAY_MORNING = datetime(2025, 9, 26, 2, 0, tzinfo=UTC)
ID_CARD = "11010519491231002X"
FORM = {"organization": "finance", "subject": "2024年预算执行情况", "description": "请提供2024年度部门预算执行明细。",
        "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": "natural-person",
        "applicant_name": "李明", "id_type": "resident-id", "id_number": ID_CARD, "email": "li.ming@example.cn"}


@pytest.fixture
def policy() -> RequestPolicy:
    return RequestPolicy(secret=b"test-secret", portal_url="http://portal.test")


@pytest.fixture
def seeded(runtime, tmp_path):
    """The basic catalogue with USERS (admin, cityclerk, finclerk, reviewer, alice) plus a second finance clerk."""
    seed_accounts(runtime, tmp_path / "project")
    with transaction(runtime.sessions) as session:
        user_create(session=session, actor=OPERATOR, username="finclerk2", organization="finance",
                    email="clerk2@finance.example.cn")
        role_grant(session=session, actor=OPERATOR, username="finclerk2", role="publisher")
    return runtime


def staff(runtime, username: str, scopes=None):
    """The Viewer of a user (all the scopes their roles allow unless ``scopes`` says otherwise)."""
    with runtime.sessions() as session:
        return viewer_for_user(session=session, user=user_get(session=session, username=username),
                               scopes=frozenset(scopes) if scopes else None)
