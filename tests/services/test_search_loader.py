"""A full rebuild of a large catalogue loads documents in a child process: the same documents."""

from __future__ import annotations

from functools import partial

import pytest

from opendata.config import Config
from opendata.services.search import _all_docs, _load_docs
from opendata.services.search_loader import docs_from_child
from tests.builders import make_catalog


def test_the_child_process_loads_the_documents_this_one_would(runtime, tmp_path):
    make_catalog(runtime, tmp_path, datasets=[
        {"id": f"d{i}", "title": f"示例数据{i}", "keywords": ["预算"] if i % 2 else ["公交"]} for i in range(7)])
    with runtime.sessions() as session:
        here = list(_all_docs(session, runtime.artifacts))
    there = list(docs_from_child(runtime.config, 3, partial(_load_docs, store=runtime.artifacts)))
    assert [d.identifier for d in there] == [f"d{i}" for i in range(7)]
    assert there == here


def test_a_child_that_cannot_read_the_database_fails_the_rebuild_with_its_error(runtime, tmp_path):
    config = Config({**runtime.config.values, "DATABASE_URL": f"sqlite:///{tmp_path / 'missing' / 'none.db'}"})
    with pytest.raises(RuntimeError, match="search document loader"):
        list(docs_from_child(config, 3, partial(_load_docs, store=runtime.artifacts)))
