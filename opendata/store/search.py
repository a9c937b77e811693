"""The catalogue search index: documents, their analysed terms and the user dictionary in SQLite.

Text is analysed when a document is written (:mod:`opendata.store.search_text`: jieba for Chinese,
taught the catalogue's own words) and stored as term ids per field; the term table gives each term's
text and pinyin keys. The index is its own SQLite file (``$OPENDATA_HOME/search.sqlite3``), shared
by every server process; each process keeps in memory, per index generation, the facet columns as
numpy arrays (:mod:`opendata.store.search_snapshot`) and the postings with BM25F weights
(:mod:`opendata.store.search_postings`), so a search is a few array passes: match
(:mod:`opendata.store.search_query`), filter, count facets, score the page's candidates, sort.

The interface (:class:`SearchDoc`, :class:`SearchQuery`, :class:`SearchHits` and the methods of
:class:`SqliteSearchIndex`) is what a PostgreSQL implementation would provide too.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

import numpy as np

from opendata.store.search_query import Matches, evaluate, resolve
from opendata.store.search_segments import (
    Base,
    State,
    compile_base,
    empty_base,
    load_state,
    needs_compaction,
    open_base,
    prune_bases,
)
from opendata.store.search_snapshot import IDENTIFIER, SEP, ScoreTable, Snapshot, scores_at, top
from opendata.store.search_terms import (
    TERMS_DDL,
    TermIds,
    analyse,
    new_cjk_terms,
    stored_words,
    teach,
)
from opendata.store.search_text import add_words, plan_query
from opendata.store.search_vocab import Vocabulary
from opendata.store.search_words import synonym_words

FACETS = ("theme", "publisher", "format", "disclosure", "frequency", "keyword", "license")
SORTS = ("relevance", "modified", "title", "downloads", "identifier", "quality")
FORMAT = "6"  # bump when the tables (or the form of what they hold) change: an older index file is rebuilt
CACHE_SIZE = 512  # answers kept per process; keyed by the index generation, so never stale
MATCH_CACHE_BYTES = 64 * 2**20  # text matches kept per process (queries share a few common words)
WRITE_BATCH = 1000  # documents analysed and written per step of a write
WRITE_WAIT = 600  # seconds a writer waits for another (compiling a base of a million documents takes a while)
_DDL = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS doc (
    id INTEGER PRIMARY KEY, identifier TEXT NOT NULL, title TEXT NOT NULL, modified REAL NOT NULL,
    listed INTEGER NOT NULL, downloads INTEGER NOT NULL DEFAULT 0, theme TEXT, publisher TEXT,
    frequency TEXT, disclosure TEXT, formats TEXT NOT NULL, keywords TEXT NOT NULL,
    publisher_name TEXT, summary TEXT, license TEXT, terms BLOB NOT NULL, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS doc_seq ON doc(seq);
CREATE TABLE IF NOT EXISTS removed (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
"""
_DROP = ("DROP TABLE IF EXISTS meta; DROP TABLE IF EXISTS doc; DROP TABLE IF EXISTS doc_fts; "
         "DROP TABLE IF EXISTS term; DROP TABLE IF EXISTS word; DROP TABLE IF EXISTS removed;")


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
    title_en: str | None = None  # searched as part of the title
    words: Sequence[str] = ()  # catalogue words it brings to the segmenter (keywords, theme, publisher)


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
    scores: ScoreTable | None = None  # each dataset's quality score, for sort="quality" and score_min
    score_min: int | None = None

    def cache_key(self) -> tuple:
        return (self.q, tuple(sorted((k, tuple(v)) for k, v in self.filters.items())), self.sort, self.offset,
                self.limit, self.include_unlisted, self.facet_limit, self.clauses, self.modified_from,
                self.modified_to, self.descending, self.scores.token if self.scores else None, self.score_min)


@dataclass
class SearchHits:
    """One page of dataset ids in order (with stored summaries), the total, and facet counts."""

    ids: list[int]
    total: int
    facets: dict[str, list[tuple[str, int]]]
    summaries: dict[int, str] = field(default_factory=dict)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)  # facet -> value -> stored label


