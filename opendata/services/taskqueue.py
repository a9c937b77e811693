"""The job queue of the scale-out mode: messages on Redis (dramatiq), run by ``opendata worker`` processes.

When OPENDATA_JOB_QUEUE_URL is set, a server process does not run ingests, publish preparation or
bulk builds itself: it sends a message naming the work (an ingest job's id, a version's id) and a
worker takes it (opendata.services.worker). This module is the sending side and the broker both
sides share; it knows nothing of what the work is, so publication and the job runner can send
without importing the worker.

Why dramatiq (not rq): its Redis broker acknowledges a message only when the work has ended, and
gives the unacknowledged messages of a worker whose heartbeat stopped to another worker, so a
worker killed mid-job (SIGKILL, a lost machine) has its job retried; rq marks such a job failed and
never runs it again. Its retry middleware backs off exponentially and retries only the faults we
name (``retry_when``), so a bad file is never retried. Workers are threads in one process, which
suits our ingests: each already runs in a child process with its own memory limit.
"""

from __future__ import annotations

from typing import Any

from opendata.services.runtime import Runtime

QUEUE = "opendata"
INGEST, PREPARE_PUBLISHED, REBUILD_BULK = "ingest", "prepare-published", "rebuild-bulk"
ACTORS = (INGEST, PREPARE_PUBLISHED, REBUILD_BULK)
# Out of dramatiq's million: how many Redis commands also look for dead workers and give their
# messages to the living. Its default (1 in 1,000) leaves an idle queue's dead jobs for hours.
MAINTENANCE_CHANCE = 100_000
MAX_BACKOFF_MS = 300_000


def queue_enabled(runtime: Runtime) -> bool:
    """True in the scale-out mode: jobs go to the Redis queue, not to this process's threads."""
    return bool(runtime.config.JOB_QUEUE_URL)


def make_broker(runtime: Runtime, *, retries: bool = False) -> Any:
    """A dramatiq Redis broker on OPENDATA_JOB_QUEUE_URL; ``retries`` installs the back-off (workers)."""
    from dramatiq.brokers.redis import RedisBroker
    from dramatiq.middleware import CurrentMessage, Retries

    config = runtime.config
    middleware = [CurrentMessage()]
    if retries:
        # min_backoff doubles per retry (with jitter) up to MAX_BACKOFF_MS; which faults are retried
        # is each actor's retry_when (the worker's)
        middleware.append(Retries(max_retries=config.JOB_RETRIES,
                                  min_backoff=int(config.JOB_RETRY_BACKOFF_SECONDS * 1000),
                                  max_backoff=MAX_BACKOFF_MS))
    return RedisBroker(url=config.JOB_QUEUE_URL, namespace="opendata", middleware=middleware,
                       heartbeat_timeout=int(config.JOB_QUEUE_HEARTBEAT_SECONDS * 1000),
                       maintenance_chance=MAINTENANCE_CHANCE)


class TaskSender:
    """Sends messages to the queue (a part of the runtime: one Redis connection pool per process)."""

    def __init__(self, runtime: Runtime):
        self.broker = make_broker(runtime)

    def send(self, actor: str, *args: Any) -> None:
        """Queue ``actor(*args)`` for a worker."""
        from dramatiq import Message

        if actor not in ACTORS:
            raise ValueError(f"no queued task named {actor!r}")
        self.broker.declare_queue(QUEUE)
        self.broker.enqueue(Message(queue_name=QUEUE, actor_name=actor, args=args, kwargs={}, options={}))

    def close(self) -> None:
        self.broker.close()


def task_sender(runtime: Runtime) -> TaskSender:
    """This process's sender of queued tasks."""
    return runtime.part("tasks", lambda: TaskSender(runtime))


def send_task(runtime: Runtime, actor: str, *args: Any) -> None:
    """Queue one task (scale-out mode only)."""
    task_sender(runtime).send(actor, *args)
