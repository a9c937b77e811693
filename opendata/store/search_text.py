"""Search text analysis: words of Chinese (jieba) and other scripts, for documents and for queries.

Text is NFKC-normalized and lower-cased (full-width ＡＢＣ１２３ match abc123), then split into runs
of CJK characters and runs of other letters and digits. A CJK run is cut by jieba (jieba-rs through
rjieba: jieba's dictionary and algorithm, about thirty times faster than Python jieba, which
matters when a million datasets are indexed) without its HMM
(new-word guessing would make a document and a query of the same words disagree): documents in
search mode (every dictionary word inside a longer one too, so 义务教育 is indexed as 义务, 教育 and
义务教育), queries in precise mode. The jieba dictionary is jieba's own plus the catalogue's words
(keywords, theme and publisher names, the synonym table), added with :func:`add_words`.

A query becomes *atoms*, the units a dataset is scored on (how many of them it holds comes first in
the ranking): a query word that splits into dictionary words counts each of them (财政预算 counts
财政 and 预算; the whole word, its synonyms and indexed words containing it cover both), runs the
dictionary does not know count character by character but are also looked for inside indexed words
(云溪 finds 云溪县), and a Latin word is one atom matched as a prefix, or failing that as pinyin
(the index resolves that: :mod:`opendata.store.search_query`).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")
_ONLY_CJK = re.compile(rf"[{_CJK}]+")
# function words that carry no meaning in a dataset search (的, 和, 与 ...): neither indexed nor asked for
STOPWORDS = frozenset("的了和与及或之是等其把被于以为由从对在各该并且而")
_STOP_CHARS = set(STOPWORDS)
MAX_ATOMS = 32  # bits of the coverage mask; words past it still score but do not count
MAX_QUERY_CHARS = 200  # a longer query is cut here (a search box, not a document)
MAX_WORD_CHARS = 16  # catalogue words longer than this (whole sentences as keywords) are not taught
SYNONYM_WEIGHT, CONTAINS_WEIGHT = 0.9, 0.5

_lock = threading.Lock()  # rjieba's tokenizer refuses a call while another thread is inside it
_tokenizer = None
_taught: set[str] = set()


def _jieba():
    """The process's jieba tokenizer (loaded on first use: about a second); call it holding ``_lock``."""
    global _tokenizer
    if _tokenizer is None:
        import rjieba

        _tokenizer = rjieba.Jieba()
    return _tokenizer


def _cut(text: str) -> list[str]:
    """Precise-mode words of a CJK run."""
    with _lock:
        return _jieba().cut(text, False)


def _cut_for_search(text: str) -> list[str]:
    """Search-mode words of a CJK run: the precise words and the dictionary words inside them."""
    with _lock:
        return _jieba().cut_for_search(text, False)


def normalize(text: str | None) -> str:
    """NFKC, lower case: the form every token is made from."""
    return unicodedata.normalize("NFKC", text or "").lower()


def runs(text: str | None) -> list[str]:
    """Runs of CJK characters and runs of other letters and digits, normalized."""
    return _RUN.findall(normalize(text))


def is_cjk(token: str) -> bool:
    return bool(_IS_CJK.match(token))


def teachable(word: str) -> bool:
    """Whether a catalogue word goes into the jieba dictionary (CJK only, 2 to 16 characters)."""
    return 2 <= len(word) <= MAX_WORD_CHARS and bool(_ONLY_CJK.fullmatch(word))


def add_words(words: Iterable[str]) -> int:
    """Teach jieba words of the catalogue (once each per process); returns how many were new.

    jieba's ``add_word`` gives a word the frequency that makes it win over its parts, so a keyword
    such as 涉农补贴 or 三公经费 is cut as one word in documents and queries alike.
    """
    fresh = [w for w in {normalize(w) for w in words} if w not in _taught and teachable(w)]
    if not fresh:
        return 0
    with _lock:
        tokenizer = _jieba()
        for word in fresh:
            if word not in _taught:
                tokenizer.add_word(word, None, None)
                _taught.add(word)
    _run_tokens.cache_clear()  # cuts made before the word was known
    return len(fresh)


_SPLIT = re.compile(rf"([{_CJK}]+)|[^\W_{_CJK}]+")


def index_tokens(text: str | None) -> list[str]:
    """Index tokens of a document field: jieba's search-mode words of CJK runs, other words as they are."""
    if not text:
        return []
    tokens: list[str] = []
    for match in _SPLIT.finditer(unicodedata.normalize("NFKC", text).lower()):
        if match.group(1):
            tokens.extend(_run_tokens(match.group(1)))
        else:
            tokens.append(match.group(0))
    return tokens


