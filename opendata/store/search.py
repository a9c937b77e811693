"""The catalogue search index: SQLite FTS5 over pre-segmented text, facets counted in memory.

Chinese has no spaces, so text is segmented before it reaches FTS5: every run of CJK characters
becomes its unigrams and bigrams (a two-character word is one bigram token), other letters and
digits become lower-cased words. FTS5's ``unicode61`` tokenizer then only splits on the spaces we
put in. The index is its own SQLite file (``$OPENDATA_HOME/search.sqlite3``), shared by every
server process; each process keeps a numpy snapshot of the facet columns, reloaded when the
index's generation changes, so filters, facet counts, sorting and totals cost a few array passes.

The interface (:class:`SearchDoc`, :class:`SearchQuery`, :class:`SearchHits` and the methods of
:class:`SqliteSearchIndex`) is what a PostgreSQL implementation would provide too.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

SINGLE_FACETS = ("theme", "publisher", "frequency", "disclosure")
MULTI_FACETS = ("format", "keyword")
FACETS = ("theme", "publisher", "format", "disclosure", "frequency", "keyword")
SORTS = ("relevance", "modified", "title", "downloads")
_FTS_WEIGHTS = (10.0, 1.0, 5.0, 3.0)  # title, description, keywords, columns
_CJK = (r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f")
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")

_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, title TEXT NOT NULL, modified REAL NOT NULL,
    listed INTEGER NOT NULL, downloads INTEGER NOT NULL DEFAULT 0, theme TEXT, publisher TEXT,
    frequency TEXT, disclosure TEXT, formats TEXT NOT NULL, keywords TEXT NOT NULL);
CREATE VIRTUAL TABLE IF NOT EXISTS doc_fts USING fts5(
    title, description, keywords, columns, tokenize = 'unicode61 remove_diacritics 0');
"""


def segment(text: str) -> list[str]:
    """Index tokens of ``text``: CJK unigrams and bigrams, lower-cased words of other scripts."""
    tokens: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", text or "").lower()):
        if _IS_CJK.match(run):
            tokens.extend(run)
            tokens.extend(run[i:i + 2] for i in range(len(run) - 1))
        else:
            tokens.append(run)
    return tokens


def match_expression(query: str) -> str | None:
    """An FTS5 MATCH expression for a user's query (every term must match), or None if it has none."""
    terms: list[str] = []
    for run in _RUN.findall(unicodedata.normalize("NFKC", query or "").lower()):
        if _IS_CJK.match(run):
            terms.extend(f'"{b}"' for b in ([run] if len(run) == 1 else
                                            [run[i:i + 2] for i in range(len(run) - 1)]))
        else:
            terms.append(f'"{run}"*')  # prefix match: 'amount' finds 'amounts', 'air' finds 'air_quality'
    return " ".join(dict.fromkeys(terms)) or None


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


@dataclass
class SearchQuery:
    """A catalogue search: text, facet filters (OR within a facet, AND across), sort and page."""

    q: str | None = None
    filters: dict[str, Sequence[str]] = field(default_factory=dict)
    sort: str = "relevance"
    offset: int = 0
    limit: int = 20
    include_unlisted: bool = False
    facet_limit: int = 50


@dataclass
class SearchHits:
    """One page of dataset ids in order, the total, and facet counts over all matches."""

    ids: list[int]
    total: int
    facets: dict[str, list[tuple[str, int]]]


