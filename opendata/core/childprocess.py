"""Run a memory-hungry function (an ingest, the re-derivation of a reviewed version's outputs,
the row database and the profile of a published version) in a child process with a memory
limit, so a file can fail only its own job, never the process that serves everyone.

Children are forked by multiprocessing's fork server, which imports the pipeline's modules once
(see :data:`PRELOAD` and core.pipeline_preload): a child starts in milliseconds, and never
inherits the parent's threads, locks, database connections or sockets. A child

- caps its address space (``RLIMIT_AS``) at its size when it starts plus ``ADDRESS_SPACE_FACTOR``
  times the memory limit, so one huge allocation fails at once instead of swapping (allocators
  reserve more address space than they use, hence the factor);
- is stopped by the parent when its resident memory passes the limit (sampled every 50 ms);
- stops itself as soon as its parent process is gone (it watches a pipe only the parent can
  write to, which the kernel closes when the parent dies, even by SIGKILL): a killed server
  leaves no ingest running behind it, and the fork server then exits too;
- reports progress and its result through a pipe. Errors come back as the same exceptions;
  running out of memory comes back as a :class:`LimitError` naming the limit.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import resource
import signal
import threading
import time
import traceback
from collections.abc import Callable
from typing import Any

from opendata.core.errors import LimitError, OpendataError, Problem

log = logging.getLogger(__name__)
PRELOAD = ["opendata.core.pipeline", "opendata.core.pipeline_preload", "opendata.core.readers", "opendata.core.readers.delimited",
           "opendata.core.readers.xlsx", "opendata.core.readers.xls", "opendata.core.readers.jsonl",
           "opendata.core.validation", "opendata.core.pii", "opendata.core.writers", "opendata.core.rowquery.prepare",
           "opendata.core.profile", "opendata.core.readback", "pyarrow.parquet",
           "pyarrow.csv", "duckdb", "openpyxl", "frictionless"]
ADDRESS_SPACE_FACTOR = 4
SAMPLE_SECONDS = 0.05
_PAGE = os.sysconf("SC_PAGE_SIZE")
_context_lock = threading.Lock()
_context: Any = None


class ChildFailedError(OpendataError):
    """The child stopped without an answer, or raised something unexpected (a bug: logged)."""

    code = "internal-error"


def _forkserver() -> Any:
    """The fork-server context of this process, with the pipeline's modules preloaded."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            _context = context
        return _context


def warm_up() -> None:
    """Start the fork server now (it imports the pipeline once), so the first job does not wait."""
    from multiprocessing import forkserver

    _forkserver()
    forkserver.ensure_running()


def run_in_child(target: Callable[..., Any], *args: Any, memory_bytes: int,
                 progress: Callable[..., None] | None = None, what: str = "the work", **kwargs: Any) -> Any:
    """``target(*args, **kwargs)`` in a child process limited to ``memory_bytes`` of memory.

    ``target`` must be a module-level function; with ``progress``, it is also given a
    ``progress=`` callable whose calls are passed on to ``progress`` here. ``what`` names the
    work in the error when the child runs out of memory. Returns what ``target`` returns.
    """
    context = _forkserver()
    receiver, sender = context.Pipe(duplex=False)
    lifeline, held = context.Pipe(duplex=False)  # ``held`` stays here: when this process dies, it closes
    child = context.Process(target=_child_main, name="opendata-child", daemon=True,
                            args=(sender, lifeline, target, args, kwargs, memory_bytes, progress is not None, what))
    child.start()
    sender.close()  # the child holds the only sending end: its death reads as end of file
    lifeline.close()
    try:
        return _supervise(child, receiver, memory_bytes, progress, what)
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
        child.close()
        held.close()


