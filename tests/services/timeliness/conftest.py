"""A catalogue whose datasets were published at chosen days, for the timeliness tests (today: 2026-03-01)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from opendata.services.access import system_viewer
from opendata.services.accounts import role_grant, user_create
from opendata.services.publication import withdraw_version
from opendata.store.db import transaction
from tests.builders import generate_rows, make_catalog, publish_rows

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
# identifier: (organisation, frequency, disclosure, local publication day or None)
DATASETS = {
    "m-ok": ("finance", "monthly", "unconditional", "2026-02-20"),
    "m-soon": ("finance", "monthly", "unconditional", "2026-01-30"),
    "w-late": ("finance", "weekly", "conditional", "2026-02-10"),
    "a-never": ("finance", "annual", "unconditional", None),
    "irr": ("finance", "irregular", "unconditional", "2020-05-01"),
    "q-env": ("env", "quarterly", "unconditional", "2026-01-15"),
    "d-env": ("env", "daily", "unconditional", "2026-02-28"),
    "closed-x": ("env", "weekly", "closed", None),
    "withdrawn": ("env", "monthly", "unconditional", "2026-02-25"),
}


def _moment(day: str) -> datetime:
    return datetime.fromisoformat(f"{day} 09:00").replace(tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def dated(runtime, tmp_path):
    """The catalogue, published and back-dated; a finance publisher with an e-mail address."""
    make_catalog(runtime, tmp_path, datasets=[
        {"id": ds, "title": f"数据集 {ds}", "publisher": org, "frequency": freq, "disclosure": disclosure}
        for ds, (org, freq, disclosure, _day) in DATASETS.items()])
    for ds, (_org, _freq, _disclosure, day) in DATASETS.items():
        if day is not None:
            publish_rows(runtime, ds, generate_rows(3))
    with transaction(runtime.sessions) as session:
        session.execute(text("UPDATE dataset SET created_at = :at"), {"at": _moment("2025-01-01")})
        for ds, (_org, _freq, _disclosure, day) in DATASETS.items():
            if day is not None:
                session.execute(text("UPDATE version SET published_at = :at WHERE dataset_id = "
                                     "(SELECT id FROM dataset WHERE identifier = :ds)"), {"at": _moment(day), "ds": ds})
        version_id = session.execute(text("SELECT v.id FROM version v JOIN dataset d ON d.id = v.dataset_id "
                                          "WHERE d.identifier = 'withdrawn'")).scalar_one()
        withdraw_version(session=session, version_id=version_id, actor="tests", reason="wrong file")
        operator = system_viewer("tests")
        user_create(session=session, actor=operator, username="finpub", organization="finance",
                    email="finpub@finance.example.cn")
        role_grant(session=session, actor=operator, username="finpub", role="publisher")
    return runtime
