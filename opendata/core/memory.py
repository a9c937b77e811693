"""Arrow's memory pool for long streaming passes.

With the default mimalloc pool, a 10M-row ingest peaked at about 500 MB RSS; jemalloc returns
freed batch memory sooner and peaked at about 457 MB in the same run at the same speed
(docs/benchmarks.md). ``ARROW_DEFAULT_MEMORY_POOL`` set by an operator still wins.
"""

from __future__ import annotations

import contextlib
import os
from functools import cache

import pyarrow as pa


@cache
def use_streaming_memory_pool() -> str:
    """Switch the process to jemalloc where pyarrow has it; returns the pool's backend name."""
    if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
        with contextlib.suppress(NotImplementedError, AttributeError):  # pyarrow built without jemalloc
            pa.set_memory_pool(pa.jemalloc_memory_pool())
    return pa.default_memory_pool().backend_name
