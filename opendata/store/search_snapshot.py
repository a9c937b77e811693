"""The in-memory side of the search index: facet, sort and visibility columns as numpy arrays.

A :class:`Snapshot` holds one column per facet (integer codes into a list of values), the sort
keys and who may see each document. The compiled base of the index is saved as ``.npy`` files and
memory-mapped by every process (:meth:`Snapshot.load`); documents written since form a small
snapshot of their own that :func:`combine` appends, hiding the base's copies of changed or removed
documents. Filters and facet counts are array passes; sorting is one ``lexsort``. Identifiers (a
clause may name them) are not facet values: the base's are found by binary search in their sorted,
memory-mapped texts, so no process holds a million identifier strings.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from opendata.store.search_facets import FacetMatrix, top_values

SINGLE_FACETS = ("theme", "publisher", "frequency", "disclosure", "license")
MULTI_FACETS = ("format", "keyword")
IDENTIFIER = "identifier"  # usable in clauses like a facet, never counted
SEP = "\x1f"  # between the values of a multi-valued facet in the doc table
SNAPSHOT_COLUMNS = ("id", "title", "modified", "listed", "downloads", IDENTIFIER, "publisher_name",
                    *SINGLE_FACETS, *MULTI_FACETS)
SNAPSHOT_SELECT = ("SELECT id, title, modified, listed, downloads, identifier, publisher_name, "
                   f"{', '.join(SINGLE_FACETS)}, formats, keywords FROM doc")
_CODED = SINGLE_FACETS
_ARRAYS = ("ids", "modified", "listed", "alive", "downloads", "title_key", "title_sub", "ident_key", "ident_sub")


class SortedTexts:
    """Texts in sorted order, stored as one UTF-8 blob and offsets (what ``bisect`` needs, memory-mapped)."""

    def __init__(self, blob: np.ndarray, offsets: np.ndarray):
        self.blob, self.offsets = blob, offsets

    @classmethod
    def build(cls, texts: Sequence[str], order: np.ndarray | None = None) -> SortedTexts:
        order = _order(texts) if order is None else order
        encoded = [texts[i].encode() for i in order]
        offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
        np.cumsum([len(e) for e in encoded], out=offsets[1:])
        return cls(np.frombuffer(b"".join(encoded), dtype=np.uint8), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        return bytes(self.blob[self.offsets[i]:self.offsets[i + 1]]).decode()

    def before(self, text: str) -> int:
        """How many texts sort before ``text``."""
        return bisect.bisect_left(self, text)


def _order(values: Sequence[str]) -> np.ndarray:
    """Positions of ``values`` in sorted (code point) order; numpy sorts fixed-width text in C."""
    return np.argsort(np.array(values, dtype=str), kind="stable") if len(values) else np.zeros(0, np.int64)


def _rank(values: Sequence[str], order: np.ndarray | None = None) -> np.ndarray:
    """Each value's position in sorted order."""
    order = _order(values) if order is None else order
    rank = np.empty(len(values), dtype=np.int64)
    rank[order] = np.arange(len(values))
    return rank


