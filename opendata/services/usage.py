"""Usage counting: downloads and API calls per dataset and day, cheap on the hot path.

A hit is a dictionary increment under a lock. Counts are flushed to ``usage_daily`` (and the
search index's download totals) every few seconds by a daemon thread, after every N hits, and
at interpreter exit. Totals shown on a dataset add the counts not yet flushed by this process.
"""

from __future__ import annotations

import atexit
import datetime as dt
import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from opendata.services.runtime import Runtime
from opendata.services.search import search_index
from opendata.store.db import transaction
from opendata.store.models import UsageDaily

log = logging.getLogger(__name__)
DOWNLOAD, API_CALL = "downloads", "api_calls"


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


class UsageCounter:
    """In-memory counters per (dataset, day, kind), flushed in batches; thread-safe."""

    def __init__(self, sessions: sessionmaker[Session], *, interval: float = 5.0, every: int = 1000,
                 on_flush: Callable[[dict[int, int]], None] | None = None, background: bool = True):
        self._sessions, self.interval, self.every = sessions, interval, every
        self._on_flush = on_flush
        self._pending: dict[tuple[int, dt.date], list[int]] = defaultdict(lambda: [0, 0])
        self._hits = 0
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._background = background
        atexit.register(self.close)

    def hit(self, dataset_id: int, kind: str, n: int = 1) -> None:
        """Count one download or API call of a dataset today."""
        with self._lock:
            self._pending[(dataset_id, _today())][0 if kind == DOWNLOAD else 1] += n
            self._hits += n
            due = self._hits >= self.every
            if self._background and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="usage-flush", daemon=True)
                self._thread.start()
        if due:
            self.flush()

    def pending(self, dataset_id: int) -> tuple[int, int]:
        """(downloads, api calls) counted by this process but not yet flushed."""
        with self._lock:
            items = [v for (ds, _day), v in self._pending.items() if ds == dataset_id]
        return sum(v[0] for v in items), sum(v[1] for v in items)

    def flush(self) -> int:
        """Write pending counts to the database; returns how many (dataset, day) rows were written."""
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, defaultdict(lambda: [0, 0])
                self._hits = 0
            if not batch:
                return 0
            try:
                self._write(batch)
            except Exception:  # keep the counts for the next attempt rather than lose them
                log.exception("usage flush failed; will retry")
                with self._lock:
                    for key, (d, a) in batch.items():
                        self._pending[key][0] += d
                        self._pending[key][1] += a
                return 0
            if self._on_flush is not None:
                downloads: dict[int, int] = defaultdict(int)
                for (ds, _day), (d, _a) in batch.items():
                    if d:
                        downloads[ds] += d
                try:
                    self._on_flush(dict(downloads))
                except Exception:
                    log.exception("usage flush hook failed")
            return len(batch)

    def _write(self, batch: dict[tuple[int, dt.date], list[int]]) -> None:
        for _attempt in range(5):
            try:
                with transaction(self._sessions) as session:
                    for (ds, day), (d, a) in batch.items():
                        res = session.execute(update(UsageDaily).where(
                            UsageDaily.dataset_id == ds, UsageDaily.day == day).values(
                            downloads=UsageDaily.downloads + d, api_calls=UsageDaily.api_calls + a))
                        if res.rowcount == 0:
                            session.add(UsageDaily(dataset_id=ds, day=day, downloads=d, api_calls=a))
                return
            except IntegrityError:  # another process inserted the same day first: update instead
                time.sleep(0.01)
        raise RuntimeError("could not record usage counts")

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.flush()

    def close(self) -> None:
        """Stop the flusher and write what is pending (also called at exit)."""
        self._stop.set()
        try:
            self.flush()
        except Exception:  # at interpreter exit the database may already be gone
            log.debug("final usage flush failed", exc_info=True)


def usage_totals(session: Session, dataset_id: int, *, days: int = 30) -> dict[str, object]:
    """Stored totals of a dataset plus its last ``days`` days (oldest first)."""
    total = session.execute(select(func.coalesce(func.sum(UsageDaily.downloads), 0),
                                   func.coalesce(func.sum(UsageDaily.api_calls), 0))
                            .where(UsageDaily.dataset_id == dataset_id)).one()
    since = _today() - dt.timedelta(days=days - 1)
    recent = session.execute(select(UsageDaily.day, UsageDaily.downloads, UsageDaily.api_calls).where(
        UsageDaily.dataset_id == dataset_id, UsageDaily.day >= since).order_by(UsageDaily.day)).all()
    return {"downloads": int(total[0]), "api_calls": int(total[1]),
            "daily": [{"day": d.isoformat(), "downloads": dl, "api_calls": ac} for d, dl, ac in recent]}


def usage_counter(runtime: Runtime) -> UsageCounter:
    """This process's usage counter (a part of the runtime: flushed and stopped when it closes)."""
    return runtime.part("usage", lambda: _make_counter(runtime))


def _make_counter(runtime: Runtime) -> UsageCounter:
    return UsageCounter(runtime.sessions, on_flush=search_index(runtime).add_downloads)
