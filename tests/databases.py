"""Which database the tests run on: SQLite files (the default) or a real PostgreSQL (``--database=postgresql``).

On PostgreSQL, every OPENDATA_HOME a test makes gets a database of its own, named after the folder:
``Config.database_url`` (when OPENDATA_DATABASE_URL is unset) maps the home to it, so the tests that
build a configuration from a home alone run unchanged. Migrated databases are cloned from one
template migrated once per run (CREATE DATABASE ... TEMPLATE), as SQLite copies one file.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import queue
import tempfile
import threading
from pathlib import Path

from opendata.config import Config
from opendata.store.migrate import upgrade_to_head
from scripts.services import PostgresServer

TEMPLATE = "opendata_template"
READY = 3  # databases of each kind kept made ahead by a background thread (CREATE DATABASE takes ~0.3 s)


def scratch_folder() -> Path:
    """A folder for a test server's files that the postgres user can reach: in memory (/dev/shm) when the
    machine has it, as the suite makes and drops hundreds of databases (copies of the template)."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK) else None
    return Path(tempfile.mkdtemp(prefix="opendata-pg-", dir=parent))


def name_for(home: Path) -> str:
    """The database of an OPENDATA_HOME (identifiers stay under PostgreSQL's 63 bytes)."""
    return "od_" + hashlib.sha256(str(Path(home).resolve()).encode()).hexdigest()[:24]


class PostgresDatabases:
    """One PostgreSQL server for the run; a database per home, empty or cloned from the migrated template."""

    def __init__(self, server: PostgresServer):
        self.server = server
        self._made: dict[str, Path] = {}  # database -> the home it serves
        self._lock = threading.Lock()
        self._template_ready = False
        self._counter = itertools.count()
        self._ready: dict[str | None, queue.Queue[str]] = {}
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    def url_for_home(self, home: Path) -> str:
        """The URL of the home's database, created empty on first use (as SQLite creates a new file)."""
        name = name_for(home)
        with self._lock:
            if name not in self._made:
                self._take(None, name)
                self._made[name] = Path(home)
        return self.server.url(name)

    def migrated_for_home(self, home: Path) -> str:
        """A migrated database for the home (a clone of the template), replacing any it had."""
        self._ensure_template()
        name = name_for(home)
        with self._lock:
            if name in self._made:
                self.server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self._take(TEMPLATE, name)
            self._made[name] = Path(home)
        return self.server.url(name)

    def copied_for_home(self, source: Path, home: Path) -> str:
        """A copy of ``source``'s database for the home (CREATE DATABASE ... TEMPLATE), replacing any it had.

        Nothing may be connected to the source's database (close its runtime first).
        """
        name, original = name_for(home), name_for(source)
        with self._lock:
            if name in self._made:
                self.server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.server.execute(f'CREATE DATABASE "{name}" TEMPLATE "{original}"')
            self._made[name] = Path(home)
        return self.server.url(name)

    def _take(self, template: str | None, name: str) -> None:
        """Rename a database made ahead (empty, or cloned from ``template``) to ``name``."""
        ready = self._ready.get(template)
        if ready is None:
            ready = self._ready[template] = queue.Queue(maxsize=READY)
            thread = threading.Thread(target=self._make_ahead, args=(template, ready), daemon=True)
            self._threads.append(thread)
            thread.start()
        self.server.execute(f'ALTER DATABASE "{ready.get(timeout=120)}" RENAME TO "{name}"')

    def _make_ahead(self, template: str | None, ready: queue.Queue[str]) -> None:
        while not self._stopping.is_set():
            spare = f"od_spare_{next(self._counter)}"
            self.server.execute(f'CREATE DATABASE "{spare}"' + (f" TEMPLATE {template}" if template else ""))
            while not self._stopping.is_set():
                try:
                    ready.put(spare, timeout=0.2)  # waits while READY are there already
                    break
                except queue.Full:
                    continue

    def close(self) -> None:
        """Stop making databases ahead (before the server stops)."""
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=60)

    def fresh_url(self, folder: Path) -> str:
        """An empty database that no home uses (migration tests), dropped with the test's folder."""
        return self.url_for_home(Path(folder) / "fresh-database")

    def drop_under(self, folder: Path) -> None:
        """Drop the databases of the homes under ``folder`` (a test's tmp_path, at its end)."""
        folder = Path(folder).resolve()
        with self._lock:
            gone = [name for name, home in self._made.items() if Path(home).resolve().is_relative_to(folder)]
            for name in gone:
                self.server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                del self._made[name]

    def _ensure_template(self) -> None:
        with self._lock:
            if self._template_ready:
                return
            self.server.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}", f"CREATE DATABASE {TEMPLATE}")
            upgrade_to_head(self.server.url(TEMPLATE))
            self._template_ready = True

    def route_configs(self):
        """Make ``Config.database_url`` answer the home's PostgreSQL database; returns the undo."""
        original = Config.database_url
        databases = self

        def database_url(config: Config) -> str:
            return config.values["DATABASE_URL"] or databases.url_for_home(config.home)

        Config.database_url = property(database_url)

        def undo() -> None:
            Config.database_url = original
        return undo