class Snapshot:
    """Facet, sort and visibility columns of documents (positions 0..n-1, in id order within a part)."""

    def __init__(self) -> None:
        self.generation = self.downloads_gen = ""
        self.ids = self.modified = self.listed = self.alive = self.downloads = np.zeros(0)
        self.title_key = self.title_sub = self.ident_key = self.ident_sub = np.zeros(0, dtype=np.int64)
        self.codes: dict[str, np.ndarray] = {}
        self.multi: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}  # offsets, owners, codes
        self.values: dict[str, list[str]] = {}
        self.publisher_names: dict[str, str] = {}
        self.titles: SortedTexts | None = None
        self.identifiers: SortedTexts | None = None  # of the first ``base_docs`` positions, sorted
        self.base_docs = 0
        self.late_identifiers: dict[str, list[int]] = {}  # identifier -> positions, past the base
        self._ident_order: np.ndarray | None = None
        self._by_id: np.ndarray | None = None
        self.scores: tuple[Hashable, np.ndarray] | None = None  # (table token, scores by position): scores_at
        self._ranks: dict[str, np.ndarray] = {}
        self._lookups: dict[str, dict[str, int]] = {}
        self._matrix: FacetMatrix | None = None

    # -- building --------------------------------------------------------------------------------
    @classmethod
    def from_rows(cls, rows: Iterable[tuple], values: dict[str, list[str]] | None = None,
                  keep_texts: bool = False) -> Snapshot:
        """A snapshot of rows of SNAPSHOT_SELECT (ordered by id); codes extend ``values`` when given."""
        snap = cls()
        snap.values = values if values is not None else {name: [] for name in (*_CODED, *MULTI_FACETS)}
        lookup = {name: {v: i for i, v in enumerate(vals)} for name, vals in snap.values.items()}
        cols: dict[str, list] = {name: [] for name in SNAPSHOT_COLUMNS}
        multi: dict[str, tuple[list[int], list[int]]] = {name: ([0], []) for name in MULTI_FACETS}
        identifiers: list[str] = []
        for row in rows:
            identifiers.append(row[5])
            for name, value in zip(SNAPSHOT_COLUMNS, row, strict=True):
                if name in lookup and name not in MULTI_FACETS:
                    value = -1 if value is None else _code(value, lookup[name], snap.values[name])
                elif name in MULTI_FACETS:
                    offsets, codes = multi[name]
                    parts = dict.fromkeys(value.split(SEP)) if value else {}
                    codes.extend(_code(v, lookup[name], snap.values[name]) for v in parts)
                    offsets.append(len(codes))
                    continue
                cols[name].append(value)
        snap.ids = np.array(cols["id"], dtype=np.int64)
        snap.modified = np.array(cols["modified"], dtype=np.float64)
        snap.listed = np.array(cols["listed"], dtype=bool)
        snap.alive = np.ones(len(snap.ids), dtype=bool)
        snap.downloads = np.array(cols["downloads"], dtype=np.int64)
        title_order, ident_order = _order(cols["title"]), _order(identifiers)
        snap.title_key = _rank(cols["title"], title_order) * 2 + 1
        snap.ident_key = _rank(identifiers, ident_order) * 2 + 1
        snap.title_sub = snap.ident_sub = np.zeros(len(snap.ids), dtype=np.int64)
        snap.codes = {name: np.array(cols[name], dtype=np.int32) for name in _CODED}
        for name, (offsets, codes) in multi.items():
            off = np.array(offsets, dtype=np.int64)
            snap.multi[name] = (off, np.repeat(np.arange(len(snap.ids), dtype=np.int32), np.diff(off)),
                                np.array(codes, dtype=np.int32))
        pubs = snap.values["publisher"]
        snap.publisher_names = {pubs[c]: n for c, n in zip(cols["publisher"], cols["publisher_name"], strict=True)
                                if c >= 0 and n}
        if keep_texts:
            snap.titles = SortedTexts.build(cols["title"], title_order)
            snap.identifiers = SortedTexts.build(identifiers, ident_order)
            snap.base_docs = len(identifiers)
        else:
            for position, identifier in enumerate(identifiers):
                snap.late_identifiers.setdefault(identifier, []).append(position)
        return snap

    def save(self, folder: Path) -> None:
        """Write the arrays as .npy files and the value lists as JSON (a base of the index)."""
        for name in _ARRAYS:
            np.save(folder / f"{name}.npy", getattr(self, name))
        for name, codes in self.codes.items():
            np.save(folder / f"codes-{name}.npy", codes)
        for name, (offsets, owners, codes) in self.multi.items():
            for part, arr in (("offsets", offsets), ("owners", owners), ("codes", codes)):
                np.save(folder / f"multi-{name}-{part}.npy", arr)
        for label, texts in (("titles", self.titles), ("identifiers", self.identifiers)):
            np.save(folder / f"{label}-blob.npy", texts.blob)
            np.save(folder / f"{label}-offsets.npy", texts.offsets)
        (folder / "values.json").write_text(json.dumps({"values": self.values, "publisher_names":
                                                        self.publisher_names}, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Snapshot:
        """A saved base, memory-mapped (pages shared by every process that maps it)."""
        snap = cls()

        def arr(name: str) -> np.ndarray:  # a plain array over the mapping: np.memmap's indexing is slow
            return np.load(folder / f"{name}.npy", mmap_mode="r").view(np.ndarray)

        for name in _ARRAYS:
            setattr(snap, name, arr(name))
        snap.codes = {name: arr(f"codes-{name}") for name in _CODED}
        snap.multi = {name: tuple(arr(f"multi-{name}-{p}") for p in ("offsets", "owners", "codes"))
                      for name in MULTI_FACETS}
        snap.titles = SortedTexts(arr("titles-blob"), arr("titles-offsets"))
        snap.identifiers = SortedTexts(arr("identifiers-blob"), arr("identifiers-offsets"))
        saved = json.loads((folder / "values.json").read_text(encoding="utf-8"))
        snap.values, snap.publisher_names = saved["values"], saved["publisher_names"]
        snap.values.pop(IDENTIFIER, None)  # a base compiled before identifiers were looked up in their sorted texts
        snap.base_docs = len(snap.ids)
        return snap

    # -- reading ---------------------------------------------------------------------------------
    def facet_mask(self, name: str, wanted: Sequence[str]) -> np.ndarray:
        if name == IDENTIFIER:
            mask = np.zeros(len(self.ids), dtype=bool)
            mask[self.identifier_positions(wanted)] = True
            return mask
        lookup = self._lookup(name)
        codes = [lookup[v] for v in wanted if v in lookup]
        if name in self.codes:
            return np.isin(self.codes[name], codes)
        _, owners, values = self.multi[name]
        mask = np.zeros(len(self.ids), dtype=bool)
        mask[owners[np.isin(values, codes)]] = True
        return mask

    def facet_filter(self, name: str, wanted: Sequence[str], idx: np.ndarray) -> np.ndarray:
        """Which of the documents at ``idx`` have any of the ``wanted`` values."""
        if name in self.codes:  # a table of the values wanted, read at each document's code (-1: the last, False)
            lookup = self._lookup(name)
            table = np.zeros(len(self.values[name]) + 1, dtype=bool)
            table[[lookup[v] for v in wanted if v in lookup]] = True
            return table[self.codes[name][idx]]
        if name == IDENTIFIER:
            return np.isin(idx, self.identifier_positions(wanted))
        return self.facet_mask(name, wanted)[idx]

    def identifier_positions(self, wanted: Sequence[str]) -> np.ndarray:
        """Positions of the documents with these identifiers (hidden copies too: the caller filters).

        The base's identifiers are found by binary search in their sorted texts (memory-mapped), so no
        process keeps a million identifier strings; those written since are in a small dict.
        """
        found: list[int] = []
        texts = self.identifiers
        if self.base_docs and texts is not None:
            order = self._ident_order
            if order is None:  # sorted rank -> position, from the base's ranks (built on first use)
                order = np.empty(self.base_docs, dtype=np.int64)
                order[(self.ident_key[:self.base_docs] - 1) // 2] = np.arange(self.base_docs)
                self._ident_order = order
            for value in wanted:
                rank = texts.before(value)
                if rank < len(texts) and texts[rank] == value:
                    found.append(int(order[rank]))
        for value in wanted:
            found.extend(self.late_identifiers.get(value, ()))
        return np.array(found, dtype=np.int64)

    def locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the visible-to-someone (alive) documents with these ids, and which were found."""
        if self._by_id is None:
            alive = np.flatnonzero(self.alive)
            self._by_id = alive[np.argsort(self.ids[alive], kind="stable")]
        order = self._by_id
        if not len(order):
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        at = np.minimum(np.searchsorted(self.ids[order], ids), len(order) - 1)
        pos = order[at]
        return pos, self.ids[pos] == ids

    def facet_counts(self, name: str, idx: np.ndarray, limit: int) -> list[tuple[str, int]]:
        """The ``limit`` most frequent values of a facet among the documents at positions ``idx``."""
        values = self.values[name]
        if name in self.codes:
            selected = self.codes[name][idx]
            selected = selected[selected >= 0]
        else:
            offsets, owners, codes = self.multi[name]
            if len(idx) * 4 > len(self.ids) * 3:  # most documents: one pass over every value
                mask = np.zeros(len(self.ids), dtype=bool)
                mask[idx] = True
                selected = codes[mask[owners]]
            else:  # few: gather each document's values
                starts, ends = offsets[idx], offsets[idx + 1]
                lengths = ends - starts
                flat = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(int(lengths.sum()))
                selected = codes[flat]
        return top_values(values, np.bincount(selected, minlength=len(values)), self._value_ranks(name), limit)

    def all_facet_counts(self, names: Sequence[str], idx: np.ndarray, limit: int) -> dict[str, list[tuple[str, int]]]:
        """:meth:`facet_counts` of several facets at once, counted in one pass (:mod:`search_facets`)."""
        matrix = self._matrix
        if matrix is None:  # built on first use, once per snapshot (two threads may both build one: same result)
            matrix = self._matrix = FacetMatrix({n: self.codes[n] for n in SINGLE_FACETS}, self.multi,
                                                {n: len(self.values[n]) for n in (*SINGLE_FACETS, *MULTI_FACETS)},
                                                len(self.ids))
        counts = matrix.counts(idx)
        return {name: top_values(self.values[name], counts[name], self._value_ranks(name), limit) for name in names}

    def _lookup(self, name: str) -> dict[str, int]:
        """Value -> code of a facet, built once per snapshot."""
        lookup = self._lookups.get(name)
        if lookup is None or len(lookup) != len(self.values[name]):
            lookup = self._lookups[name] = {v: i for i, v in enumerate(self.values[name])}
        return lookup

    def _value_ranks(self, name: str) -> np.ndarray:
        ranks = self._ranks.get(name)
        if ranks is None or len(ranks) != len(self.values[name]):
            ranks = self._ranks[name] = _rank(self.values[name])
        return ranks


def _code(value: str, lookup: dict[str, int], values: list[str]) -> int:
    code = lookup.get(value)
    if code is None:
        code = lookup[value] = len(values)
        values.append(value)
    return code


def combine(base: Snapshot, rows: Sequence[tuple], dead_ids: Iterable[int]) -> Snapshot:
    """``base`` with documents written since appended and its copies of them (or of removed ones) hidden."""
    dead = np.fromiter(set(dead_ids), dtype=np.int64)
    if not len(rows) and not len(dead):
        return base
    delta = Snapshot.from_rows(rows, values={k: list(v) for k, v in base.values.items()})
    n = len(base.ids)
    out = Snapshot()
    out.values, out.titles, out.identifiers = delta.values, base.titles, base.identifiers
    out.base_docs = base.base_docs
    out.late_identifiers = {k: [p + n for p in v] for k, v in delta.late_identifiers.items()}
    out.publisher_names = {**base.publisher_names, **delta.publisher_names}
    gone = np.zeros(n, dtype=bool)
    if len(dead) and n:
        at = np.minimum(np.searchsorted(base.ids, dead), n - 1)
        gone[at[base.ids[at] == dead]] = True
    for name in ("ids", "modified", "downloads"):
        setattr(out, name, np.concatenate([getattr(base, name), getattr(delta, name)]))
    out.listed = np.concatenate([base.listed & ~gone, delta.listed])
    out.alive = np.concatenate([base.alive & ~gone, delta.alive])
    for key, sub, texts, column in (("title_key", "title_sub", base.titles, 1), ("ident_key", "ident_sub",
                                                                                    base.identifiers, 5)):
        delta_texts = [r[column] for r in rows]
        before = np.array([texts.before(t) for t in delta_texts], dtype=np.int64)  # sorts before the base's
        setattr(out, key, np.concatenate([getattr(base, key), before * 2]))
        setattr(out, sub, np.concatenate([getattr(base, sub), _rank(delta_texts)]))
    out.codes = {name: np.concatenate([base.codes[name], delta.codes[name]]) for name in base.codes}
    for name in MULTI_FACETS:
        (b_off, b_own, b_codes), (d_off, d_own, d_codes) = base.multi[name], delta.multi[name]
        out.multi[name] = (np.concatenate([b_off[:-1], d_off + b_off[-1]]),
                           np.concatenate([b_own, d_own + n]).astype(np.int32), np.concatenate([b_codes, d_codes]))
    return out


def top(idx: np.ndarray, primary: np.ndarray, secondary: Callable[[np.ndarray], list[np.ndarray]], offset: int,
        limit: int) -> np.ndarray:
    """Positions of the page [offset, offset + limit) of ``idx`` in ascending order of ``primary``, ties
    broken by ``secondary(positions)`` (np.lexsort keys, the last most significant)."""
    k = offset + limit
    if k <= 0 or not len(idx):
        return idx[:0]
    if k < len(idx) // 4:  # partial selection: only the first k candidates (and ties) are fully sorted
        cut = np.partition(primary, k - 1)[k - 1]
        keep = np.flatnonzero(primary <= cut)
        idx, primary = idx[keep], primary[keep]
    order = np.lexsort([*secondary(idx), primary])
    return idx[order[offset:k]]


@dataclass(frozen=True)
class ScoreTable:
    """A score per dataset id from outside the index (the quality score, which changes with the date and
    with what is committed); ``token`` names this table, so answers cached with it are never stale."""

    token: Hashable
    ids: np.ndarray  # int64 dataset ids
    scores: np.ndarray  # int64, in the order of ids


def scores_at(snap: Snapshot, table: ScoreTable | None) -> np.ndarray:
    """The table's scores at the snapshot's positions (-1 where a dataset has none), kept on the snapshot
    for the newest table."""
    token = table.token if table is not None else None
    kept = snap.scores
    if kept is not None and kept[0] == token:
        return kept[1]
    out = np.full(len(snap.ids), -1, dtype=np.int64)
    if table is not None and len(table.ids):
        pos, known = snap.locate(table.ids)
        out[pos[known]] = table.scores[known]
    snap.scores = (token, out)
    return out

