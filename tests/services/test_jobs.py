"""Ingest jobs: the worker-thread runner, idempotency, and failing the jobs of a process that is gone."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path

import pytest

from opendata.core import lifecycle
from opendata.core.errors import ValidationError
from opendata.services.access import system_viewer
from opendata.services.jobrunner import ThreadJobRunner, live_owners
from opendata.services.jobs import (
    Submission,
    clean_uploads,
    job_create,
    owner_is_gone,
    process_owner,
    recover_abandoned,
    uploads_dir,
)
from opendata.store.db import transaction
from opendata.store.jobs import IngestJob
from opendata.store.models import Dataset, Version, VersionEvent, utcnow
from tests.accounts_fixtures import seed_accounts

ACTOR = system_viewer("uploader")
HOST = socket.gethostname()


@pytest.fixture
def seeded(runtime, tmp_path):
    seed_accounts(runtime, tmp_path / "project")
    return runtime


def _dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def _submission(runtime, body: bytes, *, key: str | None = None) -> Submission:
    path = uploads_dir(runtime) / f"{hashlib.sha256(body).hexdigest()[:12]}-{key}.upload"
    path.write_bytes(body)
    with runtime.sessions() as session:
        ds_id = session.query(Dataset.id).filter_by(identifier="budget").scalar()
    return Submission(dataset_id=ds_id, filename="budget.csv", path=path, size=len(body),
                      sha256=hashlib.sha256(body).hexdigest(), idempotency_key=key)


def _body(n: int) -> bytes:
    return ("id,name,amount\n" + "".join(f"{i},n{i},{i}.5\n" for i in range(1, n + 1))).encode()


def test_owner_liveness_rules():
    fresh, stale = utcnow(), utcnow() - timedelta(hours=1)
    assert owner_is_gone(f"{HOST}:{_dead_pid()}", fresh, stale_after=60, live_owners=set())
    assert not owner_is_gone(f"{HOST}:{os.getppid()}", fresh, stale_after=60, live_owners=set())
    assert not owner_is_gone("elsewhere:123", fresh, stale_after=60, live_owners=set())
    assert owner_is_gone("elsewhere:123", stale, stale_after=60, live_owners=set())
    # this process's own pid without a live runner: a crashed earlier process that had the same pid
    assert owner_is_gone(process_owner(), fresh, stale_after=60, live_owners=set())
    assert not owner_is_gone(process_owner(), fresh, stale_after=60, live_owners={process_owner()})
    assert owner_is_gone(None, fresh, stale_after=60, live_owners=set())


def test_runner_runs_a_job_into_a_version_and_removes_the_upload(seeded):
    runtime = seeded
    sub = _submission(runtime, _body(1000))
    with transaction(runtime.sessions) as session:
        job, created = job_create(session=session, actor=ACTOR, submission=sub)
        job_id = job.id
    assert created
    runner = ThreadJobRunner(runtime, workers=1)
    try:
        runner.submit(job_id)
        assert process_owner() in live_owners()
        assert runner.wait_idle(60)
    finally:
        runner.shutdown()
    assert process_owner() not in live_owners()
    with runtime.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job.state == "succeeded" and job.version.number == 1 and job.progress_rows == 1000
        assert job.version.state == lifecycle.AWAITING_REVIEW and job.started_at <= job.finished_at
    assert not sub.path.exists()


def test_same_key_same_bytes_is_the_same_job_and_other_bytes_are_refused(seeded):
    runtime = seeded
    with transaction(runtime.sessions) as session:
        first, _ = job_create(session=session, actor=ACTOR, submission=_submission(runtime, _body(3), key="k"))
        again, created = job_create(session=session, actor=ACTOR, submission=_submission(runtime, _body(3), key="k"))
        assert again.id == first.id and not created
        with pytest.raises(ValidationError):
            job_create(session=session, actor=ACTOR, submission=_submission(runtime, _body(4), key="k"))


def _abandon(runtime, owner: str, *, version_state: str | None, heartbeat=None) -> tuple[int, str]:
    """A running job of ``owner`` with its version half-way (as a killed process leaves them)."""
    body = _body(10)
    sub = _submission(runtime, body, key=owner)
    with transaction(runtime.sessions) as session:
        job, _ = job_create(session=session, actor=ACTOR, submission=sub)
        job.state, job.owner, job.heartbeat_at = "running", owner, heartbeat or utcnow()
        if version_state is not None:
            v = Version(dataset_id=sub.dataset_id, number=1, state=version_state, source_filename="budget.csv",
                        source_bytes=len(body), source_sha256=sub.sha256, schema_sha256="0" * 64,
                        created_by="uploader")
            session.add(v)
        return job.id, str(sub.path)


def test_recovery_fails_jobs_and_versions_of_a_dead_process_and_removes_their_upload(seeded):
    runtime = seeded
    job_id, path = _abandon(runtime, f"{HOST}:{_dead_pid()}", version_state=lifecycle.VALIDATING)
    assert recover_abandoned(runtime=runtime, stale_after=60, live_owners=set())
    with runtime.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job.state == "failed" and job.error["code"] == "interrupted" and job.finished_at
        assert job.version.state == lifecycle.FAILED
        event = session.query(VersionEvent).filter_by(to_state=lifecycle.FAILED).one()
        assert event.from_state == lifecycle.VALIDATING and "interrupted" in event.note
    assert not os.path.exists(path)


def _run_one(runtime, sub: Submission) -> int:
    with transaction(runtime.sessions) as session:
        job, _ = job_create(session=session, actor=ACTOR, submission=sub)
        job_id = job.id
    runner = ThreadJobRunner(runtime, workers=1)
    try:
        runner.submit(job_id)
        assert runner.wait_idle(60)
    finally:
        runner.shutdown()
    return job_id


def test_identical_bytes_after_an_interrupted_ingest_are_ingested_again_as_a_new_version(seeded):
    runtime = seeded
    _abandon(runtime, f"{HOST}:{_dead_pid()}", version_state=lifecycle.VALIDATING)
    recover_abandoned(runtime=runtime, stale_after=60, live_owners=set())
    job_id = _run_one(runtime, _submission(runtime, _body(10), key="retry"))
    with runtime.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job.state == "succeeded" and job.progress_rows == 10
        assert (job.version.number, job.version.state) == (2, lifecycle.AWAITING_REVIEW)
        states = {v.number: v.state for v in session.query(Version)}
        assert states == {1: lifecycle.FAILED, 2: lifecycle.AWAITING_REVIEW}  # the failed one is kept as it was


def test_identical_bytes_of_a_live_version_make_no_new_version(seeded):
    runtime = seeded
    first = _run_one(runtime, _submission(runtime, _body(10), key="a"))
    again = _run_one(runtime, _submission(runtime, _body(10), key="b"))
    with runtime.sessions() as session:
        assert session.get(IngestJob, again).version_id == session.get(IngestJob, first).version_id
        assert session.query(Version).count() == 1


def test_the_database_refuses_a_second_live_version_of_the_same_bytes(seeded):
    runtime = seeded
    from sqlalchemy.exc import IntegrityError

    def add(number: int, state: str) -> None:
        with transaction(runtime.sessions) as session:
            ds_id = session.query(Dataset.id).filter_by(identifier="budget").scalar()
            session.add(Version(dataset_id=ds_id, number=number, state=state, source_filename="b.csv",
                                source_bytes=1, source_sha256="a" * 64, schema_sha256="0" * 64, created_by="t"))

    add(1, lifecycle.FAILED)
    add(2, lifecycle.FAILED)
    add(3, lifecycle.AWAITING_REVIEW)
    with pytest.raises(IntegrityError):
        add(4, lifecycle.PUBLISHED)


def test_recovery_leaves_jobs_of_live_processes_alone(seeded):
    runtime = seeded
    other_host, _ = _abandon(runtime, "another-host:42", version_state=None)
    live_here, path = _abandon(runtime, f"{HOST}:{os.getppid()}", version_state=None)
    assert recover_abandoned(runtime=runtime, stale_after=60, live_owners=set()) == []
    with runtime.sessions() as session:
        assert {session.get(IngestJob, i).state for i in (other_host, live_here)} == {"running"}
    assert os.path.exists(path)


def test_recovery_fails_a_stale_job_of_another_host(seeded):
    runtime = seeded
    job_id, _ = _abandon(runtime, "another-host:42", version_state=lifecycle.RECEIVED,
                         heartbeat=utcnow() - timedelta(minutes=10))
    recover_abandoned(runtime=runtime, stale_after=60, live_owners=set())
    with runtime.sessions() as session:
        assert session.get(IngestJob, job_id).state == "failed"
        assert session.get(IngestJob, job_id).version.state == lifecycle.FAILED


def test_recovery_keeps_published_versions(seeded):
    runtime = seeded
    job_id, _ = _abandon(runtime, f"{HOST}:{_dead_pid()}", version_state=lifecycle.PUBLISHED)
    recover_abandoned(runtime=runtime, stale_after=60, live_owners=set())
    with runtime.sessions() as session:
        job = session.get(IngestJob, job_id)
        assert job.state == "failed" and job.version.state == lifecycle.PUBLISHED


def test_clean_removes_only_old_uploads_nobody_needs(seeded):
    runtime = seeded
    folder = uploads_dir(runtime)
    _job_id, needed = _abandon(runtime, f"{HOST}:{os.getppid()}", version_state=None)  # a live running job
    orphan, young, other = folder / "dead.upload", folder / "young.upload", folder / "kept.csv"
    for path in (orphan, young, other):
        path.write_bytes(b"x")
    old = time.time() - 3600
    for path in (orphan, other, Path(needed)):
        os.utime(path, (old, old))
    assert clean_uploads(runtime=runtime, stale_after=60, dry_run=True) == ["uploads/dead.upload"]
    assert orphan.exists()
    assert clean_uploads(runtime=runtime, stale_after=60) == ["uploads/dead.upload"]
    assert not orphan.exists() and young.exists() and other.exists() and Path(needed).exists()
