"""Reading ahead: a reader's batches are produced on their own thread while the caller works.

Parsing a CSV block (pyarrow) and validating the block before it (pyarrow.compute) both release
the GIL, so on two cores reading ahead takes the reading off the critical path: a pass costs
about the longer of the two instead of their sum. At most ``depth`` batches wait, so memory
stays bounded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import TypeVar

T = TypeVar("T")
_END = object()


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


def read_ahead(items: Iterator[T], *, depth: int = 2) -> Iterator[T]:
    """Yield what ``items`` yields, produced on a background thread at most ``depth`` ahead.

    An exception raised while producing is raised here, in the caller's thread, in order. When
    the caller stops early, the producer stops at its next item and closes ``items``.
    """
    waiting: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(item: object) -> bool:
        while not stop.is_set():
            try:
                waiting.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def produce() -> None:
        try:
            for item in items:
                if not put(item):
                    break
        except BaseException as exc:  # handed to the caller's thread
            put(_Failure(exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()
            put(_END)

    thread = threading.Thread(target=produce, name="read-ahead", daemon=True)
    thread.start()
    try:
        while (item := waiting.get()) is not _END:
            if isinstance(item, _Failure):
                raise item.error
            yield item
    finally:
        stop.set()
        thread.join()
