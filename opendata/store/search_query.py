"""From a query plan to scored matches: vocabulary look-ups, idf, atom coverage, BM25F score.

Matching is OR: a dataset matches when it holds any atom of the query (see
:mod:`opendata.store.search_text`), and ranks by how many atoms it holds, then by score. An atom held
by more than a quarter of the catalogue (and by more than 50 datasets) is *common*: it adds to the
rank of datasets that match through a rarer atom but matches nothing by itself, unless every atom of
the query is common (Elasticsearch's common-terms rule). Without it, 青川市公交 would list every
dataset of 青川市. An atom's reach is the sum of its words' document counts: 区, looked for inside
every district's name, is common although no single district is.

Matching marks the atoms each document holds (one pass over the terms' postings); the BM25F score
is summed later, only for the matches that can make the page asked for: those holding the most
atoms (:meth:`Matches.score`). The count, the facets and the other sorts need no score at all.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from opendata.store.search_postings import PostingsGroup, idf
from opendata.store.search_text import QueryPlan
from opendata.store.search_vocab import Vocabulary
from opendata.store.search_words import split_pinyin

EXPANSIONS = 32  # words kept per prefix, containment or pinyin look-up (those in the most datasets)
PREFIX_WEIGHT = 0.8  # enrol -> enrolment weighs less than the word itself
COMMON_SHARE, COMMON_MIN = 0.25, 50
UBIQUITOUS_SHARE = 0.9  # a word in nine datasets out of ten ranks nothing: skipped beside rarer words


@dataclass
class Resolved:
    """The weighted terms of a query: (term id, weight x idf, atom bits); which atoms match alone."""

    weighted: list[tuple[int, float, int]]
    atoms: int
    required: int


def resolve(plan: QueryPlan, vocab: Vocabulary, postings: PostingsGroup, *, pinyin: bool) -> Resolved:
    """Look every ask of ``plan`` up; keep the terms that some document holds."""
    chosen: dict[int, list] = {}  # term id -> [weight, bits]

    def add(ids: Sequence[int], weight: float, bits: int, limit: int | None = None) -> bool:
        ids = [t for t in ids if t is not None]
        if limit is not None and len(ids) > limit:
            counts = postings.df(ids)
            ids = [ids[i] for i in np.argsort(-counts, kind="stable")[:limit]]
        for t in ids:
            entry = chosen.setdefault(t, [0.0, 0])
            entry[0] = max(entry[0], weight)
            entry[1] |= bits
        return bool(ids) and bool(postings.df(ids).any())

    unresolved: set[int] = set()
    for ask in plan.asks:
        if ask.kind == "exact":
            add([vocab.exact(ask.text)], ask.weight, ask.atoms)
        elif ask.kind == "contains":
            add(vocab.containing(ask.text), ask.weight, ask.atoms, EXPANSIONS)
        elif ask.kind == "prefix":
            own = vocab.exact(ask.text)
            found = add([own], ask.weight, ask.atoms)
            # letters match as prefixes (enrol: enrolment); numbers only as they are (2019 is not 20193)
            longer = [] if ask.text.isdigit() else [t for t in vocab.prefixed(ask.text) if t != own]
            found = add(longer, ask.weight * PREFIX_WEIGHT, ask.atoms, EXPANSIONS) or found
            if not found:
                unresolved.add(ask.atoms)
        elif ask.kind == "pinyin" and pinyin and ask.atoms in unresolved:
            _add_pinyin(plan, ask.text, ask.weight, ask.atoms, vocab, postings, add)
    ids = list(chosen)
    counts = postings.df(ids)
    all_bits = (1 << len(plan.atoms)) - 1
    # an atom's reach: the documents of its words together (their sum, a bound on the union), so
    # that a character found inside many words (区 of every district) is as common as a common word
    atom_df: dict[int, int] = {}
    for t, c in zip(ids, counts, strict=True):
        bits = chosen[t][1]
        for i in range(len(plan.atoms)):
            if bits >> i & 1:
                atom_df[i] = atom_df.get(i, 0) + int(c)
    limit = max(COMMON_SHARE * postings.alive, COMMON_MIN)
    required = sum(1 << i for i in range(len(plan.atoms)) if atom_df.get(i, 0) <= limit)
    ceiling = UBIQUITOUS_SHARE * postings.alive if required else None
    weights = idf(counts, postings.alive)
    weighted = [(t, float(chosen[t][0] * w), chosen[t][1]) for t, w, c in zip(ids, weights, counts, strict=True)
                if c > 0 and (ceiling is None or c <= ceiling or c <= COMMON_MIN)]
    return Resolved(weighted, len(plan.atoms), required or all_bits)


def _add_pinyin(plan: QueryPlan, token: str, weight: float, bit: int, vocab: Vocabulary, postings: PostingsGroup,
                add: Callable[..., bool]) -> None:
    """A Latin word no indexed word starts with, read as pinyin: each piece of it is an atom."""
    pieces = split_pinyin(token, vocab.has_pinyin)
    if not pieces:
        return
    for i, piece in enumerate(pieces):
        piece_bit = bit if i == 0 else plan.atom(piece)
        add([t for t in vocab.by_pinyin(piece) if postings.is_named(t)], weight, piece_bit, EXPANSIONS)


DENSE_SCORING = 4096  # more candidates than this are scored in one pass over the postings


@dataclass
class Matches:
    """Positions of matching documents (ascending) with how many atoms each holds (parallel arrays).

    Scores are computed when asked, for the candidates of a page only (:meth:`score`): the ranking
    puts atoms held first, so the page's candidates are few of the matches, and most searches need
    no score beyond them (the count, the facets and the other sorts need none).
    """

    positions: np.ndarray
    atoms: np.ndarray  # uint8
    resolved: Resolved
    postings: PostingsGroup

    @property
    def nbytes(self) -> int:
        return self.positions.nbytes + self.atoms.nbytes

    def score(self, at: np.ndarray) -> np.ndarray:
        """BM25F scores (float32) of the matches at indexes ``at`` (ascending) of :attr:`positions`."""
        positions = self.positions[at]
        if len(at) <= DENSE_SCORING:
            return self.postings.score_at(self.resolved.weighted, positions)
        score, cover = _scratch(self.postings.n_docs), _scratch(self.postings.n_docs, np.uint32)
        try:  # without atom bits, cover is not written
            self.postings.accumulate([(t, w, 0) for t, w, _ in self.resolved.weighted], score, cover)
            return score[positions]
        finally:
            score[:] = 0


_buffers = threading.local()


def _scratch(n: int, dtype=np.float32) -> np.ndarray:
    """A zeroed array of ``n`` documents, kept per thread and dtype (a caller leaves it zeroed):
    allocating and zeroing one for a million documents on every search costs more than the search."""
    kept = getattr(_buffers, "arrays", None)
    if kept is None:
        kept = _buffers.arrays = {}
    array = kept.get(np.dtype(dtype))
    if array is None or len(array) != n:
        array = kept[np.dtype(dtype)] = np.zeros(n, dtype=dtype)
    return array


def _cover_dtype(atoms: int):
    """The narrowest unsigned integer holding a bit per atom: a narrower array is gathered and scattered faster."""
    return np.uint8 if atoms <= 8 else np.uint16 if atoms <= 16 else np.uint32


def evaluate(resolved: Resolved, postings: PostingsGroup) -> Matches:
    """Every document holding a required atom, with how many atoms it holds (scores come later)."""
    cover = _scratch(postings.n_docs, _cover_dtype(resolved.atoms))
    try:
        postings.mark(resolved.weighted, cover)
    except BaseException:
        cover[:] = 0
        raise
    touched = np.flatnonzero(cover != 0)  # every document a term reached (a boolean pass is the fast one)
    held = cover[touched]
    if 16 * len(touched) < len(cover):  # ready for the next search of this thread
        cover[touched] = 0
    else:
        cover[:] = 0
    if resolved.atoms == 1:
        return Matches(touched, np.ones(len(touched), dtype=np.uint8), resolved, postings)
    if resolved.required != (1 << resolved.atoms) - 1:  # some atoms are common: they match nothing alone
        kept = np.flatnonzero((held & held.dtype.type(resolved.required)) != 0)
        touched, held = touched[kept], held[kept]
    return Matches(touched, np.bitwise_count(held), resolved, postings)  # uint8: at most 32 atoms
