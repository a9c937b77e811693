"""The versions a row query may serve are kept in the commit cache, so a repeated query asks the
database nothing but the cache's check; any commit, from another replica too, makes the next query
see the change (a withdrawal hides the data at once, a new publication is served at once)."""

from __future__ import annotations

import random

import pytest

from opendata.config import load_config
from opendata.core.errors import NotFoundError
from opendata.services.access import ANONYMOUS
from opendata.services.publication import withdraw_version
from opendata.services.rows import query_rows
from opendata.services.runtime import Runtime
from opendata.store.db import transaction
from tests.accounts_fixtures import seed_accounts
from tests.builders import publish_rows


def _rows(n: int, seed: int) -> list[dict]:
    rnd = random.Random(seed)
    return [{"id": i, "name": f"项目{i}", "amount": round(rnd.uniform(0, 1000), 2)} for i in range(1, n + 1)]


@pytest.fixture
def replicas(runtime, tmp_path):
    """Two runtimes on one database and data folder, as two replicas have: each its own commit cache."""
    seed_accounts(runtime, tmp_path / "project")
    other = Runtime(load_config({}, HOME=str(runtime.config.home)))
    yield runtime, other
    other.close()


def _total(runtime: Runtime) -> int:
    return query_rows(runtime=runtime, identifier="budget", args={"limit": "1"}, viewer=ANONYMOUS)[1].total


def test_a_repeated_row_query_answers_from_the_cache_and_sees_another_replicas_commits(replicas):
    a, b = replicas
    first = publish_rows(b, "budget", _rows(7, 42))
    assert _total(a) == 7
    found, servable = a.read_cache.lookup(("rows.servable", "budget", ANONYMOUS))
    assert found and [v[0] for v in servable] == [first.version_id]  # kept: the next query asks the cache only
    assert _total(a) == 7
    publish_rows(b, "budget", _rows(11, 43))  # a new version published by the other replica
    assert _total(a) == 11
    with transaction(b.sessions) as session:  # ... and withdrawn there: the data is no longer served here
        for version_id, _number, _prepared in a.read_cache.lookup(("rows.servable", "budget", ANONYMOUS))[1]:
            withdraw_version(session=session, version_id=version_id, actor="tests", reason="错误数据")
    with pytest.raises(NotFoundError):
        _total(a)
