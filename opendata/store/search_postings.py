"""Postings of the search index: the documents holding each term, with their BM25F weight precomputed.

A document's terms are stored with it (:func:`encode_batch`: term id and field, count); building the
postings turns them into one array of document positions and one of weights, grouped by term id.
The weight of a term in a document is BM25F's saturated term frequency, ``tf / (k1 + tf)`` where
``tf`` sums the term's count in each field times the field's boost, normalized by the field's
length against its average; a search multiplies it by the term's idf. Titles and keywords weigh
most: a word in the title counts three times one in the description.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

FIELDS = ("title", "keywords", "description", "columns")
FIELD_BOOST = np.array([3.0, 2.5, 1.0, 0.5], dtype=np.float32)
FIELD_B = np.array([0.5, 0.3, 0.75, 0.75], dtype=np.float32)  # length normalization per field
NAMED_FIELDS = 2  # title and keywords: the words a dataset is named by (pinyin finds only these)
K1 = 1.2
_FIELD_BITS = 3
_POS_BITS = 24  # documents per base: 16.7 million
_MAX_TF = 1023  # counts above this saturate anyway
_CHUNK = 1 << 20
MAX_TERM_ID = (1 << (64 - _POS_BITS - 12)) - 1  # 2^28 - 1


def encode_batch(documents: Sequence[Sequence[Sequence[int]]]) -> list[bytes]:
    """Documents' term ids per field (in FIELDS order) as stored: int32 pairs (id << 3 | field, count)."""
    doc, code = [], []
    for i, fields in enumerate(documents):
        for f, ids in enumerate(fields):
            doc.extend([i] * len(ids))
            code.extend([(t << _FIELD_BITS) | f for t in ids])
    keys, counts = np.unique(np.array(doc, dtype=np.int64) << 32 | np.array(code, dtype=np.int64),
                             return_counts=True)
    pairs = np.column_stack([(keys & 0xFFFFFFFF).astype(np.int32), counts.astype(np.int32)])
    bounds = np.searchsorted(keys >> 32, np.arange(len(documents) + 1))
    return [pairs[bounds[i]:bounds[i + 1]].tobytes() for i in range(len(documents))]


def idf(df: np.ndarray, n_docs: int) -> np.ndarray:
    """BM25's inverse document frequency (never negative)."""
    df = np.asarray(df, dtype=np.float64)
    return np.log1p((n_docs - df + 0.5) / (df + 0.5))


