"""On PostgreSQL the read cache is dropped at every writing commit, from any connection or process, and
kept across reads (the watch is the server's snapshot, which only writing transactions move).

The snapshot is the whole cluster's: these tests use a cluster of their own, where nothing else
writes (the suite's shared server makes databases in the background), with autovacuum off.
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest
from sqlalchemy import text

from opendata.store.commitcache import CommitCache
from opendata.store.db import make_engine
from scripts.services import PostgresServer
from tests.databases import scratch_folder

pytestmark = pytest.mark.postgresql


@pytest.fixture(scope="module")
def server():
    root = scratch_folder()
    server = PostgresServer(root).start(settings={"autovacuum": "off"})
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def engine(server, tmp_path):
    server.execute(f'CREATE DATABASE "{tmp_path.name}"')
    engine = make_engine(server.url(tmp_path.name))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    yield engine
    engine.dispose()


def _write(engine, value: int) -> None:
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO t VALUES (:x)"), {"x": value})


def test_an_answer_is_kept_across_reads_and_dropped_at_a_commit(engine):
    cache = CommitCache(engine)
    found, version = cache.lookup("k")
    assert not found and version is not None
    cache.store("k", "answer", version)
    for _ in range(3):  # reads on other connections commit nothing
        with engine.connect() as conn:
            conn.execute(text("SELECT count(*) FROM t")).scalar()
        assert cache.lookup("k") == (True, "answer")
    _write(engine, 1)
    assert cache.lookup("k")[0] is False
    cache.close()


def test_a_commit_from_another_process_drops_the_answer(engine):
    cache = CommitCache(engine)
    cache.store("k", "answer", cache.lookup("k")[1])
    url = engine.url.render_as_string(hide_password=False).replace("+psycopg", "")
    code = f"import psycopg; c = psycopg.connect({url!r}); c.execute('INSERT INTO t VALUES (3)'); c.commit()"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert cache.lookup("k")[0] is False
    cache.close()


def test_an_answer_computed_across_a_commit_is_not_kept(engine):
    cache = CommitCache(engine)
    found, version = cache.lookup("k")
    _write(engine, 4)
    cache.store("k", "stale answer", version)
    assert cache.lookup("k")[0] is False


def test_a_rolled_back_write_keeps_nothing_stale(engine):
    cache = CommitCache(engine)
    cache.store("k", "answer", cache.lookup("k")[1])
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO t VALUES (5)"))
        conn.rollback()
    found, value = cache.lookup("k")
    # an aborted write may drop the answer (harmless), never serve a changed one
    assert value == "answer" if found else value is not None
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar() == 0
    cache.close()


def test_the_watch_reconnects_after_the_server_drops_its_connection(engine):
    cache = CommitCache(engine)
    cache.store("k", "answer", cache.lookup("k")[1])
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE pid <> pg_backend_pid() AND datname = current_database()"))
    found, version = cache.lookup("k")
    assert version is not None
    _write(engine, 6)
    assert cache.lookup("k")[0] is False
    cache.close()


def test_closing_the_cache_gives_no_autocommit_connection_back_to_the_pool(engine):
    cache = CommitCache(engine)
    cache.store("k", "answer", cache.lookup("k")[1])
    assert cache.lookup("k") == (True, "answer")
    cache.close()
    # the watch's connection is in autocommit: were it pooled, a transaction on it would commit each statement
    pooled = [engine.connect() for _ in range(engine.pool.checkedin())]
    assert pooled and [c.connection.driver_connection.autocommit for c in pooled] == [False] * len(pooled)
    for conn in pooled:
        conn.close()