def _supervise(child: Any, receiver: Any, memory_bytes: int, progress: Callable[..., None] | None,
               what: str) -> Any:
    """Relay progress, stop the child past the memory limit, and return or raise its answer."""
    while True:
        # measured before waiting: a child that starts above its limit (the fork server's pages
        # count) is stopped at once, before it can fail inside a library at its address-space cap
        if resident_bytes(child.pid) > memory_bytes:
            child.kill()
            raise out_of_memory(what, memory_bytes)
        if receiver.poll(SAMPLE_SECONDS):
            try:
                kind, payload = receiver.recv()
            except EOFError:
                break  # the child died without answering
            if kind == "progress":
                if progress is not None:
                    progress(*payload)
                continue
            if kind == "result":
                return payload
            if kind == "error":
                raise payload
            log.error("%s failed in a child process:\n%s", what, payload)
            raise ChildFailedError(f"internal error while running {what}; it has been logged")
        if not child.is_alive() and not receiver.poll(0):
            break
    child.join()
    code = child.exitcode
    if code is not None and code < 0 and -code in (signal.SIGKILL, signal.SIGABRT):
        # an allocation beyond RLIMIT_AS aborts a library that cannot report it; the kernel's
        # out-of-memory killer sends SIGKILL
        log.error("%s: the child process stopped by signal %s", what, -code)
        raise out_of_memory(what, memory_bytes, stopped_by=signal.Signals(-code).name)
    raise ChildFailedError(f"the process running {what} stopped unexpectedly (exit code {code})")


def out_of_memory(what: str, memory_bytes: int, stopped_by: str | None = None) -> LimitError:
    """The error of a child that needed more than its memory limit."""
    how = f" (it was stopped by {stopped_by})" if stopped_by else ""
    return LimitError(f"{what} needs more memory than the limit of {memory_bytes // 2**20:,} MB{how}",
                      problems=[Problem("limit-exceeded", "the input passes the memory limit",
                                        path="limits/memory")])


def resident_bytes(pid: int) -> int:
    """Resident memory of a process (0 once it has gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as fh:
            return int(fh.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _address_space() -> int:
    with open("/proc/self/statm", "rb") as fh:
        return int(fh.read().split()[0]) * _PAGE


def _die_with_parent(lifeline: Any) -> None:
    """Stop this process when the process that started it is gone: nothing is ever sent on the
    lifeline, so reading it ends only when the parent's end closes (the parent exited or died)."""
    def watch() -> None:
        with contextlib.suppress(EOFError, OSError):
            lifeline.recv_bytes()
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="opendata-lifeline", daemon=True).start()


def _child_main(sender: Any, lifeline: Any, target: Callable[..., Any], args: tuple, kwargs: dict[str, Any],
                memory_bytes: int, with_progress: bool, what: str) -> None:
    _die_with_parent(lifeline)
    cap = _address_space() + ADDRESS_SPACE_FACTOR * memory_bytes
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    if with_progress:
        last = [0.0]

        def progress(*values: Any) -> None:
            now = time.monotonic()
            if now - last[0] >= SAMPLE_SECONDS:
                last[0] = now
                sender.send(("progress", values))

        kwargs = {**kwargs, "progress": progress}
    try:
        answer = ("result", target(*args, **kwargs))
    except OpendataError as exc:
        answer = ("error", exc)
    except BaseException as exc:  # noqa: BLE001 (sent to the parent, which logs it)
        if _is_memory_error(exc):  # MemoryError, pyarrow's ArrowMemoryError, DuckDB's out-of-memory
            answer = ("error", out_of_memory(what, memory_bytes))
        else:
            answer = ("crash", traceback.format_exc())
    try:
        sender.send(answer)
    except MemoryError:
        sender.send(("error", out_of_memory(what, memory_bytes)))
    finally:
        sender.close()


def _is_memory_error(exc: BaseException) -> bool:
    name = type(exc).__name__
    # under RLIMIT_AS a new thread's stack cannot be mapped: threading says "can't start new thread"
    no_thread = isinstance(exc, RuntimeError) and "can't start new thread" in str(exc)
    return isinstance(exc, MemoryError) or no_thread or "OutOfMemory" in name or "bad_alloc" in str(exc)
