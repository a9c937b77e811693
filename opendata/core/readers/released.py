"""Waiting until Arrow has let go of a Python callback handed to one of its readers.

pyarrow's CSV streaming reader parses blocks ahead on Arrow's own threads, and a task already
started when the reader is closed (a pass stopped early to read again, a limit reached) still
holds the reader's options, among them our invalid-row handler. The thread that drops the last
copy takes the GIL to release the handler; if the interpreter is finalizing by then, Python ends
that thread with pthread_exit inside a C++ destructor and the process dies with "terminate called
without an active exception" (SIGABRT) after its work is done (apache/arrow#45017 shows the same
take_gil -> pthread_exit -> std::terminate stack). Waiting for the release while the interpreter
is alive closes that window: after it, no Arrow task of the reader holds a Python object.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable

RELEASE_TIMEOUT = 10.0  # seconds; in practice a fraction of a millisecond


class CallbackRelease:
    """Tells when every reference to ``callback`` is gone (hand Arrow the only one you keep)."""

    def __init__(self, callback: Callable):
        self._released = threading.Event()
        self._ref = weakref.ref(callback, lambda _ref: self._released.set())

    def wait(self, timeout: float = RELEASE_TIMEOUT) -> bool:
        """Block (without the GIL) until the callback is released; False if ``timeout`` passed first."""
        return self._released.wait(timeout)
