"""The vocabulary of the search index: term text -> id, and the look-ups a query needs.

Terms only ever get added (ids are never reused), so a process extends its copy with the rows
added since it last looked. Chinese terms are kept in memory, by character and by pinyin, for
look-ups no database index answers: CJK terms containing a string (云溪 finds 云溪县) and CJK terms
by full pinyin or initials (``caizheng`` and ``cz`` find 财政). Latin and numeric terms, which a large
catalogue has millions of (identifiers, codes), stay in SQLite: exact and prefix look-ups there
use the term table's index (``enrol`` finds ``enrolment``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable

MAX_CANDIDATES = 5000  # containing / prefix candidates examined per look-up


class Vocabulary:
    """CJK term ids by text, by character and by pinyin; Latin terms through the term table."""

    def __init__(self, connection: Callable[[], sqlite3.Connection]):
        self._connection = connection
        self.cjk: dict[str, int] = {}
        self.texts: dict[int, str] = {}
        self.last_id = 0
        self._by_char: dict[str, list[int]] = {}
        self._pinyin: dict[str, list[int]] = {}

    def extend(self, rows: Iterable[tuple[int, str, str | None, str | None]]) -> None:
        """Add CJK terms ``(id, text, full pinyin, initials)`` (ids above the last seen)."""
        for term_id, text, full, initials in rows:
            if term_id in self.texts:
                continue
            self.cjk[text] = term_id
            self.texts[term_id] = text
            self.last_id = max(self.last_id, term_id)
            for ch in set(text):
                self._by_char.setdefault(ch, []).append(term_id)
            for key in {full, initials} - {None, ""}:
                self._pinyin.setdefault(key, []).append(term_id)

    def exact(self, text: str) -> int | None:
        term_id = self.cjk.get(text)
        if term_id is None:
            row = self._connection().execute("SELECT id FROM term WHERE text = ?", (text,)).fetchone()
            term_id = row[0] if row else None
        return term_id

    def prefixed(self, prefix: str) -> list[int]:
        """Ids of Latin terms that start with ``prefix`` (the term itself included)."""
        return [r[0] for r in self._connection().execute(
            "SELECT id FROM term WHERE text >= ? AND text < ? AND cjk = 0 LIMIT ?",
            (prefix, prefix + "\U0010ffff", MAX_CANDIDATES))]

    def containing(self, text: str) -> list[int]:
        """Ids of CJK terms longer than ``text`` that contain it."""
        lists = [self._by_char.get(ch, []) for ch in set(text)]
        if not lists or not all(lists):
            return []
        shortest = min(lists, key=len)
        return [t for t in shortest[:MAX_CANDIDATES] if len(self.texts[t]) > len(text) and text in self.texts[t]]

    def has_pinyin(self, key: str) -> bool:
        return key in self._pinyin

    def by_pinyin(self, key: str) -> list[int]:
        """Ids of CJK terms whose full pinyin or initials are ``key``."""
        return list(self._pinyin.get(key, ()))
