"""Where ingest jobs run: behind a small interface, an embedded thread pool or, in the scale-out
mode (OPENDATA_JOB_QUEUE_URL), the Redis queue that `opendata worker` processes consume.

The embedded :class:`ThreadJobRunner` starts OPENDATA_INGEST_WORKERS threads on the first
submit, refreshes the heartbeat of its jobs, and stops at process exit (or ``shutdown``). Each
thread only supervises: the ingest itself runs in a child process with OPENDATA_INGEST_MEMORY_MB
of memory (opendata.core.childprocess), whose fork server is started with the threads.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
import weakref
from typing import Protocol

from opendata.core.childprocess import warm_up
from opendata.services.jobs import process_owner, run_job, touch_heartbeats
from opendata.services.runtime import Runtime
from opendata.services.taskqueue import INGEST, queue_enabled, send_task

log = logging.getLogger(__name__)
HEARTBEAT_INTERVAL = 5.0
_RUNNERS: weakref.WeakSet[ThreadJobRunner] = weakref.WeakSet()


def live_owners() -> set[str]:
    """Owners (host:pid) with a running job runner in this process: their jobs are not abandoned."""
    return set().union(*(r.live_owners() for r in list(_RUNNERS)))


class JobRunner(Protocol):
    """Runs queued ingest jobs somewhere; ``submit`` never blocks on the ingest itself."""

    owner: str

    def submit(self, job_id: int) -> None: ...

    def live_owners(self) -> set[str]: ...

    def shutdown(self, *, wait: bool = True) -> None: ...


class ThreadJobRunner:
    """Ingest jobs on worker threads of this process (embedded mode)."""

    def __init__(self, runtime: Runtime, *, workers: int = 1, heartbeat_interval: float = HEARTBEAT_INTERVAL):
        self.runtime = runtime
        self.workers = max(1, int(workers))
        self.heartbeat_interval = heartbeat_interval
        self.owner = process_owner()
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        _RUNNERS.add(self)

    def submit(self, job_id: int) -> None:
        """Queue a recorded job; the worker threads start on first use."""
        self._start()
        self._queue.put(job_id)

    def live_owners(self) -> set[str]:
        return {self.owner} if self._threads and not self._stop.is_set() else set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every submitted job has finished (tests, orderly shutdown); True when idle."""
        done = threading.Event()

        def _join() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=_join, daemon=True).start()
        return done.wait(timeout)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop the workers after the jobs they are running (queued jobs stay queued in the database)."""
        with self._lock:
            if not self._threads or self._stop.is_set():
                return
            self._stop.set()
            for _ in range(self.workers):
                self._queue.put(None)
        if wait:
            for t in self._threads:
                t.join()

    def _start(self) -> None:
        with self._lock:
            if self._threads:
                if self._stop.is_set():
                    raise RuntimeError("the job runner has been shut down")
                return
            for n in range(self.workers):
                t = threading.Thread(target=self._work, name=f"ingest-worker-{n}", daemon=True)
                t.start()
                self._threads.append(t)
            threading.Thread(target=self._beat, name="ingest-heartbeat", daemon=True).start()
            atexit.register(self.shutdown, wait=False)
            warm_up()  # the fork server imports the pipeline while the first upload is still arriving

    def _work(self) -> None:
        while True:
            job_id = self._queue.get()
            try:
                if job_id is None:
                    return
                run_job(runtime=self.runtime, job_id=job_id, owner=self.owner)
            except Exception:  # run_job records failures itself; this only guards the thread
                log.exception("ingest worker failed on job %s", job_id)
            finally:
                self._queue.task_done()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_interval):
            try:
                touch_heartbeats(runtime=self.runtime, owner=self.owner)
            except Exception:
                log.exception("could not refresh ingest job heartbeats")


class QueueJobRunner:
    """Ingest jobs sent to the Redis queue (scale-out mode): a worker process runs them, this one none."""

    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.owner = process_owner()

    def submit(self, job_id: int) -> None:
        """Send the recorded job to the queue."""
        send_task(self.runtime, INGEST, job_id)

    def live_owners(self) -> set[str]:
        return set()

    def shutdown(self, *, wait: bool = True) -> None:
        """Nothing runs here: queued jobs wait in Redis for a worker."""


def job_runner(runtime: Runtime) -> JobRunner:
    """This process's ingest job runner (a part of the runtime: stopped when it closes)."""
    if queue_enabled(runtime):
        return runtime.part("jobs", lambda: QueueJobRunner(runtime))
    return runtime.part("jobs", lambda: ThreadJobRunner(runtime, workers=runtime.config.INGEST_WORKERS))
