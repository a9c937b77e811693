"""How a use case owns its transaction: one unit of work per call, hooks only after the commit.

A write use case takes the ``runtime`` and opens its own unit of work; the HTTP layer never does.
:func:`run` is the one-line form for use cases written over a session (``fn(*, session, ...)``):
it opens the transaction, calls the use case, turns what it returns into plain data with
``present`` while the session is still open, commits, and only then runs ``after`` (search index,
bulk archives, job submission: work that must never see or undo an uncommitted change).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from opendata.services.runtime import Runtime
from opendata.store.db import transaction

T = TypeVar("T")


@contextmanager
def unit_of_work(runtime: Runtime) -> Iterator[Session]:
    """One transaction: commit when the block ends, roll back on any error."""
    with transaction(runtime.sessions) as session:
        yield session


@contextmanager
def reading(runtime: Runtime) -> Iterator[Session]:
    """A read-only session (nothing is committed)."""
    with runtime.sessions() as session:
        yield session


def run(runtime: Runtime, use_case: Callable[..., Any], /, *, present: Callable[[Any], T] = lambda x: x,
        after: Callable[[Any], None] | None = None, **kwargs: Any) -> T:
    """Run ``use_case(session=..., **kwargs)`` in its own transaction; ``present`` its result before the
    commit closes the session; then ``after(result)``."""
    with unit_of_work(runtime) as session:
        result = use_case(session=session, **kwargs)
        shown = present(result)
    if after is not None:
        after(result)
    return shown


def read(runtime: Runtime, query: Callable[..., Any], /, *, present: Callable[[Any], T] = lambda x: x,
         **kwargs: Any) -> T:
    """Run a read-only ``query(session=..., **kwargs)`` and ``present`` its result inside the session."""
    with reading(runtime) as session:
        return present(query(session=session, **kwargs))
