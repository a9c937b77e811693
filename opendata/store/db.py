"""Engines and sessions. SQLite gets WAL, a busy timeout and foreign keys (embedded mode)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from opendata.core.errors import Problem, StorageFullError


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, echo: bool = False) -> Engine:
    """Create an engine; for SQLite, create the folder and set the embedded-mode pragmas."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, echo=echo, connect_args={"check_same_thread": False,
                                                             "timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record) -> None:  # pragma: no cover - exercised everywhere
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory whose objects stay usable after commit (read-mostly services)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except OperationalError as exc:
        session.rollback()
        if database_full(exc):
            raise StorageFullError("the server could not write to its database: the disk is full; nothing was "
                                   "changed", problems=[Problem("storage-full", str(exc.orig), path="database")]
                                   ) from None
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_full(exc: OperationalError) -> bool:
    """Whether the database refused a write for lack of room (SQLite SQLITE_FULL, PostgreSQL 53100)."""
    orig = exc.orig
    return (getattr(orig, "sqlite_errorname", "") == "SQLITE_FULL" or getattr(orig, "pgcode", None) == "53100"
            or "disk is full" in str(orig) or "No space left" in str(orig))
