"""The catalogue search index: SQLite FTS5 over pre-segmented text, facets counted in memory.

Chinese has no spaces, so text is segmented (:mod:`opendata.store.segment`) before it reaches
FTS5, whose ``unicode61`` tokenizer then only splits on the spaces we put in. The index is its
own SQLite file (``$OPENDATA_HOME/search.sqlite3``), shared by every server process; each
process keeps a numpy snapshot of the facet columns, reloaded when the index's generation
changes, so filters, facet counts, sorting and totals cost a few array passes.

The interface (:class:`SearchDoc`, :class:`SearchQuery`, :class:`SearchHits` and the methods of
:class:`SqliteSearchIndex`) is what a PostgreSQL implementation would provide too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from opendata.store.search_snapshot import (
    IDENTIFIER,
    SEP,
    SNAPSHOT_SELECT,
    Snapshot,
    top,
)
from opendata.store.segment import match_expression, segment

FACETS = ("theme", "publisher", "format", "disclosure", "frequency", "keyword", "license")
SORTS = ("relevance", "modified", "title", "downloads", "identifier")
FORMAT = "3"  # bump when the tables change: an older index file is rebuilt from the database
CACHE_SIZE = 512  # answers kept per process; keyed by the index generation, so never stale
MATCH_CACHE_SIZE = 256  # full-text matches kept per process (queries share a few common words)
_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, title TEXT NOT NULL, modified REAL NOT NULL,
    listed INTEGER NOT NULL, downloads INTEGER NOT NULL DEFAULT 0, theme TEXT, publisher TEXT,
    frequency TEXT, disclosure TEXT, formats TEXT NOT NULL, keywords TEXT NOT NULL,
    publisher_name TEXT, summary TEXT, license TEXT);
CREATE VIRTUAL TABLE IF NOT EXISTS doc_fts USING fts5(
    title, description, keywords, columns, tokenize = 'unicode61 remove_diacritics 0');
"""
_DROP = "DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS doc; DROP TABLE IF EXISTS doc_fts;"


@dataclass
class SearchDoc:
    """What the index knows of one dataset."""

    id: int
    identifier: str
    title: str
    description: str = ""
    keywords: Sequence[str] = ()
    columns: Sequence[str] = ()  # field names, titles and descriptions from the Table Schema
    theme: str | None = None
    publisher: str | None = None
    frequency: str | None = None
    disclosure: str | None = None
    formats: Sequence[str] = ()
    modified: float = 0.0  # POSIX timestamp
    listed: bool = True
    downloads: int = 0
    publisher_name: str | None = None
    license: str | None = None
    summary: str | None = None  # the JSON list form shown to anonymous callers, stored for speed


@dataclass(frozen=True)
class Clause:
    """A condition on one facet (or ``identifier``): any of ``values``; negated, none of them."""

    name: str
    values: tuple[str, ...]
    negated: bool = False


@dataclass
class SearchQuery:
    """A catalogue search: text, facet filters (OR within a facet, AND across), sort and page.

    ``clauses`` and the ``modified_`` bounds (POSIX timestamps, inclusive) are ANDed with the
    filters; ``descending`` reverses a sort's own direction when it is set to the other one.
    """

    q: str | None = None
    filters: dict[str, Sequence[str]] = field(default_factory=dict)
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    include_unlisted: bool = False
    facet_limit: int = 50
    clauses: tuple[Clause, ...] = ()
    modified_from: float | None = None
    modified_to: float | None = None
    descending: bool | None = None

    def cache_key(self) -> tuple:
        return (self.q, tuple(sorted((k, tuple(v)) for k, v in self.filters.items())), self.sort, self.offset,
                self.limit, self.include_unlisted, self.facet_limit, self.clauses, self.modified_from,
                self.modified_to, self.descending)


