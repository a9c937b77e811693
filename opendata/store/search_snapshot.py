"""The in-memory side of the search index: facet, sort and visibility columns as numpy arrays.

A :class:`Snapshot` is loaded from the index's ``doc`` table once per index generation and shared
by every search of a process: filters and facet counts are array passes, sorting one ``lexsort``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

SINGLE_FACETS = ("theme", "publisher", "frequency", "disclosure", "license")
MULTI_FACETS = ("format", "keyword")
IDENTIFIER = "identifier"  # usable in clauses like a facet, never counted
SEP = "\x1f"  # between the values of a multi-valued facet in the doc table


def _codes(values: list[str | None]) -> tuple[np.ndarray, list[str]]:
    """Integer codes of values (-1 for None) and the distinct values."""
    arr = np.array(["" if v is None else v for v in values], dtype=object)
    if not len(arr):
        return np.zeros(0, dtype=np.int64), []
    uniq, inverse = np.unique(arr.astype(str), return_inverse=True)
    codes = inverse.astype(np.int64)
    if "" in set(uniq.tolist()):
        empty = int(np.nonzero(uniq == "")[0][0])
        codes = np.where(codes == empty, -1, codes)
    return codes, [str(u) for u in uniq]


SNAPSHOT_COLUMNS = ("id", "title", "modified", "listed", "downloads", IDENTIFIER, "publisher_name",
                    *SINGLE_FACETS, *MULTI_FACETS)
SNAPSHOT_SELECT = ("SELECT id, title, modified, listed, downloads, identifier, publisher_name, "
                    f"{', '.join(SINGLE_FACETS)}, formats, keywords FROM doc ORDER BY id")


def _rank(values: Sequence[str]) -> np.ndarray:
    """Each value's position in sorted order."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(np.array(values, dtype=str), kind="stable")] = np.arange(len(values))
    return rank


class Snapshot:
    """Facet, sort and visibility columns of every document as numpy arrays."""

    def __init__(self, rows: list[tuple], generation: str, downloads_gen: str):
        self.generation, self.downloads_gen = generation, downloads_gen
        cols = list(zip(*rows, strict=True)) if rows else [()] * len(SNAPSHOT_COLUMNS)
        at = {name: cols[i] for i, name in enumerate(SNAPSHOT_COLUMNS)}
        self.ids = np.array(at["id"], dtype=np.int64)
        self.modified = np.array(at["modified"], dtype=np.float64)
        self.listed = np.array(at["listed"], dtype=bool)
        self.downloads = np.array(at["downloads"], dtype=np.int64)
        self.title_rank, self.identifier_rank = _rank(at["title"]), _rank(at[IDENTIFIER])
        self.single: dict[str, tuple[np.ndarray, list[str]]] = {
            name: _codes(list(at[name])) for name in (*SINGLE_FACETS, IDENTIFIER)}
        self.multi: dict[str, tuple[np.ndarray, np.ndarray, list[str]]] = {}
        for name in MULTI_FACETS:
            pos, flat = [], []
            for i, text in enumerate(at[name]):
                if text:
                    parts = dict.fromkeys(text.split(SEP))
                    pos.extend([i] * len(parts))
                    flat.extend(parts)
            codes, values = _codes(flat)
            self.multi[name] = (np.array(pos, dtype=np.int64), codes, values)
        self.publisher_names = {p: nm for p, nm in zip(at["publisher"], at["publisher_name"], strict=True)
                                if p is not None}

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


def top(idx: np.ndarray, keys: list[np.ndarray], offset: int, limit: int) -> np.ndarray:
    """Positions of the page [offset, offset + limit) in lexicographic order of ``keys`` (last is primary)."""
    k = offset + limit
    if k <= 0 or not len(idx):
        return idx[:0]
    if k < len(idx) // 4:  # partial selection: only the first k candidates are fully sorted
        primary = keys[-1]
        cut = np.partition(primary, k - 1)[k - 1]
        keep = np.nonzero(primary <= cut)[0]
        idx, keys = idx[keep], [key[keep] for key in keys]
    order = np.lexsort(keys)
    return idx[order[offset:k]]
