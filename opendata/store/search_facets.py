"""Facet counts of a search in one pass: every facet's value codes of a document side by side in one row.

Counting facet by facet gathers the matches' codes once per facet, and a multi-valued facet
(keywords, formats) gathers through its offsets in several passes more; over the tens of thousands
of matches of a common word in a million datasets that was as slow as the match itself. The
:class:`FacetMatrix` holds, per document, one column per single-valued facet and the first few
values of each multi-valued facet, all as codes in one numbering (each facet's codes shifted past
the previous facet's, an empty cell pointing at a bin that is never read). The counts of a search
are one row gather of its matches and one ``bincount``; the few documents with more values than a
multi-valued facet's columns add the rest from the facet's own arrays.

Documents share rows: a catalogue's datasets come from a few hundred publishers with a few themes,
licences and keyword sets, so a million datasets have some thousands of distinct rows (*profiles*).
When the profiles are few (at most one per ``PROFILE_SHARE`` documents), each document keeps only
its profile's number: a search gathers one int32 per match, counts the profiles, and counts the
rows of the profiles it met, weighted by how many matches each had, exactly the same counts for a
fraction of the gathering. A catalogue whose rows are mostly distinct keeps the rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

MULTI_COLUMNS = 4  # values of a multi-valued facet kept in the row; more are read from the facet's arrays
PROFILE_SHARE = 8  # documents per distinct row, at least, for counting through profiles


class FacetMatrix:
    """Facet codes of every document, one row each, in one code space (see the module docstring)."""

    def __init__(self, singles: dict[str, np.ndarray], multi: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
                 sizes: dict[str, int], n_docs: int, profiles: bool | None = None):
        self.names = [*singles, *multi]
        self.start: dict[str, int] = {}
        at = 0
        for name in self.names:
            self.start[name] = at
            at += sizes[name]
        self.empty = at  # the bin of empty cells
        self.sizes = sizes
        widths = {name: min(MULTI_COLUMNS, int(np.diff(offsets).max(initial=0)))
                  for name, (offsets, _, _) in multi.items()}
        # the narrowest codes that hold every value: a search gathers its matches' rows
        dtype = np.int16 if self.empty < np.iinfo(np.int16).max else np.int32
        rows = np.full((n_docs, len(singles) + sum(widths.values())), self.empty, dtype=dtype)
        for col, (name, codes) in enumerate(singles.items()):
            rows[:, col] = np.where(codes >= 0, codes + self.start[name], self.empty)
        col = len(singles)
        self.overflow: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, int]] = {}
        for name, (offsets, owners, codes) in multi.items():
            width = widths[name]
            place = np.arange(len(codes), dtype=np.int64) - offsets[owners]  # a value's place among its document's
            kept = place < width
            rows[owners[kept], col + place[kept]] = codes[kept] + self.start[name]
            longer = np.diff(offsets) > width
            if longer.any():
                self.overflow[name] = (longer, offsets, codes, width)
            col += width
        self.rows = rows
        self.n_docs = n_docs
        self.profile: np.ndarray | None = None  # each document's profile (distinct row) number
        self.profile_rows: np.ndarray | None = None
        if rows.shape[1] and n_docs and profiles is not False:
            distinct, profile = np.unique(rows.view(np.dtype((np.void, rows.shape[1] * rows.itemsize))).ravel(),
                                          return_inverse=True)
            if profiles or len(distinct) * PROFILE_SHARE <= n_docs:
                self.profile = profile.astype(np.int32)
                self.profile_rows = distinct.view(rows.dtype).reshape(len(distinct), rows.shape[1])
                self.rows = None  # the profiles' rows say it all
        self._everything: np.ndarray | None = None
        self._singles, self._multi = singles, multi

    def counts(self, idx: np.ndarray) -> dict[str, np.ndarray]:
        """Per facet, the count of each value code among the documents at positions ``idx``.

        More than half of the documents are counted as every document's counts (kept) less those
        of the others: a browse of the whole catalogue gathers nothing.
        """
        n = self.n_docs
        if 2 * len(idx) > n:
            if self._everything is None:  # from the facets' own arrays: no row is gathered
                self._everything = np.bincount(np.concatenate(
                    [np.where(codes >= 0, codes + self.start[name], self.empty) for name, codes in self._singles.items()]
                    + [codes + self.start[name] for name, (_, _, codes) in self._multi.items()]).astype(np.intp),
                    minlength=self.empty + 1)
            others = np.ones(n, dtype=bool)
            others[idx] = False
            total = self._everything - self._count(np.flatnonzero(others))
        else:
            total = self._count(idx)
        return {name: total[self.start[name]:self.start[name] + self.sizes[name]] for name in self.names}

    def _count(self, idx: np.ndarray) -> np.ndarray:
        """Counts of every code among the documents at ``idx``."""
        if self.profile is not None:
            met = np.bincount(self.profile[idx], minlength=len(self.profile_rows))
            seen = np.flatnonzero(met)
            rows = self.profile_rows[seen]
            total = np.bincount(rows.ravel(), weights=np.repeat(met[seen], rows.shape[1]),
                                minlength=self.empty + 1).astype(np.int64)
            parts = []
        else:
            total = None
            parts = [self.rows[idx].ravel()]
        for name, (longer, offsets, codes, width) in self.overflow.items():
            extra = idx[longer[idx]]
            if len(extra):
                starts, ends = offsets[extra] + width, offsets[extra + 1]
                lengths = ends - starts
                flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
                parts.append(codes[flat] + self.start[name])
        if total is None:
            return np.bincount(np.concatenate(parts) if len(parts) > 1 else parts[0], minlength=self.empty + 1)
        if parts:
            total += np.bincount(np.concatenate(parts), minlength=self.empty + 1)
        return total


def top_values(values: Sequence[str], counts: np.ndarray, ranks: np.ndarray, limit: int) -> list[tuple[str, int]]:
    """The ``limit`` most frequent values (most first, then A to Z) with their counts."""
    nonzero = np.flatnonzero(counts)
    best = nonzero[np.lexsort((ranks[nonzero], -counts[nonzero]))[:limit]]
    return [(values[i], int(counts[i])) for i in best]