def _longer_inner(tokenizer, word: str) -> list[str]:
    """Dictionary words of four characters or more strictly inside ``word``."""
    return [word[i:j] for i in range(len(word)) for j in range(i + 4, len(word) + 1)
            if j - i < len(word) and tokenizer.has_word(word[i:j])]


@lru_cache(maxsize=1 << 18)
def _run_tokens(run: str) -> tuple[str, ...]:
    """Index tokens of one normalized CJK run, stop words left out.

    Cached per run, not per field: a catalogue's descriptions repeat the same phrases (发布的,
    年度, 条记录 ...) between their numbers, so a rebuild of a million datasets cuts each phrase once.
    """
    with _lock:
        tokenizer = _jieba()
        words = tokenizer.cut_for_search(run, False)
        # search mode finds two- and three-character words inside a longer one; a taught word such
        # as 义务教育招生 also holds longer ones (义务教育) that a query may name
        inner = [i for w in words if len(w) > 4 for i in _longer_inner(tokenizer, w)]
    tokens = [*words, *inner]
    return tuple(t for t in tokens if t not in STOPWORDS) if _STOP_CHARS.intersection(run) else tuple(tokens)


# -- queries ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Ask:
    """One request to the vocabulary: ``kind`` is exact, contains, prefix or pinyin."""

    kind: str
    text: str
    weight: float
    atoms: int  # bit mask of the atoms a match covers


@dataclass
class QueryPlan:
    """The atoms of a query and what to look up for each."""

    atoms: list[str] = field(default_factory=list)
    asks: list[Ask] = field(default_factory=list)

    def atom(self, text: str) -> int:
        """A new atom's bit (0 once MAX_ATOMS are taken: it still scores, it does not count)."""
        if len(self.atoms) >= MAX_ATOMS:
            return 0
        self.atoms.append(text)
        return 1 << (len(self.atoms) - 1)


def _parts(word: str) -> list[str]:
    """Dictionary words that make up ``word`` (财政预算: 财政, 预算), or [word] when they do not cover it."""
    if len(word) < 3:
        return [word]
    inner = [t for t in _cut_for_search(word) if t != word and len(t) >= 2]
    covered = set()
    for t in inner:
        start = word.find(t)
        while start >= 0:
            covered.update(range(start, start + len(t)))
            start = word.find(t, start + 1)
    return list(dict.fromkeys(inner)) if len(covered) == len(word) else [word]


def _words(run: str) -> list[tuple[str, bool]]:
    """Precise-mode words of a CJK run; consecutive single characters the dictionary could not join
    are kept together as one unknown word, flagged True (云溪 when only 云溪县 is a word)."""
    out: list[tuple[str, bool]] = []
    pending = ""
    for w in _cut(run):
        if w in STOPWORDS:
            w = ""
        if len(w) == 1:
            pending += w
            continue
        if pending:
            out.append((pending, len(pending) > 1))
            pending = ""
        if w:
            out.append((w, False))
    if pending:
        out.append((pending, len(pending) > 1))
    return out


def plan_query(query: str, synonyms: dict[str, tuple[str, ...]]) -> QueryPlan:
    """The atoms of a user's query and the vocabulary look-ups that cover them."""
    plan = QueryPlan()
    parts_of_query = runs(query[:MAX_QUERY_CHARS])
    lone_character = len(parts_of_query) == 1 and len(parts_of_query[0]) == 1 and is_cjk(parts_of_query[0])
    for run in parts_of_query:
        if not is_cjk(run):
            bit = plan.atom(run)
            plan.asks.append(Ask("prefix", run, 1.0, bit))
            plan.asks.append(Ask("pinyin", run, SYNONYM_WEIGHT, bit))
            continue
        for word, unknown in _words(run):
            parts = list(word) if unknown else _parts(word)
            bits = 0
            for part in parts:
                bit = plan.atom(part)
                bits |= bit
                plan.asks.append(Ask("exact", part, 1.0, bit))
                plan.asks.extend(Ask("exact", s, SYNONYM_WEIGHT, bit) for s in synonyms.get(part, ()))
                if len(part) > 1 or lone_character:
                    plan.asks.append(Ask("contains", part, CONTAINS_WEIGHT, bit))
            if len(parts) > 1:  # the whole word, its synonyms and words containing it cover every part
                plan.asks.append(Ask("exact", word, 1.0, bits))
                plan.asks.extend(Ask("exact", s, SYNONYM_WEIGHT, bits) for s in synonyms.get(word, ()))
                plan.asks.append(Ask("contains", word, CONTAINS_WEIGHT, bits))
    return plan
