"""Everything one process holds: configuration, database engine and sessions, the artifact store, caches,
and the services' per-process parts (row engine, search index, usage counter, job runner).

No module keeps per-process state in a global: a service asks ``runtime.part(name, make)`` for its
part, made on first use, and :meth:`Runtime.close` stops every part in :data:`CLOSE_ORDER`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from opendata.config import Config
from opendata.store.artifacts import ArtifactStore, LocalArtifactStore
from opendata.store.commitcache import CommitCache
from opendata.store.db import make_engine, make_session_factory

T = TypeVar("T")
# workers stop first (they write), the usage counter flushes while the database and index are open
CLOSE_ORDER = ("notifier", "jobs", "tasks", "usage", "rows", "search")


@dataclass(eq=False)
class Runtime:
    """Built once per process from the configuration (CLI command or app)."""

    config: Config
    _initialized: bool = field(default=False, init=False, repr=False, compare=False)
    _parts: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    # reentrant: making one part may need another (the usage counter flushes into the search index)
    _parts_lock: threading.RLock = field(default_factory=threading.RLock, init=False, repr=False, compare=False)

    def part(self, name: str, make: Callable[[], T]) -> T:
        """This process's one ``name`` (made by ``make`` on first use, kept until :meth:`close`)."""
        found = self._parts.get(name)
        if found is None:
            with self._parts_lock:
                found = self._parts.get(name)
                if found is None:
                    found = self._parts[name] = make()
        return found

    @cached_property
    def engine(self) -> Engine:
        return make_engine(self.config.database_url, busy_timeout_ms=self.config.SQLITE_BUSY_TIMEOUT_MS,
                           echo=self.config.SQL_ECHO)

    @cached_property
    def sessions(self) -> sessionmaker[Session]:
        return make_session_factory(self.engine)

    @cached_property
    def read_cache(self) -> CommitCache:
        """Answers of hot read paths, kept until the next commit to the database."""
        return CommitCache(self.engine)

    @cached_property
    def artifacts(self) -> ArtifactStore:
        """The artifact store: the local folder $OPENDATA_HOME/artifacts (the embedded default) or a bucket."""
        c = self.config
        if c.ARTIFACT_STORE == "s3":
            from opendata.store.s3_artifacts import S3ArtifactStore  # boto3 only where it is used

            return S3ArtifactStore(bucket=c.S3_BUCKET, prefix=c.S3_PREFIX, cache_dir=c.folder.cache,
                                   endpoint_url=c.S3_ENDPOINT_URL, region=c.S3_REGION,
                                   access_key_id=c.S3_ACCESS_KEY_ID, secret_access_key=c.S3_SECRET_ACCESS_KEY,
                                   part_bytes=c.S3_PART_MB * 1024 * 1024)
        return LocalArtifactStore(c.artifacts_dir, documents=c.home)

    def is_initialized(self) -> bool:
        """True when the database has been migrated (has the alembic version table).

        Asked of the database until it says yes, then remembered: /api/v1/status is polled by
        health checks, and a migrated database does not become unmigrated under a running process.
        """
        if not self._initialized:
            self._initialized = inspect(self.engine).has_table("alembic_version")
        return self._initialized

    def close(self) -> None:
        """Stop every part (jobs, usage counter flushed, row engine, search index), then the database."""
        with self._parts_lock:
            parts, self._parts = self._parts, {}
        for name in sorted(parts, key=lambda n: CLOSE_ORDER.index(n) if n in CLOSE_ORDER else len(CLOSE_ORDER)):
            _stop(parts[name])
        if "read_cache" in self.__dict__:
            self.read_cache.close()
        if "engine" in self.__dict__:
            self.engine.dispose()


def _stop(part: Any) -> None:
    for method in ("shutdown", "stop", "close"):
        stop = getattr(part, method, None)
        if callable(stop):
            stop()
            return
