"""`opendata worker`: runs the queued jobs of the scale-out mode (see opendata.services.taskqueue).

Three tasks: ``ingest`` (an upload's job: the same run_job the embedded threads use),
``prepare-published`` (row database and profile of a published version) and ``rebuild-bulk``.

Faults and retries:
- a bad file ends its job ``failed`` with the validation error, never retried;
- a transient fault (the database or a storage unreachable, a connection dropped) puts the job back
  to ``queued`` with an ``error`` saying when it is retried; dramatiq retries it with exponential
  back-off; after OPENDATA_JOB_RETRIES it is ``failed`` naming the fault;
- a worker killed mid-job: its message was not acknowledged, so Redis gives it to another worker
  once the dead one's heartbeat is older than OPENDATA_JOB_QUEUE_HEARTBEAT_SECONDS, and every worker
  that starts sends again the jobs a dead worker held. The next attempt first fails the version the
  killed one left half-made (files written before the kill are referenced by no row, so nothing of it
  is served), then runs the job again; a job out of attempts is ``failed`` with ``interrupted``.
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError, OperationalError

from opendata.core import lifecycle
from opendata.core.childprocess import warm_up
from opendata.services.jobs import (
    fail_version,
    latest_version_of,
    owner_is_gone,
    process_owner,
    remove_upload,
    run_job,
)
from opendata.services.publication import prepare_published
from opendata.services.runtime import Runtime
from opendata.services.standards.bulk import rebuild_bulk
from opendata.services.taskqueue import (
    INGEST,
    PREPARE_PUBLISHED,
    QUEUE,
    REBUILD_BULK,
    make_broker,
    send_task,
)
from opendata.store.db import transaction
from opendata.store.jobs import IngestJob
from opendata.store.models import utcnow

log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL = 5.0


class TransientFault(Exception):
    """A job met a fault that may pass (raised to dramatiq's retry middleware, which backs off)."""


def is_transient(exc: BaseException) -> bool:
    """Faults worth another attempt later: the database or a network service did not answer."""
    if isinstance(exc, OperationalError | ConnectionError | TimeoutError):
        return True
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    return type(exc).__module__.split(".")[0] in ("redis", "botocore", "aiobotocore") and \
        "Error" in type(exc).__name__ and "NoSuch" not in type(exc).__name__


def _fault(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"[:300]


class Worker:
    """One worker process: dramatiq worker threads consuming the queue, and the jobs' heartbeat."""

    def __init__(self, runtime: Runtime, *, threads: int = 1):
        import dramatiq

        self.runtime = runtime
        self.owner = process_owner()
        self.broker = make_broker(runtime, retries=True)
        self.threads = max(1, threads)
        self._stop = threading.Event()
        self._running: set[int] = set()  # ids of the jobs this process's threads are running
        options: dict[str, Any] = {"broker": self.broker, "queue_name": QUEUE,
                                   "retry_when": self._retry_when, "max_retries": runtime.config.JOB_RETRIES}
        dramatiq.actor(self.ingest, actor_name=INGEST, **options)
        dramatiq.actor(self.prepare_published, actor_name=PREPARE_PUBLISHED, **options)
        dramatiq.actor(self.rebuild_bulk, actor_name=REBUILD_BULK, **options)
        self._worker = dramatiq.Worker(self.broker, worker_threads=self.threads, queues={QUEUE})

    def _retry_when(self, retries: int, exc: BaseException) -> bool:
        return isinstance(exc, TransientFault) and retries < self.runtime.config.JOB_RETRIES

    # -- the tasks --------------------------------------------------------------------------------
    def ingest(self, job_id: int) -> None:
        """Run an upload's job (again, when an earlier attempt was interrupted or met a transient fault)."""
        if job_id in self._running:
            return  # a duplicate message while this process runs the job
        self._running.add(job_id)
        try:
            if not self._begin_attempt(job_id):
                return
            run_job(runtime=self.runtime, job_id=job_id, owner=self.owner, transient=is_transient)
        except Exception as exc:
            if not is_transient(exc):
                raise
            self._retry_or_fail(job_id, exc)
        finally:
            self._running.discard(job_id)

    def prepare_published(self, version_id: int) -> None:
        """Row database and profile of a published version."""
        try:
            prepare_published(runtime=self.runtime, version_id=version_id, transient=is_transient)
        except Exception as exc:
            if is_transient(exc):
                raise TransientFault(_fault(exc)) from exc
            raise

    def rebuild_bulk(self) -> None:
        """The bulk archives, when what they hold is no longer what is served."""
        try:
            rebuild_bulk(runtime=self.runtime, only_if_stale=True)
        except Exception as exc:
            if is_transient(exc):
                raise TransientFault(_fault(exc)) from exc
            raise

    # -- attempts ---------------------------------------------------------------------------------
    def _begin_attempt(self, job_id: int) -> bool:
        """Make the job ready to run: False when it is finished or running in a live worker; a job whose
        worker is gone has the version it left failed, and is queued again (or failed, out of attempts)."""
        config = self.runtime.config
        with transaction(self.runtime.sessions) as session:
            job = session.scalar(select(IngestJob).where(IngestJob.id == job_id).with_for_update())
            if job is None or job.state in ("succeeded", "failed"):
                return False
            if job.state == "running":
                # this process runs none of it now (see ingest), so its own name here is an earlier attempt
                if not owner_is_gone(job.owner, job.heartbeat_at, stale_after=config.INGEST_STALE_SECONDS,
                                     live_owners=set()):
                    return False  # a live worker runs it (this message was sent again)
                self._close_interrupted(session, job, f"interrupted: the worker {job.owner} stopped")
                if job.attempts > config.JOB_RETRIES:
                    job.state, job.finished_at = "failed", utcnow()
                    job.error = {"code": "interrupted", "message": (
                        f"the worker running this job ({job.owner}) stopped, {job.attempts} time(s); "
                        "no attempts are left")}
                    remove_upload(job.source_path)
                    return False
                job.state = "queued"
                job.error = {"code": "retrying", "message": (
                    f"attempt {job.attempts} was interrupted (its worker {job.owner} stopped); retrying")}
            elif job.attempts:  # a retry after a transient fault: its earlier attempt may have left a version
                self._close_interrupted(session, job, "interrupted by a transient fault; retried")
        return True

    @staticmethod
    def _close_interrupted(session, job: IngestJob, note: str) -> None:
        if job.version_id is None and job.request_fingerprint:
            # killed between the version's commit and the job's link to it
            job.version_id = latest_version_of(session, job.dataset_id, job.request_fingerprint)
        if job.version is not None and job.version.state in (lifecycle.RECEIVED, lifecycle.VALIDATING):
            fail_version(session, job.version, note)
        job.version_id = None

    def _retry_or_fail(self, job_id: int, exc: BaseException) -> None:
        """Record a transient fault on the job: queued for a retry (raised to dramatiq) or failed."""
        config = self.runtime.config
        try:
            with transaction(self.runtime.sessions) as session:
                job = session.get(IngestJob, job_id)
                if job is None or job.state in ("succeeded", "failed"):
                    return
                if job.attempts > config.JOB_RETRIES:
                    self._close_interrupted(session, job, f"failed: {_fault(exc)}")
                    job.state, job.finished_at = "failed", utcnow()
                    job.error = {"code": "transient-fault", "message": (
                        f"gave up after {job.attempts} attempts: {_fault(exc)}")}
                    remove_upload(job.source_path)
                    return
                job.state = "queued"
                job.error = {"code": "retrying", "message": f"attempt {job.attempts} met a fault that may pass "
                             f"({_fault(exc)}); retried after a back-off"}
        except Exception as recording:  # the database itself is away: the retry records it later
            log.warning("could not record the fault of job %s: %s", job_id, _fault(recording))
        raise TransientFault(_fault(exc)) from exc

    # -- the process ------------------------------------------------------------------------------
    def resend_orphans(self) -> int:
        """Send again the jobs no live process holds (queued, or running in a worker that is gone):
        a message lost with its worker or with Redis runs once more; duplicates find the job taken."""
        config = self.runtime.config
        with self.runtime.sessions() as session:
            jobs = session.execute(select(IngestJob.id, IngestJob.state, IngestJob.owner, IngestJob.heartbeat_at)
                                   .where(IngestJob.state.in_(["queued", "running"]))).all()
        orphans = [job_id for job_id, state, owner, beat in jobs
                   if state == "queued" or owner_is_gone(owner, beat, stale_after=config.INGEST_STALE_SECONDS,
                                                         live_owners={self.owner})]
        for job_id in orphans:
            send_task(self.runtime, INGEST, job_id)
        return len(orphans)

    def _beat(self) -> None:
        """Refresh the heartbeat of the jobs this process is running (only those: one it could not
        record as queued after a fault must look abandoned to the others)."""
        running = sorted(self._running)
        if running:
            with transaction(self.runtime.sessions) as session:
                session.execute(update(IngestJob).where(IngestJob.id.in_(running), IngestJob.owner == self.owner,
                                                        IngestJob.state == "running").values(heartbeat_at=utcnow()))

    def run(self) -> None:
        """Consume the queue until SIGTERM or SIGINT, then finish the running jobs and stop."""
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: self._stop.set())
        warm_up()  # the ingest child processes' fork server
        self._worker.start()
        resent = self.resend_orphans()
        if resent:
            log.warning("sent again %d job(s) no live process held", resent)
        log.info("worker %s consuming %s with %d thread(s)", self.owner, QUEUE, self.threads)
        while not self._stop.wait(HEARTBEAT_INTERVAL):
            try:
                self._beat()
            except Exception as exc:
                log.warning("could not refresh the heartbeat of this worker's jobs: %s", _fault(exc))
        self._worker.stop()
        self.broker.close()