@dataclass
class SearchHits:
    """One page of dataset ids in order (with stored summaries), the total, and facet counts."""

    ids: list[int]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    summaries: dict[int, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # facet -> value -> stored label


class SqliteSearchIndex:
    """The embedded search index (one SQLite file; safe across threads and processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self._cache: OrderedDict[tuple, SearchHits] = OrderedDict()
        self._matches: OrderedDict[tuple, np.ndarray] = OrderedDict()

    # -- connections -----------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_DDL)
            row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is None or row[0] != FORMAT:
                con.executescript(_DROP + _DDL)
                con.execute("INSERT INTO meta(key, value) VALUES ('format', ?)", (FORMAT,))
            self._local.con = con
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    def get_meta(self, key: str, default: str | None = None) -> str | None:
        row = self._con().execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _set_meta(self, con: sqlite3.Connection, key: str, value: str) -> None:
        con.execute("INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value))

    def _bump(self, con: sqlite3.Connection, key: str = "generation") -> None:
        con.execute("INSERT INTO meta(key, value) VALUES (?, '1') ON CONFLICT(key) DO UPDATE "
                    "SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)", (key,))

    # -- writing ---------------------------------------------------------------------------------
    def write(self, docs: Iterable[SearchDoc], *, remove: Iterable[int] = (), replace_all: bool = False,
              indexed_seq: int | None = None) -> None:
        """Insert or replace documents (or all of them) in one transaction; record the change seq."""
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            if replace_all:
                con.execute("DELETE FROM doc")
                con.execute("DELETE FROM doc_fts")
            for ident in remove:
                con.execute("DELETE FROM doc WHERE id = ?", (ident,))
                con.execute("DELETE FROM doc_fts WHERE rowid = ?", (ident,))
            for d in docs:
                self._write_doc(con, d, fresh=replace_all)
            if indexed_seq is not None:
                self._set_meta(con, "indexed_seq", str(indexed_seq))
            self._bump(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def _write_doc(self, con: sqlite3.Connection, d: SearchDoc, *, fresh: bool) -> None:
        if not fresh:
            row = con.execute("SELECT downloads FROM doc WHERE id = ?", (d.id,)).fetchone()
            downloads = max(d.downloads, row[0]) if row else d.downloads
            con.execute("DELETE FROM doc_fts WHERE rowid = ?", (d.id,))
        else:
            downloads = d.downloads
        con.execute("INSERT OR REPLACE INTO doc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.id, d.identifier, d.title, d.modified, int(d.listed), downloads, d.theme, d.publisher,
                     d.frequency, d.disclosure, SEP.join(d.formats), SEP.join(d.keywords),
                     d.publisher_name, d.summary, d.license))
        con.execute("INSERT INTO doc_fts(rowid, title, description, keywords, columns) VALUES (?, ?, ?, ?, ?)",
                    (d.id, " ".join(segment(d.title)), " ".join(segment(d.description)),
                     " ".join(segment(" ".join(d.keywords))), " ".join(segment(" ".join(d.columns)))))

    def add_downloads(self, deltas: dict[int, int]) -> None:
        """Add download counts (for sort=downloads) without invalidating the facet snapshot."""
        if not deltas:
            return
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany("UPDATE doc SET downloads = downloads + ? WHERE id = ?",
                            [(n, ident) for ident, n in deltas.items()])
            self._bump(con, "downloads_gen")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def count(self) -> int:
        return self._con().execute("SELECT count(*) FROM doc").fetchone()[0]

    # -- reading ---------------------------------------------------------------------------------
    def _current(self) -> Snapshot:
        con = self._con()
        meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'downloads_gen')"))
        generation, downloads_gen = meta.get("generation", "0"), meta.get("downloads_gen", "0")
        snap = self._snapshot
        if snap is None or snap.generation != generation:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != generation:
                    rows = con.execute(SNAPSHOT_SELECT).fetchall()
                    snap = Snapshot(rows, generation, downloads_gen)
                    self._snapshot = snap
        return snap

    def _fresh_downloads(self, snap: Snapshot) -> np.ndarray:
        gen = self.get_meta("downloads_gen", "0")
        if gen != snap.downloads_gen:
            rows = self._con().execute("SELECT id, downloads FROM doc ORDER BY id").fetchall()
            if len(rows) == len(snap.ids):
                snap.downloads = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
                snap.downloads_gen = gen
        return snap.downloads

    def _match(self, snap: Snapshot, expression: str, column: str | None = None) -> np.ndarray:
        """Snapshot positions of the documents matching ``expression`` (cached per generation: few words are common)."""
        key = (snap.generation, expression, column)
        with self._lock:
            hit = self._matches.get(key)
            if hit is not None:
                self._matches.move_to_end(key)
                return hit
        text = expression if column is None else f"{column} : ({expression})"
        ids = [r[0] for r in self._con().execute("SELECT rowid FROM doc_fts WHERE doc_fts MATCH ?", (text,))]
        pos, known = snap.positions(ids)
        found = pos[known]
        with self._lock:
            self._matches[key] = found
            while len(self._matches) > MATCH_CACHE_SIZE:
                self._matches.popitem(last=False)
        return found

    def search(self, query: SearchQuery) -> SearchHits:
        """Match, filter, count facets, sort and page (answers are cached per index generation)."""
        snap = self._current()
        key = (snap.generation, self.get_meta("downloads_gen", "0") if query.sort == "downloads" else None,
               query.cache_key())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        hits = self._search(snap, query)
        with self._lock:
            self._cache[key] = hits
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return hits

    def _search(self, snap: Snapshot, query: SearchQuery) -> SearchHits:
        mask = np.ones(len(snap.ids), dtype=bool) if query.include_unlisted else snap.listed.copy()
        tier = None
        expression = match_expression(query.q) if query.q else None
        if query.q and expression is None:
            mask[:] = False
        elif expression is not None:
            matched = np.zeros(len(snap.ids), dtype=bool)
            matched[self._match(snap, expression)] = True
            mask &= matched
            if query.sort == "relevance":
                # relevance: datasets with every word in the title first, then the rest; newest first within
                tier = np.zeros(len(snap.ids), dtype=np.int64)
                tier[self._match(snap, expression, "title")] = 1
        for name, wanted in query.filters.items():
            if wanted:
                mask &= snap.facet_mask(name, wanted)
        for clause in query.clauses:
            found = snap.facet_mask(clause.name, clause.values)
            mask &= ~found if clause.negated else found
        if query.modified_from is not None:
            mask &= snap.modified >= query.modified_from
        if query.modified_to is not None:
            mask &= snap.modified <= query.modified_to
        facets = {name: snap.facet_counts(name, mask, query.facet_limit) for name in FACETS}
        idx = np.nonzero(mask)[0]
        total = int(len(idx))
        page = top(idx, self._sort_keys(snap, idx, query, tier), query.offset, query.limit)
        ids = [int(i) for i in snap.ids[page]]
        return SearchHits(ids=ids, total=total, facets=facets, summaries=self._summaries(ids),
                          labels={"publisher": snap.publisher_names})

    def _sort_keys(self, snap: Snapshot, idx: np.ndarray, query: SearchQuery,
                   tier: np.ndarray | None) -> list[np.ndarray]:
        """Sort keys for np.lexsort (the last is primary; ties fall back to newest, then id)."""
        sign = -1 if query.descending else 1  # ascending order of the key, or reversed
        if query.sort == "title":
            return [snap.title_rank[idx] * sign]
        if query.sort == IDENTIFIER:
            return [snap.identifier_rank[idx] * sign]
        sign = 1 if query.descending is False else -1  # the others are newest / most first by nature
        if query.sort == "downloads":
            return [snap.ids[idx], -snap.modified[idx], self._fresh_downloads(snap)[idx] * sign]
        if query.sort == "relevance" and tier is not None:
            return [snap.ids[idx], -snap.modified[idx], -tier[idx]]
        return [snap.ids[idx], snap.modified[idx] * sign]  # modified (also relevance without a text query)

    def _summaries(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        return {r[0]: r[1] for r in self._con().execute(
            f"SELECT id, summary FROM doc WHERE id IN ({marks}) AND summary IS NOT NULL", ids)}
