"""Per-query time limits: one watchdog thread interrupts DuckDB connections past their deadline.

DuckDB ignores an interrupt that arrives before the query has started, so an expired query is
interrupted again every few milliseconds until it ends; one thread serves every query, so a time
limit costs no thread start per request.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

_REPEAT_SECONDS = 0.01


@dataclass
class _Entry:
    deadline: float
    connection: Any
    fired: bool = False


class Watchdog:
    """Interrupts connections whose guarded block outlives its time limit."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._entries: dict[int, _Entry] = {}
        self._ids = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def guard(self, connection: Any, seconds: float) -> Iterator[_Entry]:
        """Run the block with ``connection.interrupt()`` called once ``seconds`` have passed."""
        entry = _Entry(time.monotonic() + seconds, connection)
        key = next(self._ids)
        with self._cv:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="rowquery-watchdog", daemon=True)
                self._thread.start()
            self._entries[key] = entry
            self._cv.notify()
        try:
            yield entry
        finally:
            with self._cv:  # after this no interrupt can reach the connection's next query
                self._entries.pop(key, None)

    def _run(self) -> None:
        with self._cv:
            while True:
                now = time.monotonic()
                wake = None
                for entry in self._entries.values():
                    if entry.deadline <= now:
                        entry.fired = True
                        entry.connection.interrupt()
                        entry.deadline = now + _REPEAT_SECONDS
                    wake = entry.deadline if wake is None else min(wake, entry.deadline)
                entry = None  # noqa: F841 -- hold no connection while asleep
                self._cv.wait(None if wake is None else max(wake - now, 0.001))


WATCHDOG = Watchdog()
