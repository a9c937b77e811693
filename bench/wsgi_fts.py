"""The search peer of bench/search.py: SQLite FTS5 over the same datasets, as a bare WSGI callable.

What a deployment without our index would build: an FTS5 table (unicode61 tokenizer) over each
dataset's title, English title and keywords, Chinese cut by jieba in search mode (the same rjieba
our index uses), queries cut the same way and their words OR-ed, ranked by ``bm25()`` with the same
field weights as ours (3, 3, 2.5), then newest first; a theme or disclosure filter, a sort by date
or title and pages, and the count of matches. No synonyms, pinyin, facets or visibility rules: it
does less than ``/api/v1/datasets`` per request, so it is a fair floor for the same HTTP stack.

    python bench/wsgi_fts.py build OPENDATA_DB PEER_DB   # its index, from opendata's database
    BENCH_FTS_DB=PEER_DB gunicorn wsgi_fts:app           # serves GET /search?q=&theme=&sort=&page=
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
import threading
from urllib.parse import parse_qs

import rjieba

PAGE = 20
WORD = re.compile(r"[\w.]+")
SORTS = {"modified": "d.modified DESC", "title": "d.title"}
_local = threading.local()


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``, Chinese cut by jieba in search mode (no HMM, as our index)."""
    out = []
    for run in WORD.findall(text.lower()):
        out.extend(w for w in rjieba.cut_for_search(run, False) if w.strip())
    return out


def build(source: str, target: str) -> int:
    """Write the peer database from opendata's ``datasets`` table; returns the number indexed."""
    if os.path.exists(target):
        os.remove(target)
    db = sqlite3.connect(target)
    db.executescript("""
        PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF;
        CREATE TABLE datasets (id INTEGER PRIMARY KEY, identifier TEXT, title TEXT, theme TEXT,
                               disclosure TEXT, modified TEXT);
        CREATE VIRTUAL TABLE fts USING fts5(title, title_en, keywords, content='', tokenize='unicode61');
    """)
    db.execute("ATTACH DATABASE ? AS src", (source,))
    rows = db.execute("SELECT id, identifier, title, title_en, keywords, theme, disclosure, modified_at "
                      "FROM src.dataset WHERE state = 'active'")
    count = 0
    while batch := rows.fetchmany(10_000):
        db.executemany("INSERT INTO datasets VALUES (?, ?, ?, ?, ?, ?)",
                       [(r[0], r[1], r[2], r[5], r[6], r[7]) for r in batch])
        db.executemany("INSERT INTO fts (rowid, title, title_en, keywords) VALUES (?, ?, ?, ?)", [
            (r[0], " ".join(words(r[2] or "")), " ".join(words(r[3] or "")),
             " ".join(words(" ".join(json.loads(r[4] or "[]"))))) for r in batch])
        count += len(batch)
    db.commit()
    db.close()
    return count


def _db() -> sqlite3.Connection:
    if getattr(_local, "db", None) is None:
        _local.db = sqlite3.connect(f"file:{os.environ['BENCH_FTS_DB']}?mode=ro", uri=True,
                                    check_same_thread=False)
    return _local.db


def search(params: dict[str, list[str]]) -> dict:
    """``total`` and a page of ``results`` (identifier, title) for the query string's parameters."""
    terms = sorted(set(words(params.get("q", [""])[0])))
    where, args = [], []
    if terms:
        where.append("fts MATCH ?")
        args.append(" OR ".join('"' + t.replace('"', '""') + '"' for t in terms))
    for facet in ("theme", "disclosure"):
        if facet in params:
            where.append(f"d.{facet} = ?")
            args.append(params[facet][0])
    joined = "FROM fts JOIN datasets d ON d.id = fts.rowid" if terms else "FROM datasets d"
    clause = (" WHERE " + " AND ".join(where)) if where else ""
    order = SORTS.get(params.get("sort", [""])[0]) or ("bm25(fts, 3.0, 3.0, 2.5), d.modified DESC" if terms
                                                       else "d.modified DESC")
    page = max(1, int(params.get("page", ["1"])[0]))
    db = _db()
    total = db.execute(f"SELECT count(*) {joined}{clause}", args).fetchone()[0]
    found = db.execute(f"SELECT d.identifier, d.title {joined}{clause} ORDER BY {order} LIMIT ? OFFSET ?",
                       [*args, PAGE, (page - 1) * PAGE]).fetchall()
    return {"total": total, "results": [{"id": i, "title": t} for i, t in found]}


def app(environ, start_response):
    body = json.dumps(search(parse_qs(environ.get("QUERY_STRING", ""))), ensure_ascii=False).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] != "build":
        raise SystemExit(__doc__)
    print(f"peer index: {build(sys.argv[2], sys.argv[3]):,} datasets")
