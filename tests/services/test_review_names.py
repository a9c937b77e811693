"""A name or address finding goes through the same review as any other: confirm a false positive, or mask."""

from __future__ import annotations

import random

import pytest

from opendata.core.errors import ConflictError
from opendata.services.review import get_review_version, resolve_finding, review_step, review_view
from opendata.store.db import transaction
from tests.builders import ingest_rows, make_catalog
from tests.review_fixtures import REVIEW_USERS, add_users, viewer_of

PEOPLE_SCHEMA = {
    "fields": [
        {"name": "id", "type": "integer", "constraints": {"required": True}},
        {"name": "variety", "type": "string", "title": "品种"},  # plant varieties that read like names
        {"name": "home", "type": "string", "title": "登记地址"},
    ],
    "primaryKey": ["id"],
}
VARIETIES = ["黄华", "金丽", "杨红", "陈玉", "林芳", "马兰", "白玉", "龙凤", "高平", "田英"]


def _rows(n: int = 40) -> list[dict]:
    rng = random.Random(42)
    return [{"id": i + 1, "variety": rng.choice(VARIETIES),
             "home": f"云溪县白鹭镇青山村{rng.randint(1, 9)}组{rng.randint(1, 80)}号"} for i in range(n)]


@pytest.fixture
def site(runtime, tmp_path):
    make_catalog(runtime, tmp_path, schemas={"people.json": PEOPLE_SCHEMA},
                 datasets=[{"id": "payees", "title": "品种登记", "schema": "people.json"}])
    add_users(runtime, REVIEW_USERS)
    return runtime


def _resolve(rt, field, kind, **kw):
    with transaction(rt.sessions) as session:
        return resolve_finding(session=session, viewer=viewer_of(rt, "finrev1"), identifier="payees", number=1,
                               field=field, kind=kind, **kw)


def _publish(rt):
    for user, step in (("finpub", "submit"), ("finrev1", "review")):
        review_step(runtime=rt, viewer=viewer_of(rt, user), identifier="payees", number=1, step=step, note=None)
    return review_step(runtime=rt, viewer=viewer_of(rt, "finrev2"), identifier="payees", number=1, step="approve",
                       note=None)


def test_a_name_false_positive_is_confirmed_and_a_home_address_masked_before_publication(site):
    rt = site
    rows = _rows()
    ingest_rows(rt, "payees", rows)
    with transaction(rt.sessions) as session:
        version = get_review_version(session, viewer_of(rt, "finrev1"), "payees", 1)
        view = review_view(session=session, viewer=viewer_of(rt, "finrev1"), version=version,
                           steps=("submit", "review", "approve"))
    kinds = {(f["fieldName"], f["kind"], f["source"]) for f in view["pii"]["findings"]}
    assert kinds == {("variety", "name", "values"), ("home", "address", "values"), ("home", "address", "label")}
    assert view["pii"]["unresolved"] == 3
    assert all(r["variety"] not in str(view) for r in rows) and all(r["home"] not in str(view) for r in rows)

    confirmed = _resolve(rt, "variety", "name", action="confirm", reason="品种名称，不是人名")
    assert confirmed == {"field": "variety", "kinds": ["name"], "unresolved": 2,
                         "resolution": confirmed["resolution"]}
    with pytest.raises(ConflictError, match="already resolved"):
        _resolve(rt, "variety", "name", action="confirm", reason="again")
    masked = _resolve(rt, "home", "address", action="mask", method="partial", keep_first=6, keep_last=0)
    assert masked["unresolved"] == 0 and masked["kinds"] == ["address"]
    assert _publish(rt)["version"]["state"] == "published"
