"""The read cache is dropped at every commit, by this connection pool, another thread or another process."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import threading

from sqlalchemy import create_engine, text

from opendata.store.commitcache import CommitCache
from opendata.store.db import make_engine


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    return engine


def _write(engine, value: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})


def test_an_answer_is_kept_until_a_commit_through_the_engine(tmp_path):
    engine = _engine(tmp_path)
    cache = CommitCache(engine)
    found, version = cache.lookup("k")
    assert not found and version is not None
    cache.store("k", "answer", version)
    assert cache.lookup("k") == (True, "answer")
    with engine.connect() as conn:  # a read commits nothing
        conn.execute(text("SELECT count(*) FROM t")).scalar()
    assert cache.lookup("k") == (True, "answer")
    _write(engine, 1)
    assert cache.lookup("k")[0] is False
    cache.close()


def test_a_commit_from_another_thread_or_process_drops_the_answer(tmp_path):
    engine = _engine(tmp_path)
    cache = CommitCache(engine)
    cache.store("k", "answer", cache.lookup("k")[1])
    worker = threading.Thread(target=_write, args=(engine, 2))
    worker.start()
    worker.join()
    assert cache.lookup("k")[0] is False
    cache.store("k", "answer", cache.lookup("k")[1])
    code = (f"import sqlite3; c = sqlite3.connect({str(tmp_path / 'db.sqlite')!r}); "
            "c.execute('INSERT INTO t VALUES (3)'); c.commit()")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert cache.lookup("k")[0] is False
    cache.close()


def test_an_answer_computed_across_a_commit_is_not_kept(tmp_path):
    engine = _engine(tmp_path)
    cache = CommitCache(engine)
    found, version = cache.lookup("k")  # the version is read before the query ...
    _write(engine, 4)                   # ... someone commits while the query runs ...
    cache.store("k", "stale answer", version)
    assert cache.lookup("k")[0] is False  # ... and the answer is not served as current


def test_without_a_file_database_nothing_is_cached(tmp_path):
    for engine in (create_engine("sqlite://"), create_engine("sqlite:///:memory:")):
        cache = CommitCache(engine)
        found, version = cache.lookup("k")
        cache.store("k", "answer", version)
        assert (found, version) == (False, None) and cache.lookup("k") == (False, None)


def test_the_cache_stays_bounded(tmp_path):
    cache = CommitCache(_engine(tmp_path), max_entries=10)
    for i in range(25):
        cache.store(i, i, cache.lookup(i)[1])
    assert sum(cache.lookup(i)[0] for i in range(25)) <= 10
    assert cache.lookup(24) == (True, 24)


def test_the_watch_never_writes(tmp_path):
    engine = _engine(tmp_path)
    cache = CommitCache(engine)
    cache.lookup("k")
    other = sqlite3.connect(tmp_path / "db.sqlite")
    before = other.execute("PRAGMA data_version").fetchone()[0]
    for _ in range(5):
        cache.lookup("k")
    assert other.execute("PRAGMA data_version").fetchone()[0] == before
    other.close()
    cache.close()
