"""One state-transition function (services.publication.move_version): every legal move is recorded, every
illegal one refused, and nothing else changes a version's state."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import opendata
from opendata.core import lifecycle
from opendata.core.errors import ConflictError
from opendata.services.publication import move_version
from opendata.store.db import transaction
from opendata.store.models import Version, VersionEvent
from tests.api.conftest import DATASETS
from tests.builders import ROWS_SCHEMA, generate_rows, ingest_rows, make_catalog


@pytest.fixture
def catalog(runtime, tmp_path):
    make_catalog(runtime, tmp_path, datasets=[DATASETS[0]], schemas={"rows.json": ROWS_SCHEMA})


def test_an_illegal_move_is_refused_and_leaves_no_event(runtime, tmp_path, catalog):
    outcome = ingest_rows(runtime, "budget", generate_rows(5))
    with pytest.raises(ConflictError, match="cannot become published"), transaction(runtime.sessions) as session:
        version = session.get(Version, outcome.version_id)
        move_version(session, version, lifecycle.REJECTED, "tests", "not good")
        move_version(session, version, lifecycle.PUBLISHED, "tests")  # a rejected version stays rejected
    with runtime.sessions() as session:
        version = session.get(Version, outcome.version_id)
        assert version.state == lifecycle.AWAITING_REVIEW  # the whole unit of work rolled back
        assert [e.to_state for e in session.query(VersionEvent).filter_by(version_id=version.id)] == [
            lifecycle.RECEIVED, lifecycle.VALIDATING, lifecycle.AWAITING_REVIEW]


def test_a_legal_move_is_recorded_with_who_and_why(runtime, tmp_path, catalog):
    outcome = ingest_rows(runtime, "budget", generate_rows(5))
    with transaction(runtime.sessions) as session:
        move_version(session, session.get(Version, outcome.version_id), lifecycle.REJECTED, "reviewer", "wrong year")
    with runtime.sessions() as session:
        last = session.query(VersionEvent).filter_by(version_id=outcome.version_id).order_by(VersionEvent.id).all()[-1]
        assert (last.from_state, last.to_state, last.actor, last.note) == (
            lifecycle.AWAITING_REVIEW, lifecycle.REJECTED, "reviewer", "wrong year")


def test_no_service_sets_a_version_state_but_the_transition_function():
    root = Path(opendata.__file__).parent
    setters = []
    for path in (root / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Assign) and any(
                    isinstance(t, ast.Attribute) and t.attr == "state" and ast.unparse(t.value) == "version"
                    for t in node.targets):
                setters.append(f"{path.name}:{node.lineno}")
    assert len(setters) == 1 and setters[0].startswith("publication.py:"), setters
