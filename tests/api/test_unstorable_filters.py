"""Filters and cursors no stored value can match answer the same on SQLite and PostgreSQL, never 500.

PostgreSQL refuses a NUL (U+0000) in any text parameter and a number beyond a 32-bit column's range
in a comparison with it; SQLite compared them and found nothing. A filter holding a character no
stored text may hold is a 422 naming the parameter on both; a sequence cursor past every entry is
an empty page on both.
"""

from __future__ import annotations

import pytest

from tests.accounts_fixtures import ERROR_KEYS, bearer, make_token, seed_accounts
from tests.conftest import running_app

INT64_MAX = 2**63 - 1


@pytest.fixture
def client(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    with running_app(runtime.config) as app:
        yield app.test_client()


@pytest.fixture
def admin(runtime):
    return bearer(make_token(runtime, "admin", scopes=["read", "publish", "review", "admin"]))


@pytest.mark.parametrize("path,parameter", [
    ("/api/v1/jobs?dataset=bud%00get", "dataset"),
    ("/api/v1/jobs?before=0%00x", "before"),
    ("/api/v1/review/disclosure-changes?state=superseded&dataset=%00subsidies", "dataset"),
    ("/api/v1/audit?actor=ad%00min", "actor"),
    ("/api/v1/audit?target_id=%00&format=csv", "target_id"),
])
def test_a_filter_holding_a_nul_is_a_422_naming_the_parameter(client, admin, path, parameter):
    r = client.get(path, headers=admin)
    assert r.status_code == 422, (path, r.status_code, r.get_data(as_text=True)[:300])
    assert set(r.json) == ERROR_KEYS
    assert [e["path"] for e in r.json["errors"]] == [parameter]
    assert "U+0000" in r.json["errors"][0]["message"]


@pytest.mark.parametrize("after_seq", [2**31, INT64_MAX - 1, INT64_MAX])
def test_an_audit_cursor_past_every_entry_is_an_empty_page(client, admin, after_seq):
    assert client.get("/api/v1/audit?limit=1", headers=admin).json["items"], "the seeded site has audit entries"
    r = client.get(f"/api/v1/audit?after_seq={after_seq}", headers=admin)
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.json["items"] == [] and r.json["next_after_seq"] is None
