"""The tables behind analysed text: the term table (ids and pinyin keys) and the user dictionary.

Term ids are assigned once and never reused until a full rebuild (which starts a new *terms epoch*),
so every process can extend its vocabulary with the rows added since it last looked.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from opendata.store.search_postings import MAX_TERM_ID, encode_batch
from opendata.store.search_text import add_words, index_tokens, is_cjk, normalize, teachable
from opendata.store.search_words import pinyin_keys

TERMS_DDL = """
CREATE TABLE IF NOT EXISTS term (id INTEGER PRIMARY KEY, text TEXT NOT NULL UNIQUE, cjk INTEGER NOT NULL,
                                 pinyin TEXT, initials TEXT);
CREATE TABLE IF NOT EXISTS word (text TEXT PRIMARY KEY);
"""


def teach(con: sqlite3.Connection, words: Iterable[str]) -> bool:
    """Add catalogue words to the stored user dictionary and to this process's segmenter; True if any was new."""
    fresh = {w for w in (normalize(x) for x in words) if teachable(w)}
    if not fresh:
        return False
    before = con.total_changes
    con.executemany("INSERT OR IGNORE INTO word(text) VALUES (?)", [(w,) for w in fresh])
    add_words(fresh)
    return con.total_changes != before


def stored_words(con: sqlite3.Connection) -> list[str]:
    return [r[0] for r in con.execute("SELECT text FROM word")]


class TermIds:
    """Ids of terms for one write, adding new terms (with their pinyin keys) to the term table.

    Ids are assigned here, inside the writer's transaction, so new terms go in with one statement
    per batch; ids already looked up are kept for the rest of the write.
    """

    MAX_KEPT = 500_000  # terms remembered during one write (a rebuild meets millions of identifiers)

    def __init__(self, con: sqlite3.Connection):
        self.con = con
        self.known: dict[str, int] = {}
        self.next_id = max_term_id(con) + 1

    def __call__(self, tokens: set[str]) -> dict[str, int]:
        if len(self.known) > self.MAX_KEPT:
            self.known.clear()
        wanted = sorted(t for t in tokens if t not in self.known)
        for i in range(0, len(wanted), 500):
            chunk = wanted[i:i + 500]
            self.known.update(self.con.execute(
                f"SELECT text, id FROM term WHERE text IN ({', '.join('?' * len(chunk))})", chunk).fetchall())
        missing = [t for t in wanted if t not in self.known]
        if missing:
            if self.next_id + len(missing) > MAX_TERM_ID:
                raise OverflowError("the search index has run out of term ids; delete search.sqlite3 and reindex")
            keys = pinyin_keys(missing)
            rows = []
            for text in missing:
                full, initials = keys.get(text, (None, None))
                rows.append((self.next_id, text, int(is_cjk(text)), full, initials))
                self.known[text] = self.next_id
                self.next_id += 1
            self.con.executemany("INSERT INTO term(id, text, cjk, pinyin, initials) VALUES (?, ?, ?, ?, ?)", rows)
        return self.known


def analyse(term_ids: TermIds, documents: Sequence[Sequence[str]]) -> list[bytes]:
    """Stored terms of documents given as their field texts (title, keywords, description, columns)."""
    fields = [[index_tokens(text) for text in doc] for doc in documents]
    ids = term_ids({t for doc in fields for tokens in doc for t in tokens})
    return encode_batch([[[ids[t] for t in tokens] for tokens in doc] for doc in fields])


def new_cjk_terms(con: sqlite3.Connection, after: int) -> sqlite3.Cursor:
    """CJK terms added after id ``after``: (id, text, full pinyin, initials)."""
    return con.execute("SELECT id, text, pinyin, initials FROM term WHERE id > ? AND cjk = 1 ORDER BY id", (after,))


def max_term_id(con: sqlite3.Connection) -> int:
    return con.execute("SELECT coalesce(max(id), 0) FROM term").fetchone()[0]
