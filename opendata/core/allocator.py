"""The C allocator of a serving process: freed buffers are kept for reuse, not returned to the kernel.

glibc's malloc gives a freed block above its trim threshold back to the kernel at once
(``madvise``/``munmap``) and, for blocks above its mmap threshold, maps each new one afresh. Both
thresholds only adapt upwards to about 1-2 MiB, so a request body read in 1 MiB steps through the
server's own buffers (gunicorn's reader, werkzeug's stream) gave about 3 MiB back to the kernel
and faulted it in again on every chunk: about 1.1 page faults per 4 KiB received (150,000 for a
512 MiB upload), each a few microseconds of CPU (8 MiB of fresh pages: 4-6 ms, the same 8 MiB
reused: 0.1 ms), all inside copies made with the interpreter lock held, so every other request
thread of the worker waited behind them. Fixed thresholds of a few MiB keep those buffers in the
process: the same upload then costs about 1,900 faults.

Set once at start-up of a serving process (``opendata.wsgi`` and ``opendata serve``); the cost is
at most ``TRIM_THRESHOLD`` of free memory kept per allocator arena (one per thread that
allocates, up to 8 per core). An operator's own ``MALLOC_*`` variables or ``GLIBC_TUNABLES`` win.
"""

from __future__ import annotations

import ctypes
import os

MMAP_THRESHOLD = 4 * 1024 * 1024  # blocks below this come from the heap, where they are reused
TRIM_THRESHOLD = 8 * 1024 * 1024  # free memory at a heap's top kept before any is given back
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
_OPERATOR_SETTINGS = ("MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_")


def keep_freed_memory() -> bool:
    """Fix glibc's mmap and trim thresholds for this process; False where not glibc or set by the operator."""
    if any(name in os.environ for name in _OPERATOR_SETTINGS) or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", ""):
        return False
    try:
        libc = ctypes.CDLL(None)  # the symbols already loaded: the C library's, without a search
        mallopt = libc.mallopt
        libc.gnu_get_libc_version  # noqa: B018 - only glibc has it (musl has mallopt as a stub)
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    # mmap first: setting either one turns off glibc's own adjustment of both
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
