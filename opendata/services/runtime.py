"""Everything one process holds: configuration, database engine and sessions, the artifact store, caches."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine, inspect
from sqlalchemy.orm import Session, sessionmaker

from opendata.config import Config
from opendata.store.artifacts import LocalArtifactStore
from opendata.store.commitcache import CommitCache
from opendata.store.db import make_engine, make_session_factory


@dataclass
class Runtime:
    """Built once per process from the configuration (CLI command or app)."""

    config: Config
    _initialized: bool = field(default=False, init=False, repr=False, compare=False)

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
    def artifacts(self) -> LocalArtifactStore:
        return LocalArtifactStore(self.config.artifacts_dir)

    def is_initialized(self) -> bool:
        """True when the database has been migrated (has the alembic version table).

        Asked of the database until it says yes, then remembered: /api/v1/status is polled by
        health checks, and a migrated database does not become unmigrated under a running process.
        """
        if not self._initialized:
            self._initialized = inspect(self.engine).has_table("alembic_version")
        return self._initialized

    def close(self) -> None:
        if "read_cache" in self.__dict__:
            self.read_cache.close()
        if "engine" in self.__dict__:
            self.engine.dispose()