class _Snapshot:
    """Facet, sort and visibility columns of every document as numpy arrays."""

    def __init__(self, rows: list[tuple], generation: str, downloads_gen: str):
        self.generation, self.downloads_gen = generation, downloads_gen
        n = len(rows)
        self.ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        self.modified = np.fromiter((r[2] for r in rows), dtype=np.float64, count=n)
        self.listed = np.fromiter((bool(r[3]) for r in rows), dtype=bool, count=n)
        self.downloads = np.fromiter((r[4] for r in rows), dtype=np.int64, count=n)
        order = sorted(range(n), key=lambda i: (rows[i][1], rows[i][0]))
        self.title_rank = np.empty(n, dtype=np.int64)
        self.title_rank[order] = np.arange(n)
        self.single: dict[str, tuple[np.ndarray, list[str]]] = {}
        for j, name in enumerate(SINGLE_FACETS):
            values: dict[str, int] = {}
            codes = np.fromiter((values.setdefault(r[5 + j], len(values)) if r[5 + j] is not None else -1
                                 for r in rows), dtype=np.int64, count=n)
            self.single[name] = (codes, list(values))
        self.multi: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        for j, name in enumerate(MULTI_FACETS):
            values, pos, codes = {}, [], []
            for i, r in enumerate(rows):
                for v in dict.fromkeys(json.loads(r[9 + j])):
                    pos.append(i)
                    codes.append(values.setdefault(v, len(values)))
            self.multi[name] = (np.array(pos, dtype=np.int64), np.array(codes, dtype=np.int64), list(values))

    def positions(self, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """Positions of known ids, and a boolean array of which ids were known."""
        ids_arr = np.asarray(ids, dtype=np.int64)
        pos = np.searchsorted(self.ids, ids_arr)
        pos = np.minimum(pos, max(len(self.ids) - 1, 0))
        known = (self.ids[pos] == ids_arr) if len(self.ids) else np.zeros(len(ids_arr), bool)
        return pos, known

    def facet_mask(self, name: str, wanted: Sequence[str]) -> np.ndarray:
        if name in self.single:
            codes, values = self.single[name]
            lookup = {v: i for i, v in enumerate(values)}
            return np.isin(codes, [lookup[v] for v in wanted if v in lookup])
        pos, codes, values = self.multi[name]
        lookup = {v: i for i, v in enumerate(values)}
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[pos[np.isin(codes, [lookup[v] for v in wanted if v in lookup])]] = True
        return mask

    def facet_counts(self, name: str, mask: np.ndarray, limit: int) -> list[tuple[str, int]]:
        if name in self.single:
            codes, values = self.single[name]
            selected = codes[mask]
            counts = np.bincount(selected[selected >= 0], minlength=len(values))
        else:
            pos, codes, values = self.multi[name]
            counts = np.bincount(codes[mask[pos]], minlength=len(values))
        nonzero = np.nonzero(counts)[0]
        pairs = sorted(((values[i], int(counts[i])) for i in nonzero), key=lambda p: (-p[1], p[0]))
        return pairs[:limit]


class SqliteSearchIndex:
    """The embedded search index (one SQLite file; safe across threads and processes)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshot: _Snapshot | None = None

    # -- connections -----------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_DDL)
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
        con.execute("INSERT OR REPLACE INTO doc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (d.id, d.identifier, d.title, d.modified, int(d.listed), downloads, d.theme, d.publisher,
                     d.frequency, d.disclosure, json.dumps(list(d.formats), ensure_ascii=False),
                     json.dumps(list(d.keywords), ensure_ascii=False)))
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
    def _current(self) -> _Snapshot:
        con = self._con()
        meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'downloads_gen')"))
        generation, downloads_gen = meta.get("generation", "0"), meta.get("downloads_gen", "0")
        snap = self._snapshot
        if snap is None or snap.generation != generation:
            with self._lock:
                snap = self._snapshot
                if snap is None or snap.generation != generation:
                    rows = con.execute(f"SELECT id, title, modified, listed, downloads, {', '.join(SINGLE_FACETS)}, "
                                       "formats, keywords FROM doc ORDER BY id").fetchall()
                    snap = _Snapshot(rows, generation, downloads_gen)
                    self._snapshot = snap
        return snap

    def _fresh_downloads(self, snap: _Snapshot) -> np.ndarray:
        gen = self.get_meta("downloads_gen", "0")
        if gen != snap.downloads_gen:
            rows = self._con().execute("SELECT id, downloads FROM doc ORDER BY id").fetchall()
            if len(rows) == len(snap.ids):
                snap.downloads = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
                snap.downloads_gen = gen
        return snap.downloads

    def search(self, query: SearchQuery) -> SearchHits:
        """Match, filter, count facets, sort and page."""
        snap = self._current()
        mask = np.ones(len(snap.ids), dtype=bool) if query.include_unlisted else snap.listed.copy()
        score = None
        expression = match_expression(query.q) if query.q else None
        if query.q and expression is None:
            mask[:] = False
        elif expression is not None:
            rows = self._con().execute(
                f"SELECT rowid, bm25(doc_fts, {', '.join(map(str, _FTS_WEIGHTS))}) FROM doc_fts WHERE doc_fts MATCH ?",
                (expression,)).fetchall()
            matched = np.zeros(len(snap.ids), dtype=bool)
            score = np.zeros(len(snap.ids), dtype=np.float64)
            if rows:
                pos, known = snap.positions([r[0] for r in rows])
                matched[pos[known]] = True
                score[pos[known]] = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))[known]
            mask &= matched
        for name, wanted in query.filters.items():
            if wanted:
                mask &= snap.facet_mask(name, wanted)
        facets = {name: snap.facet_counts(name, mask, query.facet_limit) for name in FACETS}
        idx = np.nonzero(mask)[0]
        total = int(len(idx))
        ids = snap.ids[idx]
        if query.sort == "title":
            order = np.argsort(snap.title_rank[idx], kind="stable")
        elif query.sort == "downloads":
            order = np.lexsort((ids, -snap.modified[idx], -self._fresh_downloads(snap)[idx]))
        elif query.sort == "relevance" and score is not None:
            order = np.lexsort((ids, -snap.modified[idx], score[idx]))
        else:  # modified (also relevance without a text query): newest first
            order = np.lexsort((ids, -snap.modified[idx]))
        page = order[query.offset: query.offset + query.limit]
        return SearchHits(ids=[int(i) for i in ids[page]], total=total, facets=facets)
