"""Search tokens for text in Chinese and other scripts, and the FTS5 query built from the same tokens.

Chinese has no spaces between words. Every run of CJK characters becomes its unigrams and bigrams,
so a two-character word is one bigram token and a one-character query still finds its text; runs of
other letters and digits become lower-cased words. Text is NFKC-normalized first, so full-width
letters and digits (ＡＢＣ１２３) match their ASCII forms.
"""

from __future__ import annotations

import re
import unicodedata

_CJK = (r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f")
_RUN = re.compile(rf"[{_CJK}]+|[^\W_{_CJK}]+")
_IS_CJK = re.compile(rf"[{_CJK}]")


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
