"""What a process searches: the index's compiled base, memory-mapped, and the documents written since.

A full rebuild, or a write after which more than a twentieth of the documents (and at least 5,000)
were written since the base, compiles a new base inside the writing transaction: the facet columns
and postings of every document are saved as ``.npy`` files in ``$OPENDATA_HOME/search-base-*``, and
the index's meta points at the new folder when the transaction commits. Every process maps the
files (the pages are shared, nothing is parsed) and builds in memory only the documents written
since, whose base copies (and those of removed documents) it hides.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from pathlib import Path

from opendata.store.search_postings import Postings, PostingsGroup
from opendata.store.search_snapshot import SNAPSHOT_SELECT, Snapshot, combine
from opendata.store.search_terms import max_term_id

BASE_PREFIX = "search-base-"
COMPACT_SHARE, COMPACT_MIN = 0.05, 5000


@dataclass
class Base:
    """A compiled base: its folder name, the sequence number it includes, its columns and postings."""

    name: str
    seq: int
    snapshot: Snapshot
    postings: Postings


@dataclass
class State:
    """One generation of the index as a process searches it."""

    snapshot: Snapshot
    postings: PostingsGroup


def empty_base() -> Base:
    return Base("", 0, Snapshot.from_rows([], keep_texts=True), Postings.build([], 1))


def compile_base(con: sqlite3.Connection, home: Path, seq: int) -> tuple[str, int]:
    """Build a base from every document the connection sees (call it inside the write); (folder, docs)."""
    name = f"{BASE_PREFIX}{seq}-{uuid.uuid4().hex[:8]}"
    work = home / f"{name}.tmp"
    work.mkdir(parents=True)
    try:
        # the snapshot is written and let go before the postings are built: the two never share the peak
        snapshot = Snapshot.from_rows(con.execute(SNAPSHOT_SELECT + " ORDER BY id"), keep_texts=True)
        docs = len(snapshot.ids)
        snapshot.save(work)
        del snapshot
        total = con.execute("SELECT coalesce(sum(length(terms)), 0) / 8 FROM doc").fetchone()[0]
        postings = Postings.build((r[0] for r in con.execute("SELECT terms FROM doc ORDER BY id")),
                                  max_term_id(con) + 1, total=total)
        postings.save(work)
        del postings
        (work / "base.json").write_text(json.dumps({"seq": seq, "docs": docs}), encoding="utf-8")
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    os.replace(work, home / name)
    return name, docs


def prune_bases(home: Path, keep: set[str]) -> None:
    """Delete other bases (a process still mapping one keeps its pages until it moves on)."""
    for folder in home.glob(f"{BASE_PREFIX}*"):
        if folder.name not in keep:
            shutil.rmtree(folder, ignore_errors=True)


def open_base(home: Path, name: str) -> Base:
    folder = home / name
    meta = json.loads((folder / "base.json").read_text(encoding="utf-8"))
    snapshot = Snapshot.load(folder)
    return Base(name, meta["seq"], snapshot, Postings.load(folder, len(snapshot.ids)))


def load_state(con: sqlite3.Connection, base: Base) -> State:
    """``base`` plus the documents written after it, read in the caller's read transaction."""
    rows = con.execute(SNAPSHOT_SELECT + " WHERE seq > ? ORDER BY id", (base.seq,)).fetchall()
    removed = [r[0] for r in con.execute("SELECT id FROM removed WHERE seq > ?", (base.seq,))]
    snapshot = combine(base.snapshot, rows, [r[0] for r in rows] + removed)
    parts = [base.postings]
    if rows:
        blobs = (r[0] for r in con.execute("SELECT terms FROM doc WHERE seq > ? ORDER BY id", (base.seq,)))
        average = base.postings.average if base.name else None
        parts.append(Postings.build(blobs, max_term_id(con) + 1, average))
    return State(snapshot, PostingsGroup(parts, alive=int(snapshot.alive.sum())))


def needs_compaction(con: sqlite3.Connection, base_seq: int, base_docs: int) -> bool:
    """Whether enough was written since the base to compile a new one."""
    written = con.execute("SELECT count(*) FROM doc WHERE seq > ?", (base_seq,)).fetchone()[0]
    removed = con.execute("SELECT count(*) FROM removed WHERE seq > ?", (base_seq,)).fetchone()[0]
    return written + removed > max(COMPACT_MIN, COMPACT_SHARE * base_docs)
