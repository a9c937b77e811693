"""The compiled base and the documents written since: every answer is the one a fresh rebuild gives."""

from __future__ import annotations

import random

import pytest

from opendata.store import search_segments
from opendata.store.search import Clause, SearchDoc, SearchQuery, SqliteSearchIndex

WORDS = ["财政预算", "公交线路", "空气质量", "耕地补贴", "学校招生", "医院名录"]
THEMES = ["fiscal", "transport", "environment", "health"]


def _doc(rnd: random.Random, i: int) -> SearchDoc:
    word = rnd.choice(WORDS)
    return SearchDoc(id=i, identifier=f"ds-{rnd.randrange(10**6):06d}-{i}", title=f"{rnd.choice('甲乙丙丁')}{word}{i}",
                     keywords=[word[:2]], theme=rnd.choice(THEMES), publisher=rnd.choice(["a", "b"]),
                     formats=rnd.sample(["CSV", "Parquet"], rnd.randint(0, 2)), modified=float(rnd.randrange(10**6)),
                     listed=rnd.random() < 0.8, downloads=rnd.randrange(100), disclosure="unconditional")


QUERIES = [
    SearchQuery(limit=1000), SearchQuery(q="公交", limit=1000), SearchQuery(q="财政预算 学校", limit=50),
    SearchQuery(sort="title", limit=1000), SearchQuery(sort="title", descending=True, limit=30, offset=5),
    SearchQuery(sort="identifier", limit=1000), SearchQuery(sort="downloads", limit=1000),
    SearchQuery(filters={"theme": ["fiscal"]}, limit=1000), SearchQuery(filters={"format": ["CSV"]}, limit=1000),
    SearchQuery(clauses=(Clause("keyword", ("空气",), negated=True),), limit=1000),
    SearchQuery(include_unlisted=True, limit=1000), SearchQuery(q="gongjiao", limit=1000),
]


def _answers(index: SqliteSearchIndex) -> list:
    """Every answer; for a text search the set found (scores move a little with the statistics:
    idf counts a replaced base copy until the next base)."""
    out = []
    for q in QUERIES:
        hits = index.search(q)
        out.append((sorted(hits.ids) if q.q else hits.ids, hits.total, hits.facets))
    return out


@pytest.fixture
def small_compaction(monkeypatch):
    monkeypatch.setattr(search_segments, "COMPACT_MIN", 40)


def test_writes_after_the_base_answer_as_a_rebuild_would(tmp_path):
    rnd = random.Random(42)
    docs = {i: _doc(rnd, i) for i in range(1, 301)}
    index = SqliteSearchIndex(tmp_path / "a" / "search.sqlite3")
    index.write(docs.values(), replace_all=True)
    changed = {i: _doc(rnd, i) for i in rnd.sample(sorted(docs), 20)}  # rewritten: new titles, facets...
    for i, d in changed.items():
        d.downloads = docs[i].downloads  # download counts only grow: a rewrite keeps the larger
    added = {i: _doc(rnd, i) for i in range(301, 321)}
    removed = rnd.sample(sorted(set(docs) - set(changed)), 10)
    index.write([*changed.values(), *added.values()])
    index.write([], remove=removed)
    index.write([docs[removed[0]]])  # and one removed document comes back
    assert index.get_meta("base_seq") == "1"  # still the first base: the rest is written since
    final = {**docs, **changed, **added}
    for gone in removed[1:]:
        final.pop(gone)
    fresh = SqliteSearchIndex(tmp_path / "b" / "search.sqlite3")
    fresh.write(final.values(), replace_all=True)
    assert _answers(index) == _answers(fresh)
    index.close()
    fresh.close()


def test_enough_writes_compile_a_new_base_and_the_old_folder_goes(tmp_path, small_compaction):
    rnd = random.Random(7)
    home = tmp_path / "home"
    index = SqliteSearchIndex(home / "search.sqlite3")
    index.write([_doc(rnd, i) for i in range(1, 101)], replace_all=True)
    first = index.get_meta("base")
    before = _answers(index)
    index.write([_doc(rnd, i) for i in range(101, 131)])
    assert index.get_meta("base") == first
    index.write([_doc(rnd, i) for i in range(131, 151)])  # 50 written since the base: over 40
    second = index.get_meta("base")
    assert second != first and int(index.get_meta("base_docs")) == 150
    assert {p.name for p in home.glob("search-base-*")} == {first, second}  # the previous one is kept
    index.write([_doc(rnd, i) for i in range(151, 200)])
    assert {p.name for p in home.glob("search-base-*")} == {second, index.get_meta("base")}
    assert index.search(SearchQuery(limit=0)).total > 0 and before != _answers(index)
    index.close()


