"""Word tables of catalogue search: the synonym table, and pinyin keys of indexed words.

The synonym table is ``opendata/store/data/search_synonyms.txt`` (its header says the format), plus
the lines of ``OPENDATA_SEARCH_SYNONYMS_FILE`` when a deployment sets it. Pinyin keys are computed
with pypinyin when a word first enters the index: its full pinyin (财政: caizheng) and its initials
(cz), so that a query typed in pinyin finds the word.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from opendata.core.errors import InputError, Problem
from opendata.store.search_text import is_cjk, normalize

BUILTIN_SYNONYMS = Path(__file__).with_name("data") / "search_synonyms.txt"
MAX_PINYIN_CHARS = 60  # a longer Latin word is not split into pinyin
_MAX_KEY = 40


def parse_synonyms(text: str, source: str = "synonyms") -> dict[str, set[str]]:
    """``word -> other words it finds`` from the table's lines (see the file's header)."""
    table: dict[str, set[str]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        left, arrow, right = line.partition("=>")
        heads = _words(left)
        tails = _words(right) if arrow else heads
        if not heads or not tails or (not arrow and len(heads) < 2):
            raise InputError("invalid synonym table", problems=[Problem(
                "synonym-line", f"a synonym line needs two words or more: '{raw[:60]}'", file=source, line=number)])
        for head in heads:
            table.setdefault(head, set()).update(t for t in tails if t != head)
    return table


def _words(part: str) -> list[str]:
    return [w for w in (normalize(x).strip() for x in part.replace("，", ",").replace(",", " ").split()) if w]


@lru_cache(maxsize=8)
def load_synonyms(extra_file: str = "") -> dict[str, tuple[str, ...]]:
    """The built-in synonym table merged with a deployment's file (``extra_file``, may be empty)."""
    table = parse_synonyms(BUILTIN_SYNONYMS.read_text(encoding="utf-8"), str(BUILTIN_SYNONYMS.name))
    if extra_file:
        path = Path(extra_file)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read the synonym file {path}: {exc}") from None
        for head, tails in parse_synonyms(text, str(path)).items():
            table.setdefault(head, set()).update(tails)
    return {head: tuple(sorted(tails)) for head, tails in table.items()}


def synonym_words(table: dict[str, tuple[str, ...]]) -> set[str]:
    """Every word of the table (taught to the segmenter so that each is cut as one word)."""
    return set(table) | {w for tails in table.values() for w in tails}


def pinyin_keys(words: Iterable[str]) -> dict[str, tuple[str, str]]:
    """``word -> (full pinyin, initials)`` for CJK words of two characters or more (财政: caizheng, cz)."""
    from pypinyin import Style, lazy_pinyin

    out: dict[str, tuple[str, str]] = {}
    for word in words:
        if len(word) < 2 or not all(is_cjk(c) for c in word):
            continue
        syllables = lazy_pinyin(word, errors="ignore")
        if len(syllables) != len(word):
            continue
        initials = lazy_pinyin(word, style=Style.FIRST_LETTER, errors="ignore")
        out[word] = ("".join(syllables)[:_MAX_KEY], "".join(initials)[:_MAX_KEY])
    return out


def split_pinyin(token: str, known: Callable[[str], bool]) -> list[str] | None:
    """``token`` cut into the fewest known pinyin keys (czys: cz + ys; caizhengyusuan: caizheng + yusuan).

    Keys are full pinyin or initials of indexed words; None when no cut covers the whole token.
    """
    if not token.isascii() or not token.isalpha() or len(token) > MAX_PINYIN_CHARS:
        return None
    n = len(token)
    best: list[list[str] | None] = [None] * (n + 1)
    best[0] = []
    for end in range(1, n + 1):
        for start in range(max(0, end - _MAX_KEY), end):
            head = best[start]
            if head is None or end - start < 2:
                continue
            piece = token[start:end]
            if (best[end] is None or len(head) + 1 < len(best[end])) and known(piece):
                best[end] = [*head, piece]
    return best[n]
