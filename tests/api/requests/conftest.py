"""An app over the basic catalogue (city > finance) with staff tokens, for the /api/v1/requests tests."""

from __future__ import annotations

import pytest

from opendata.config import load_config
from opendata.services.accounts import role_grant, user_create
from opendata.store.db import transaction
from tests.accounts_fixtures import OPERATOR, bearer, make_token, seed_accounts
from tests.conftest import running_app

FORM = {"organization": "finance", "subject": "2024年预算执行情况", "description": "请提供2024年度部门预算执行明细。",
        "delivery_medium": "electronic", "delivery_channel": "online", "applicant_type": "natural-person",
        "applicant_name": "李明", "id_type": "resident-id", "id_number": "11010519491231002X",
        "email": "li.ming@example.cn"}


@pytest.fixture
def seeded_runtime(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    with transaction(runtime.sessions) as session:
        user_create(session=session, actor=OPERATOR, username="bob", email="bob@example.cn")
        role_grant(session=session, actor=OPERATOR, username="bob", role="requester")
    return runtime


@pytest.fixture
def app(seeded_runtime):
    config = load_config({}, **{**seeded_runtime.config.values, "RATE_LIMIT_ENABLED": False})
    with running_app(config) as app:
        yield app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def tokens(seeded_runtime):
    """Authorization headers: finance staff (handle), city staff (read), applicants alice and bob, admin."""
    return {"finclerk": bearer(make_token(seeded_runtime, "finclerk", scopes=["publish"])),
            "finreader": bearer(make_token(seeded_runtime, "finclerk", scopes=["read"])),
            "reviewer": bearer(make_token(seeded_runtime, "reviewer", scopes=["review"])),
            "cityclerk": bearer(make_token(seeded_runtime, "cityclerk", scopes=["publish"])),
            "alice": bearer(make_token(seeded_runtime, "alice")),
            "bob": bearer(make_token(seeded_runtime, "bob")),
            "admin": bearer(make_token(seeded_runtime, "admin", scopes=["admin"]))}