def test_another_process_sees_writes_and_bases_of_the_first(tmp_path, small_compaction):
    rnd = random.Random(3)
    path = tmp_path / "search.sqlite3"
    writer, reader = SqliteSearchIndex(path), SqliteSearchIndex(path)
    writer.write([_doc(rnd, i) for i in range(1, 60)], replace_all=True)
    assert reader.search(SearchQuery(limit=0)).total == writer.search(SearchQuery(limit=0)).total
    writer.write([SearchDoc(id=500, identifier="new", title="耕地地力保护补贴", words=["耕地地力保护补贴"])])
    assert reader.search(SearchQuery(q="耕地地力保护补贴")).ids[0] == 500
    writer.write([_doc(rnd, i) for i in range(600, 660)])  # compiles a new base
    assert reader.search(SearchQuery(q="耕地地力保护补贴")).ids[0] == 500
    assert _answers(reader) == _answers(writer)
    writer.close()
    reader.close()


def test_a_hidden_base_document_is_never_counted_even_for_administrators(tmp_path):
    index = SqliteSearchIndex(tmp_path / "search.sqlite3")
    index.write([SearchDoc(id=1, identifier="a", title="公交线路", theme="transport"),
                 SearchDoc(id=2, identifier="b", title="公交站点", theme="transport")], replace_all=True)
    index.write([SearchDoc(id=2, identifier="b", title="公交站点", theme="transport", listed=False)])
    hits = index.search(SearchQuery(q="公交"))
    assert hits.ids == [1] and hits.total == 1 and dict(hits.facets["theme"]) == {"transport": 1}
    admin = index.search(SearchQuery(q="公交", include_unlisted=True))
    assert sorted(admin.ids) == [1, 2] and admin.total == 2  # the rewritten copy, not both copies
    index.close()


def test_downloads_added_after_the_base_sort_its_documents_too(tmp_path):
    index = SqliteSearchIndex(tmp_path / "search.sqlite3")
    index.write([SearchDoc(id=i, identifier=f"d{i}", title=f"数据{i}") for i in (1, 2, 3)], replace_all=True)
    index.write([SearchDoc(id=3, identifier="d3", title="数据3（新）")])  # written since the base
    index.add_downloads({3: 2, 1: 1})
    assert index.search(SearchQuery(sort="downloads")).ids == [3, 1, 2]
    index.add_downloads({2: 5})
    assert index.search(SearchQuery(sort="downloads")).ids == [2, 3, 1]
    index.close()


def test_a_base_that_fails_to_compile_leaves_no_folder_and_the_old_base_answers(tmp_path, monkeypatch):
    rnd = random.Random(42)
    index = SqliteSearchIndex(tmp_path / "search.sqlite3")
    index.write([_doc(rnd, i) for i in range(1, 200)], replace_all=True)
    before = index.search(SearchQuery(q="公交", limit=1000))
    folders = sorted(p.name for p in tmp_path.iterdir() if p.is_dir())

    def fail(*args, **kwargs):
        raise MemoryError("postings")

    monkeypatch.setattr(search_segments.Postings, "build", fail)
    with pytest.raises(MemoryError):
        index.write([_doc(rnd, i) for i in range(1, 300)], replace_all=True)
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == folders  # no half-written base
    monkeypatch.undo()
    assert index.search(SearchQuery(q="公交", limit=1000)).ids == before.ids
    index.close()


def test_identifier_clauses_after_the_base_answer_as_a_rebuild_would(tmp_path):
    """Identifiers are looked up in the base's sorted texts and among documents written since: a rewritten
    document is found once (its base copy hidden), a removed one not at all, a renamed one by its new name."""
    rnd = random.Random(5)
    docs = {i: _doc(rnd, i) for i in range(1, 201)}
    index = SqliteSearchIndex(tmp_path / "a" / "search.sqlite3")
    index.write(docs.values(), replace_all=True)
    rewritten = {i: SearchDoc(**{**docs[i].__dict__, "title": "改写" + docs[i].title, "listed": True}) for i in (3, 4)}
    renamed = {5: SearchDoc(**{**docs[5].__dict__, "identifier": "renamed-5"})}
    added = {i: _doc(rnd, i) for i in (201, 202)}
    index.write([*rewritten.values(), *renamed.values(), *added.values()], remove=[6])
    final = {**docs, **rewritten, **renamed, **added}
    final.pop(6)
    fresh = SqliteSearchIndex(tmp_path / "b" / "search.sqlite3")
    fresh.write(final.values(), replace_all=True)
    asked = [docs[i].identifier for i in (1, 3, 4, 5, 6)] + ["renamed-5", added[201].identifier, "unknown"]
    for wanted in [*([w] for w in asked), asked]:
        for negated in (False, True):
            query = SearchQuery(clauses=(Clause("identifier", tuple(wanted), negated),), include_unlisted=True,
                                limit=1000)
            got, expected = index.search(query), fresh.search(query)
            assert (got.ids, got.total) == (expected.ids, expected.total), (wanted, negated)
    assert index.search(SearchQuery(clauses=(Clause("identifier", tuple(asked)),), include_unlisted=True)).total == 5
    index.close()
    fresh.close()