class SqliteSearchIndex:
    """The embedded search index (one SQLite file; safe across threads and processes).

    ``synonyms`` maps a word to the words it also finds (:func:`opendata.store.search_words.load_synonyms`);
    ``pinyin`` lets a Latin word that no indexed word starts with be read as pinyin.
    """

    def __init__(self, path: str | Path, *, synonyms: dict[str, tuple[str, ...]] | None = None,
                 pinyin: bool = True):
        self.path = Path(path)
        self.synonyms = synonyms or {}
        self.pinyin = pinyin
        self._local = threading.local()
        self._lock = threading.Lock()
        self._state: State | None = None
        self._generation: tuple[str, str] | None = None
        self._base: Base | None = None
        self._vocab = Vocabulary(self._con)
        self._words_gen: str | None = None
        self._facets: OrderedDict[tuple, dict] = OrderedDict()
        self._cache: OrderedDict[tuple, SearchHits] = OrderedDict()
        self._matches: OrderedDict[tuple, Matches] = OrderedDict()
        self._matches_bytes = 0
        self._synonyms_taught = False

    # -- connections -----------------------------------------------------------------------------
    def _con(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            con = sqlite3.connect(self.path, timeout=WRITE_WAIT, isolation_level=None)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_DDL + TERMS_DDL)
            row = con.execute("SELECT value FROM meta WHERE key = 'format'").fetchone()
            if row is None or row[0] != FORMAT:
                con.executescript(_DROP + _DDL + TERMS_DDL)
                con.execute("INSERT INTO meta(key, value) VALUES ('format', ?)", (FORMAT,))
                prune_bases(self.path.parent, set())
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
              indexed_seq: int | None = None, words: Iterable[str] = ()) -> None:
        """Insert or replace documents (or all of them) in one transaction; record the change seq.

        ``words`` (and each document's own ``words``) join the user dictionary before any text is
        cut; a full rewrite starts the dictionary and the term table afresh.
        """
        self._teach_synonyms()
        con = self._con()
        con.execute("BEGIN IMMEDIATE")
        try:
            self._bump(con, "seq")
            seq = int(self._meta(con, "seq", "0"))
            if replace_all:  # documents and the user dictionary start afresh; term ids stay
                for table in ("doc", "removed", "word"):
                    con.execute(f"DELETE FROM {table}")
                self._bump(con, "words_gen")
            for ident in remove:
                con.execute("DELETE FROM doc WHERE id = ?", (ident,))
                con.execute("INSERT OR REPLACE INTO removed(id, seq) VALUES (?, ?)", (ident, seq))
            if teach(con, words):
                self._bump(con, "words_gen")
            term_ids = TermIds(con)
            for batch in _batches(docs, WRITE_BATCH):
                if teach(con, (w for d in batch for w in d.words)):
                    self._bump(con, "words_gen")
                terms = analyse(term_ids, [_field_texts(d) for d in batch])
                self._write_docs(con, batch, terms, seq, fresh=replace_all)
            if indexed_seq is not None:
                self._set_meta(con, "indexed_seq", str(indexed_seq))
            previous = self._meta(con, "base", "")
            if replace_all or needs_compaction(con, int(self._meta(con, "base_seq", "0")),
                                               int(self._meta(con, "base_docs", "0"))):
                name, count = compile_base(con, self.path.parent, seq)
                for key, value in (("base", name), ("base_seq", str(seq)), ("base_docs", str(count))):
                    self._set_meta(con, key, value)
                con.execute("DELETE FROM removed WHERE seq <= ?", (seq,))
            self._bump(con)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        current = self.get_meta("base", "")
        if current != previous:
            prune_bases(self.path.parent, {current, previous})

    def _meta(self, con: sqlite3.Connection, key: str, default: str) -> str:
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else default

    def _write_docs(self, con: sqlite3.Connection, docs: list[SearchDoc], terms: list[bytes], seq: int, *,
                    fresh: bool) -> None:
        """Insert or replace documents; a rewritten document keeps the larger download count."""
        known: dict[int, int] = {}
        if not fresh:
            marks = ", ".join("?" * len(docs))
            known = dict(con.execute(f"SELECT id, downloads FROM doc WHERE id IN ({marks})", [d.id for d in docs]))
        con.executemany("INSERT OR REPLACE INTO doc VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (d.id, d.identifier, d.title, d.modified, int(d.listed), max(d.downloads, known.get(d.id, 0)), d.theme,
             d.publisher, d.frequency, d.disclosure, SEP.join(d.formats), SEP.join(d.keywords), d.publisher_name,
             d.summary, d.license, t, seq) for d, t in zip(docs, terms, strict=True)])

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
    def _teach_synonyms(self) -> None:
        """Teach the segmenter the synonym table's words on first use (loading jieba is not free)."""
        if not self._synonyms_taught:
            add_words(synonym_words(self.synonyms))
            self._synonyms_taught = True

    def _current(self) -> State:
        self._teach_synonyms()
        con = self._con()
        meta = dict(con.execute("SELECT key, value FROM meta WHERE key IN ('generation', 'downloads_gen')"))
        generation = (meta.get("generation", "0"), meta.get("downloads_gen", "0"))
        state = self._state
        if state is None or self._generation[0] != generation[0]:
            with self._lock:
                if self._state is None or self._generation[0] != generation[0]:
                    self._load(con)
                state = self._state
        return state

    def _load(self, con: sqlite3.Connection) -> None:
        """Read one consistent generation: the base, documents written since, new terms and dictionary words."""
        con.execute("BEGIN")
        try:
            meta = dict(con.execute("SELECT key, value FROM meta"))
            self._vocab.extend(new_cjk_terms(con, self._vocab.last_id))
            if self._words_gen != meta.get("words_gen"):
                add_words(stored_words(con))
                self._words_gen = meta.get("words_gen")
            name = meta.get("base", "")
            if self._base is None or self._base.name != name:
                self._base = open_base(self.path.parent, name) if name else empty_base()
            state = load_state(con, self._base)
        finally:
            con.execute("COMMIT")
        state.snapshot.generation = meta.get("generation", "0")
        state.snapshot.downloads_gen = ""  # the base's counts are as compiled: read them again when sorted by
        self._state, self._generation = state, (state.snapshot.generation, state.snapshot.downloads_gen)
        # matches of an older generation are never asked for again, and each holds that generation's postings
        self._matches.clear()
        self._matches_bytes = 0

    def _fresh_downloads(self, snap: Snapshot) -> np.ndarray:
        """Download counts as the usage counter last added them (read again when they changed)."""
        gen = self.get_meta("downloads_gen", "0")
        if gen != snap.downloads_gen:
            rows = self._con().execute("SELECT id, downloads FROM doc WHERE downloads > 0").fetchall()
            downloads = np.zeros(len(snap.ids), dtype=np.int64)
            if rows:
                ids = np.array([r[0] for r in rows], dtype=np.int64)
                pos, known = snap.locate(ids)
                downloads[pos[known]] = np.array([r[1] for r in rows], dtype=np.int64)[known]
            snap.downloads, snap.downloads_gen = downloads, gen
        return snap.downloads

    def _match(self, state: State, q: str) -> Matches:
        """Documents matching the text ``q`` with their atom counts and scores (cached per generation)."""
        key = (state.snapshot.generation, q)
        with self._lock:
            hit = self._matches.get(key)
            if hit is not None:
                self._matches.move_to_end(key)
                return hit
        plan = plan_query(q, self.synonyms)
        found = evaluate(resolve(plan, self._vocab, state.postings, pinyin=self.pinyin), state.postings)
        with self._lock:
            if key not in self._matches and found.nbytes <= MATCH_CACHE_BYTES // 4:
                self._matches[key] = found
                self._matches_bytes += found.nbytes
                while self._matches_bytes > MATCH_CACHE_BYTES:
                    self._matches_bytes -= self._matches.popitem(last=False)[1].nbytes
        return found

    def search(self, query: SearchQuery) -> SearchHits:
        """Match, filter, count facets, sort and page (answers are cached per index generation)."""
        state = self._current()
        snap = state.snapshot
        key = (snap.generation, self.get_meta("downloads_gen", "0") if query.sort == "downloads" else None,
               query.cache_key())
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        hits = self._search(state, query)
        with self._lock:
            self._cache[key] = hits
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return hits

    def _search(self, state: State, query: SearchQuery) -> SearchHits:
        snap = state.snapshot
        visible = snap.alive if query.include_unlisted else snap.listed
        found = self._match(state, query.q) if query.q else None
        # idx: positions of the documents kept; at: where each is among the matches (to read their rank)
        if found is None:
            idx = np.flatnonzero(visible)
            at = None
        else:
            at = np.flatnonzero(visible[found.positions])
            idx = found.positions[at]

        def narrow(keep: np.ndarray) -> None:
            nonlocal idx, at
            kept = np.flatnonzero(keep)  # then a gather: several times faster than indexing by the mask
            idx, at = idx[kept], (None if at is None else at[kept])

        for name, wanted in query.filters.items():
            if wanted:
                narrow(snap.facet_filter(name, wanted, idx))
        for clause in query.clauses:
            inside = snap.facet_filter(clause.name, clause.values, idx)
            narrow(~inside if clause.negated else inside)
        if query.modified_from is not None:
            narrow(snap.modified[idx] >= query.modified_from)
        if query.modified_to is not None:
            narrow(snap.modified[idx] <= query.modified_to)
        scores = scores_at(snap, query.scores) if query.score_min is not None or query.sort == "quality" else None
        if query.score_min is not None:
            narrow(scores[idx] >= query.score_min)
        ranked, ranked_at = idx, at
        if query.sort == "relevance" and found is not None:
            ranked, ranked_at = _most_atoms(idx, at, found.atoms, query.offset + query.limit)
        primary, secondary = self._sort_keys(snap, ranked, query, found, ranked_at, scores)
        page = top(ranked, primary, secondary, query.offset, query.limit)
        ids = [int(i) for i in snap.ids[page]]
        return SearchHits(ids=ids, total=int(len(idx)), facets=self._facet_counts(snap, idx, query),
                          summaries=self._summaries(ids), labels={"publisher": snap.publisher_names})

    def _facet_counts(self, snap: Snapshot, idx: np.ndarray, query: SearchQuery) -> dict:
        """Facet counts of the matches (kept per generation: the pages of one search share them)."""
        key = (snap.generation, query.q, tuple(sorted((k, tuple(v)) for k, v in query.filters.items())),
               query.clauses, query.modified_from, query.modified_to, query.include_unlisted, query.facet_limit,
               query.scores.token if query.scores and query.score_min is not None else None, query.score_min)
        with self._lock:
            hit = self._facets.get(key)
        if hit is None:
            hit = snap.all_facet_counts(FACETS, idx, query.facet_limit)
            with self._lock:
                self._facets[key] = hit
                while len(self._facets) > CACHE_SIZE:
                    self._facets.popitem(last=False)
        return hit

    def _sort_keys(self, snap: Snapshot, idx: np.ndarray, query: SearchQuery, found: Matches | None,
                   at: np.ndarray | None, scores: np.ndarray | None = None,
                   ) -> tuple[np.ndarray, Callable[[np.ndarray], list[np.ndarray]]]:
        """The primary sort key of ``idx`` (ascending), and the tie-breaking keys of some positions, for
        np.lexsort (the last is most significant; ties fall back to newest, then id). The tie-breakers
        are read only for the candidates of the page: a million of them cost more than the search."""
        sign = -1 if query.descending else 1  # ascending order of the key, or reversed
        if query.sort == "title":
            return snap.title_key[idx] * sign, lambda pos: [snap.title_sub[pos] * sign]
        if query.sort == IDENTIFIER:
            return snap.ident_key[idx] * sign, lambda pos: [snap.ident_sub[pos] * sign]
        sign = 1 if query.descending is False else -1  # the others are newest / most first by nature
        if query.sort == "quality" and scores is not None:  # best first; unscored datasets (-1) last
            return scores[idx] * sign, lambda pos: [snap.ids[pos], -snap.modified[pos]]
        if query.sort == "downloads":
            downloads = self._fresh_downloads(snap)
            return downloads[idx] * sign, lambda pos: [snap.ids[pos], -snap.modified[pos]]
        if query.sort == "relevance" and found is not None:
            # atoms held first, then score, as one key: the page is found by one partition
            rank = found.atoms[at].astype(np.float64) * 1e6 + found.score(at)
            return -rank, lambda pos: [snap.ids[pos], -snap.modified[pos]]
        # modified (also relevance without a text query)
        return snap.modified[idx] * sign, lambda pos: [snap.ids[pos]]

    def _summaries(self, ids: list[int]) -> dict[int, str]:
        if not ids:
            return {}
        marks = ", ".join("?" * len(ids))
        return {r[0]: r[1] for r in self._con().execute(
            f"SELECT id, summary FROM doc WHERE id IN ({marks}) AND summary IS NOT NULL", ids)}


def _most_atoms(idx: np.ndarray, at: np.ndarray, atoms: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The matches that can be among the first ``k`` by relevance: those holding the most atoms, down
    to the fewest atoms that still leave ``k`` of them (atoms held rank before any score)."""
    held = atoms[at]
    if k <= 0 or len(held) <= k:
        return idx, at
    least = int(held.max())
    if np.count_nonzero(held == least) < k:  # the most atoms are too few: go down as far as needed
        counts = np.bincount(held)
        least = len(counts) - 1 - int(np.flatnonzero(np.cumsum(counts[::-1]) >= k)[0])
    if least <= int(held.min()):
        return idx, at
    kept = np.flatnonzero(held >= least)
    return idx[kept], at[kept]


def _field_texts(d: SearchDoc) -> list[str]:
    """A document's text per field: title (with the English title), keywords, description, columns."""
    return [" ".join(filter(None, [d.title, d.title_en])), " ".join(d.keywords), d.description, " ".join(d.columns)]


def _batches(items: Iterable[SearchDoc], size: int) -> Iterator[list[SearchDoc]]:
    it = iter(items)
    while batch := list(islice(it, size)):
        yield batch
