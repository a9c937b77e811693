"""A per-process cache of read results, dropped whenever anything is committed to the database.

Hot read paths (a download resolves its dataset, version and file on every request) can keep an
answer until the next commit by anyone. With SQLite, ``PRAGMA data_version`` on a connection of
the cache's own, which never writes, changes whenever another connection commits, in this process
or another (https://sqlite.org/pragma.html#pragma_data_version). Reading it is a few microseconds,
against the hundreds a query through the ORM layers costs when the CPU caches are cold (a worker
that has just sent a 24 MB file).

With PostgreSQL the watch is ``pg_current_snapshot()`` read on an autocommit connection of the
cache's own: its text (xmin:xmax:in-progress ids) changes whenever a transaction that wrote
anything ends, on any connection of any replica, and never when only reads run (read-only
transactions take no transaction id). One round trip to the server (~0.1 ms on loopback) instead
of the three queries a download resolves. Other databases have no watch: there the cache never
hits, and every read goes to the database as before.

Order matters and is kept by the callers' protocol: the version is read *before* the query, and an
answer is stored only under that version, so an answer computed across a commit is dropped at the
next lookup instead of being served as current.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Hashable
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.pool import PoolProxiedConnection

_MISSING = object()


class CommitCache:
    """``lookup(key)`` → (found, value or the version to store under); ``store(key, value, version)``."""

    def __init__(self, engine: Engine, *, max_entries: int = 4096):
        url = engine.url
        self._path = url.database if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            else None
        self._engine = engine if url.get_backend_name() == "postgresql" else None
        self._watch: PoolProxiedConnection | None = None
        self._max = max_entries
        self._lock = threading.Lock()
        self._entries: dict[Hashable, Any] = {}
        self._version: int | str | None = None
        self._con: sqlite3.Connection | None = None
        self._pid = 0

    def lookup(self, key: Hashable) -> tuple[bool, Any]:
        """(True, value) for an answer stored since the last commit; else (False, version or None)."""
        with self._lock:
            version = self._data_version()
            if version is None:
                return False, None
            if version != self._version:
                self._entries.clear()
                self._version = version
            value = self._entries.get(key, _MISSING)
        return (False, version) if value is _MISSING else (True, value)

    def store(self, key: Hashable, value: Any, version: int | str | None) -> None:
        """Keep ``value`` if nothing was committed since ``version`` was read (by :meth:`lookup`)."""
        if version is None:
            return
        with self._lock:
            if version == self._version:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[key] = value

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
            if self._watch is not None:
                self._watch.invalidate()  # closes the driver's connection instead of pooling it in autocommit
                self._watch = None
            self._entries.clear()

    def _data_version(self) -> int | str | None:
        if self._engine is not None:
            return self._snapshot()
        if self._path is None:
            return None
        if self._con is None or self._pid != os.getpid():  # a connection never crosses a fork
            self._con = sqlite3.connect(self._path, check_same_thread=False, isolation_level=None)
            self._pid = os.getpid()
        return self._con.execute("PRAGMA data_version").fetchone()[0]

    def _snapshot(self) -> str:
        """PostgreSQL's current snapshot as text: it moves when any writing transaction ends."""
        if self._watch is None or self._pid != os.getpid():  # a connection never crosses a fork
            self._watch = self._open_watch()
            self._pid = os.getpid()
        try:
            return self._read_snapshot()
        except Exception:
            # the server restarted or the connection dropped: reconnect once; a second failure propagates
            self._watch.invalidate()
            self._watch = self._open_watch()
            return self._read_snapshot()

    def _open_watch(self) -> PoolProxiedConnection:
        # The driver's own connection in autocommit, read without SQLAlchemy's statement layers: this
        # check runs on every cached read, and through Connection.execute it cost several times the
        # round trip itself. Taken from the engine's pool (its connect arguments and events apply) and
        # never given back: close() discards it, so no autocommit connection returns to the pool.
        raw = self._engine.raw_connection()
        raw.driver_connection.autocommit = True
        return raw

    def _read_snapshot(self) -> str:
        cursor = self._watch.driver_connection.execute("SELECT pg_current_snapshot()::text")
        return cursor.fetchone()[0]