class Postings:
    """Term id -> (document positions, weights), as three arrays (CSR)."""

    def __init__(self, offsets: np.ndarray, docs: np.ndarray, weights: np.ndarray, named: np.ndarray,
                 n_docs: int, average: np.ndarray | None = None):
        self.offsets, self.docs, self.weights, self.named, self.n_docs = offsets, docs, weights, named, n_docs
        self.average = average if average is not None else np.ones(len(FIELDS), dtype=np.float32)

    @classmethod
    def build(cls, blobs: Iterable[bytes], n_terms: int, average: np.ndarray | None = None,
              total: int | None = None) -> Postings:
        """Postings of documents 0..n-1 from their stored terms (``n_terms``: one past the largest id).

        ``average`` field lengths default to these documents' own; documents written after a base
        take the base's, so that their weights compare with the base's. ``total`` (the number of
        stored pairs, when known) lets the pairs be read straight into one array.
        """
        sizes: list[int] = []
        if total is not None:
            pairs = np.empty((total, 2), dtype=np.int32)
            filled = 0
            for blob in blobs:
                count = len(blob) // 8
                pairs[filled:filled + count] = np.frombuffer(blob, dtype=np.int32).reshape(-1, 2)
                filled += count
                sizes.append(count)
            if filled != total:
                raise ValueError(f"{filled} term pairs read, {total} expected: the index changed while read")
        else:
            chunks, pending = [], []
            for blob in blobs:  # joined a few thousand at a time: a list of a million bytes objects is large
                pending.append(blob)
                sizes.append(len(blob) // 8)
                if len(pending) == 8192:
                    chunks.append(np.frombuffer(b"".join(pending), dtype=np.int32))
                    pending = []
            chunks.append(np.frombuffer(b"".join(pending), dtype=np.int32))
            pairs = np.concatenate(chunks).reshape(-1, 2)
            del chunks, pending
        held = [pairs]
        del pairs
        return cls.from_pairs(held, np.array(sizes, dtype=np.int64), n_terms, average)

    @classmethod
    def from_pairs(cls, held: list[np.ndarray], sizes: np.ndarray, n_terms: int,
                   average: np.ndarray | None = None) -> Postings:
        """Postings from every document's (term id << 3 | field, count) pairs, documents in order.

        The pairs (handed over in a list, which is emptied, so their memory goes as soon as they are
        packed) become one uint64 each (term, position, field, count), sorted in place; the postings
        are then written over the sorted keys. Building them for a million datasets needs about
        sixteen bytes per (dataset, term) pair.
        """
        pairs = held.pop()
        n = len(sizes)
        if n >= 1 << _POS_BITS:
            raise OverflowError(f"a search index base holds at most {(1 << _POS_BITS) - 1} documents")
        ends = np.cumsum(sizes)
        lengths = np.zeros((len(FIELDS), n), dtype=np.float32)
        named = np.zeros(n_terms, dtype=bool)
        keys = np.empty(len(pairs), dtype=np.uint64)
        for lo in range(0, len(pairs), _CHUNK):  # a chunk at a time: no full-size temporaries
            part = pairs[lo:lo + _CHUNK]
            owners = np.searchsorted(ends, np.arange(lo, lo + len(part)), side="right")
            field = part[:, 0] & 7
            for f in range(len(FIELDS)):
                chosen = field == f
                lengths[f] += np.bincount(owners[chosen], weights=part[chosen, 1], minlength=n).astype(np.float32)
            named[part[field < NAMED_FIELDS, 0] >> _FIELD_BITS] = True
            code = part[:, 0].astype(np.uint64)
            keys[lo:lo + len(part)] = ((code >> np.uint64(_FIELD_BITS)) << np.uint64(_POS_BITS + 12)) \
                | (owners.astype(np.uint64) << np.uint64(12)) | ((code & np.uint64(3)) << np.uint64(10)) \
                | np.minimum(part[:, 1], _MAX_TF).astype(np.uint64)
        del pairs
        if average is None:
            average = np.maximum(lengths.mean(axis=1) if n else np.ones(len(FIELDS)), 1.0).astype(np.float32)
        keys.sort()
        # each chunk's postings (document, weight) are written over keys already read: never more
        # postings than keys, so the writing never overtakes the reading
        out = keys.view([("doc", np.int32), ("weight", np.float32)])
        counts = np.zeros(n_terms, dtype=np.int64)
        used, last = 0, None  # last: (term, position) of the posting written last, to merge a split one
        for lo in range(0, len(keys), _CHUNK):
            part = keys[lo:lo + _CHUNK].copy()
            d_term = (part >> np.uint64(_POS_BITS + 12)).astype(np.int64)
            d_pos = ((part >> np.uint64(12)) & np.uint64((1 << _POS_BITS) - 1)).astype(np.int32)
            d_field = ((part >> np.uint64(10)) & np.uint64(3)).astype(np.int8)
            b = FIELD_B[d_field]
            contribution = FIELD_BOOST[d_field] * (part & np.uint64(_MAX_TF)).astype(np.float32) \
                / (1 - b + b * lengths[d_field, d_pos] / average[d_field])
            starts = np.flatnonzero(np.r_[True, (d_term[1:] != d_term[:-1]) | (d_pos[1:] != d_pos[:-1])])
            sums = np.add.reduceat(contribution, starts)
            terms, docs = d_term[starts], d_pos[starts]
            if last is not None and (terms[0], docs[0]) == last:  # a pair split across two chunks
                out["weight"][used - 1] += sums[0]
                terms, docs, sums = terms[1:], docs[1:], sums[1:]
            out["doc"][used:used + len(docs)] = docs
            out["weight"][used:used + len(docs)] = sums
            counts += np.bincount(terms, minlength=n_terms)[:n_terms]
            used += len(docs)
            last = (int(d_term[-1]), int(d_pos[-1]))
        docs_all = np.ascontiguousarray(out["doc"][:used])
        tf_sum = np.ascontiguousarray(out["weight"][:used])
        del keys, out
        offsets = np.zeros(n_terms + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        tf_sum /= K1 + tf_sum
        return cls(offsets, docs_all, tf_sum, named, n, average)

    def df(self, term_ids: Sequence[int]) -> np.ndarray:
        """Documents holding each term (0 for ids this postings list does not know)."""
        ids = np.asarray(term_ids, dtype=np.int64)
        inside = (ids >= 0) & (ids < len(self.offsets) - 1)
        out = np.zeros(len(ids), dtype=np.int64)
        safe = ids[inside]
        out[inside] = self.offsets[safe + 1] - self.offsets[safe]
        return out

    def is_named(self, term_id: int) -> bool:
        return 0 <= term_id < len(self.named) and bool(self.named[term_id])

    def accumulate(self, weighted: Sequence[tuple[int, float, int]], score: np.ndarray, cover: np.ndarray) -> None:
        """Add ``weight x term weight`` to ``score`` and OR the atom bits into ``cover``, per document."""
        for term_id, weight, bits in weighted:
            if not 0 <= term_id < len(self.offsets) - 1:
                continue
            lo, hi = self.offsets[term_id], self.offsets[term_id + 1]
            if lo == hi:
                continue
            docs = self.docs[lo:hi].astype(np.intp)  # indexing casts int32 anyway: once, not per array
            score[docs] += np.float32(weight) * self.weights[lo:hi]
            if bits:
                cover[docs] |= np.uint32(bits)

    def mark(self, weighted: Sequence[tuple[int, float, int]], cover: np.ndarray) -> None:
        """OR the atom bits of each term into ``cover`` at the documents holding it (scores are left out)."""
        same = len({bits for _, _, bits in weighted if bits}) == 1  # one mask: OR-ing it is setting it
        for term_id, _, bits in weighted:
            if not bits or not 0 <= term_id < len(self.offsets) - 1:
                continue
            lo, hi = self.offsets[term_id], self.offsets[term_id + 1]
            if lo == hi:
                continue
            docs = self.docs[lo:hi].astype(np.intp)
            if same:
                cover[docs] = bits
            else:
                cover[docs] |= cover.dtype.type(bits)

    def score_at(self, weighted: Sequence[tuple[int, float, int]], positions: np.ndarray) -> np.ndarray:
        """The score of the documents at sorted ``positions``: what :meth:`accumulate` would sum for them
        (the same float32 additions in the same order), found by binary search in each term's documents."""
        score = np.zeros(len(positions), dtype=np.float32)
        for term_id, weight, _ in weighted:
            if not 0 <= term_id < len(self.offsets) - 1:
                continue
            lo, hi = int(self.offsets[term_id]), int(self.offsets[term_id + 1])
            if lo == hi:
                continue
            docs = self.docs[lo:hi]
            at = np.minimum(np.searchsorted(docs, positions), hi - lo - 1)
            held = np.flatnonzero(docs[at] == positions)
            score[held] += np.float32(weight) * self.weights[lo + at[held]]
        return score

    def save(self, folder) -> None:
        for name in ("offsets", "docs", "weights", "named", "average"):
            np.save(folder / f"postings-{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, folder, n_docs: int) -> Postings:
        """Saved postings, memory-mapped."""
        offsets, docs, weights, named, average = (
            np.load(folder / f"postings-{name}.npy", mmap_mode="r").view(np.ndarray)  # np.memmap indexes slowly
            for name in ("offsets", "docs", "weights", "named", "average"))
        return cls(offsets, docs, weights, named, n_docs, np.array(average))


class PostingsGroup:
    """The postings of the base and of the documents written since, as one: positions follow each other."""

    def __init__(self, parts: Sequence[Postings], alive: int | None = None):
        self.parts = [p for p in parts if p.n_docs]
        self.n_docs = sum(p.n_docs for p in self.parts)
        self.alive = self.n_docs if alive is None else alive  # documents counted for idf

    def df(self, term_ids: Sequence[int]) -> np.ndarray:
        total = np.zeros(len(term_ids), dtype=np.int64)
        for part in self.parts:
            total += part.df(term_ids)
        return total

    def is_named(self, term_id: int) -> bool:
        return any(part.is_named(term_id) for part in self.parts)

    def accumulate(self, weighted: Sequence[tuple[int, float, int]], score: np.ndarray, cover: np.ndarray) -> None:
        start = 0
        for part in self.parts:
            part.accumulate(weighted, score[start:start + part.n_docs], cover[start:start + part.n_docs])
            start += part.n_docs

    def mark(self, weighted: Sequence[tuple[int, float, int]], cover: np.ndarray) -> None:
        start = 0
        for part in self.parts:
            part.mark(weighted, cover[start:start + part.n_docs])
            start += part.n_docs

    def score_at(self, weighted: Sequence[tuple[int, float, int]], positions: np.ndarray) -> np.ndarray:
        """Scores of the documents at sorted ``positions`` (see :meth:`Postings.score_at`)."""
        out = np.zeros(len(positions), dtype=np.float32)
        start = 0
        for part in self.parts:
            lo, hi = np.searchsorted(positions, [start, start + part.n_docs])
            if hi > lo:  # int32 like the postings' documents: searching them needs no conversion
                out[lo:hi] = part.score_at(weighted, (positions[lo:hi] - start).astype(np.int32))
            start += part.n_docs
        return out
