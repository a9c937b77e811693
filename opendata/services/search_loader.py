"""Loading every dataset's search document in a child process, while this one analyses and writes.

A full rebuild of a large catalogue spends about as long loading datasets from the database (the
ORM, the anonymous list form of each) as cutting and writing their text; on two cores the two run
side by side. The child reads in its own connection and sends documents a batch at a time through
a bounded queue, so neither side holds the catalogue in memory.
"""

from __future__ import annotations

import multiprocessing
import queue as queues
from collections.abc import Callable, Iterator
from typing import Any

from opendata.config import Config

PARALLEL_FROM = 20_000  # datasets; below this a second process costs more than it saves
_DONE = "done"


def _produce(values: dict[str, Any], out: Any, batch: int, load: Callable) -> None:
    """Child process: every dataset's document, in id order, ``batch`` at a time, made by ``load``."""
    from sqlalchemy import select

    from opendata.services.runtime import Runtime
    from opendata.store.models import Dataset

    runtime = Runtime(Config(values))
    try:
        with runtime.sessions() as session:
            ids = list(session.scalars(select(Dataset.id).order_by(Dataset.id)))
            for start in range(0, len(ids), batch):
                out.put(load(session, ids[start:start + batch]))
                session.expunge_all()
        out.put(_DONE)
    except BaseException as exc:  # the parent re-raises it: never leave it waiting
        out.put(f"error: {type(exc).__name__}: {exc}")
        raise
    finally:
        runtime.close()


def docs_from_child(config: Config, batch: int, load: Callable) -> Iterator:
    """Documents loaded by a child process reading the database ``config`` names.

    ``load(session, ids)`` makes the documents of some dataset ids; it must be a module-level
    function, which the child imports by name.
    """
    # The child gets the URL this process resolved, not the settings to resolve it again: a spawned
    # interpreter must land on this very database even where the URL is derived (from the home).
    values = {**config.values, "DATABASE_URL": config.database_url}
    context = multiprocessing.get_context("spawn")
    out = context.Queue(maxsize=4)
    child = context.Process(target=_produce, args=(values, out, batch, load), daemon=True)
    child.start()
    try:
        while True:
            try:
                item = out.get(timeout=5)
            except queues.Empty:
                if not child.is_alive():
                    raise RuntimeError(f"the search document loader exited with code {child.exitcode}") from None
                continue
            if item == _DONE:
                break
            if isinstance(item, str):
                raise RuntimeError(f"the search document loader failed: {item}")
            yield from item
    finally:
        if child.is_alive():
            child.terminate()
        child.join(timeout=30)
        out.close()
