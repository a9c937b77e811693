"""The search index on its own: clauses (negated too), modification bounds, sorts in both directions, licence facet."""

from __future__ import annotations

import pytest

from opendata.store.search import Clause, SearchDoc, SearchQuery, SqliteSearchIndex

DOCS = [
    SearchDoc(id=1, identifier="budget", title="财政预算", theme="fiscal", publisher="finance", disclosure="unconditional",
              keywords=["预算", "财政"], formats=["CSV", "Parquet"], modified=100.0, license="CC-BY-4.0", downloads=5),
    SearchDoc(id=2, identifier="air", title="空气质量", theme="environment", publisher="env", disclosure="unconditional",
              keywords=["空气"], formats=["CSV"], modified=300.0, license="CC0-1.0", downloads=50),
    SearchDoc(id=3, identifier="subsidies", title="补贴名单", theme="fiscal", publisher="finance",
              disclosure="conditional", keywords=["预算", "补贴"], modified=200.0, license="CC-BY-4.0", downloads=0),
    SearchDoc(id=4, identifier="bus", title="公交线路", theme="transport", publisher="transport",
              disclosure="unconditional", keywords=["公交"], formats=["CSV"], modified=400.0, license=None, downloads=9),
]


@pytest.fixture
def index(tmp_path):
    idx = SqliteSearchIndex(tmp_path / "search.sqlite3")
    idx.write(DOCS, replace_all=True)
    yield idx
    idx.close()


def _ids(index, **kw) -> list[str]:
    by_id = {d.id: d.identifier for d in DOCS}
    return [by_id[i] for i in index.search(SearchQuery(limit=100, **kw)).ids]


def test_a_negated_clause_excludes_and_a_clause_keeps(index):
    assert set(_ids(index, clauses=(Clause("publisher", ("finance",), negated=True),))) == {"air", "bus"}
    assert set(_ids(index, clauses=(Clause("publisher", ("finance",)),))) == {"budget", "subsidies"}
    assert set(_ids(index, clauses=(Clause("keyword", ("预算", "公交")),))) == {"budget", "subsidies", "bus"}
    both = (Clause("keyword", ("预算",)), Clause("keyword", ("补贴",)))  # AND within a multi-valued facet
    assert _ids(index, clauses=both) == ["subsidies"]
    assert _ids(index, clauses=(Clause("identifier", ("air", "nope")),)) == ["air"]
    assert _ids(index, clauses=(Clause("theme", ()),)) == []  # any of nothing matches nothing
    assert len(_ids(index, clauses=(Clause("format", ("Parquet",), negated=True),))) == 3


def test_clauses_and_filters_and_text_combine(index):
    got = _ids(index, q="预算", filters={"theme": ["fiscal"]},
               clauses=(Clause("disclosure", ("conditional",), negated=True),))
    assert got == ["budget"]


def test_modification_bounds_are_inclusive(index):
    assert set(_ids(index, modified_from=200.0)) == {"subsidies", "air", "bus"}
    assert set(_ids(index, modified_to=200.0)) == {"budget", "subsidies"}
    assert _ids(index, modified_from=250.0, modified_to=350.0) == ["air"]


@pytest.mark.parametrize("sort, descending, expected", [
    ("identifier", None, ["air", "budget", "bus", "subsidies"]),
    ("identifier", True, ["subsidies", "bus", "budget", "air"]),
    ("modified", None, ["bus", "air", "subsidies", "budget"]),
    ("modified", False, ["budget", "subsidies", "air", "bus"]),
    ("downloads", None, ["air", "bus", "budget", "subsidies"]),
    ("downloads", False, ["subsidies", "budget", "bus", "air"]),
])
def test_sorts_go_both_ways(index, sort, descending, expected):
    assert _ids(index, sort=sort, descending=descending) == expected


def test_title_sort_reverses(index):
    forward = _ids(index, sort="title")
    assert _ids(index, sort="title", descending=True) == forward[::-1]


def test_licence_is_a_facet_with_counts_and_a_filter(index):
    hits = index.search(SearchQuery(limit=0))
    assert dict(hits.facets["license"]) == {"CC-BY-4.0": 2, "CC0-1.0": 1}
    assert _ids(index, filters={"license": ["CC0-1.0"]}) == ["air"]


def test_answers_with_other_clauses_are_not_served_from_the_cache(index):
    plain = _ids(index)
    narrowed = _ids(index, clauses=(Clause("identifier", ("bus",)),))
    assert len(plain) == 4 and narrowed == ["bus"] and _ids(index) == plain


def _index_of(tmp_path, docs, **kw) -> SqliteSearchIndex:
    idx = SqliteSearchIndex(tmp_path / "ranked.sqlite3", **kw)
    idx.write(docs, replace_all=True)
    return idx


def _found(idx, docs, q) -> list[str]:
    by_id = {d.id: d.identifier for d in docs}
    return [by_id[i] for i in idx.search(SearchQuery(q=q, limit=100)).ids]


RANKED = [
    SearchDoc(id=1, identifier="lines", title="公交线路", modified=400.0),
    SearchDoc(id=2, identifier="both", title="公交运营", description="年度预算执行情况", modified=100.0),
    SearchDoc(id=3, identifier="budget", title="部门预算", modified=300.0),
    SearchDoc(id=4, identifier="described", title="年度报告", description="含公交数据", modified=500.0),
    SearchDoc(id=5, identifier="other", title="空气质量", modified=600.0),
]


def test_any_word_matches_and_datasets_holding_most_words_rank_first(tmp_path):
    idx = _index_of(tmp_path, RANKED)
    found = _found(idx, RANKED, "公交预算")
    assert found[0] == "both" and set(found) == {"lines", "both", "budget", "described"}
    idx.close()


def test_a_word_in_the_title_outranks_the_same_word_in_the_description(tmp_path):
    idx = _index_of(tmp_path, RANKED)
    found = _found(idx, RANKED, "公交")
    assert found.index("lines") < found.index("described")
    idx.close()


def test_a_word_most_datasets_hold_matches_only_with_a_rarer_one(tmp_path):
    docs = [SearchDoc(id=i, identifier=f"d{i}", title=f"青川市第{i}号数据", modified=float(i)) for i in range(1, 201)]
    docs += [SearchDoc(id=300, identifier="bus", title="青川市公交线路"), SearchDoc(id=301, identifier="x", title="公交站")]
    idx = _index_of(tmp_path, docs)
    assert _found(idx, docs, "青川公交")[:2] == ["bus", "x"] and len(_found(idx, docs, "青川公交")) == 2
    assert idx.search(SearchQuery(q="青川")).total == 201  # every word common: they match as usual
    idx.close()


def test_synonyms_from_the_table_find_the_other_word(tmp_path):
    docs = [SearchDoc(id=1, identifier="bus", title="公共汽车站点"), SearchDoc(id=2, identifier="air", title="空气")]
    plain = _index_of(tmp_path, docs)
    assert _found(plain, docs, "公交") == []
    plain.close()
    with_table = SqliteSearchIndex(tmp_path / "ranked.sqlite3", synonyms={"公交": ("公共汽车",)})
    assert _found(with_table, docs, "公交") == ["bus"]
    with_table.close()


def test_pinyin_finds_title_and_keyword_words_only_when_switched_on(tmp_path):
    docs = [SearchDoc(id=1, identifier="budget", title="示例市财政预算", keywords=["预算"]),
            SearchDoc(id=2, identifier="bus", title="公交线路", description="财政补贴")]
    idx = _index_of(tmp_path, docs)
    # pinyin reads a word of some title or keyword list; the word then matches in any field
    assert _found(idx, docs, "caizheng") == ["budget", "bus"]
    assert _found(idx, docs, "butie") == []  # 补贴 is in no title or keyword list
    assert _found(idx, docs, "czys") == ["budget"] and _found(idx, docs, "gongjiao xianlu") == ["bus"]
    idx.close()
    off = SqliteSearchIndex(tmp_path / "ranked.sqlite3", pinyin=False)
    assert _found(off, docs, "caizheng") == []
    off.close()


def test_latin_words_match_as_prefixes_and_pinyin_is_not_tried_for_them(tmp_path):
    docs = [SearchDoc(id=1, identifier="schools", title="义务教育", title_en="School enrolment zones"),
            SearchDoc(id=2, identifier="zone", title="招生", description="zone")]
    idx = _index_of(tmp_path, docs)
    assert _found(idx, docs, "ENROL") == ["schools"]
    assert set(_found(idx, docs, "zone")) == {"schools", "zone"}
    idx.close()


def test_an_incremental_write_is_searchable_at_once_and_a_removal_is_gone(tmp_path):
    idx = _index_of(tmp_path, RANKED)
    assert _found(idx, RANKED, "耕地") == []
    new = SearchDoc(id=9, identifier="farm", title="耕地地力保护补贴", words=["耕地地力保护补贴"])
    idx.write([new])
    assert _found(idx, [*RANKED, new], "耕地补贴") == ["farm"]
    idx.write([], remove=[9])
    assert _found(idx, RANKED, "耕地") == []
    idx.close()


def test_keyword_counts_include_datasets_with_more_keywords_than_a_facet_row_holds(tmp_path):
    """Past MULTI_COLUMNS keywords a dataset's others are counted from the facet's own arrays."""
    import random

    from opendata.store.search_facets import MULTI_COLUMNS

    rnd = random.Random(42)
    words = [f"词{i}" for i in range(12)]
    docs = [SearchDoc(id=i + 1, identifier=f"d{i}", title=f"数据{i}", keywords=rnd.sample(words, rnd.randint(0, 9)),
                      formats=["CSV"] if i % 2 else [], modified=float(i)) for i in range(60)]
    assert max(len(d.keywords) for d in docs) > MULTI_COLUMNS
    idx = SqliteSearchIndex(tmp_path / "search.sqlite3")
    idx.write(docs, replace_all=True)
    for wanted in (None, ["词3"]):  # every dataset (counted as all less none), then a few of them
        hits = idx.search(SearchQuery(limit=0, facet_limit=100, filters={"keyword": wanted} if wanted else {}))
        kept = [d for d in docs if wanted is None or wanted[0] in d.keywords]
        expected = {w: sum(w in d.keywords for d in kept) for w in words}
        assert dict(hits.facets["keyword"]) == {w: n for w, n in expected.items() if n}
        assert dict(hits.facets["format"]) == {"CSV": sum(1 for d in kept if d.formats)}
    idx.close()


def test_facet_codes_past_the_narrow_range_are_counted_exactly():
    """A facet of more values than 16-bit codes hold (a large catalogue's keywords) still counts each one."""
    import numpy as np

    from opendata.store.search_facets import FacetMatrix

    codes = np.array([39_999, 0, 39_999, -1, 35_000], dtype=np.int32)
    matrix = FacetMatrix({"publisher": codes}, {}, {"publisher": 40_000}, len(codes))
    counts = matrix.counts(np.array([0, 1, 2, 3]))["publisher"]
    assert (counts[39_999], counts[0], counts[35_000], counts.sum()) == (2, 1, 0, 3)


def test_facet_counts_through_profiles_equal_the_counts_of_every_row():
    """Counting the matches' profiles (distinct rows) gives each value's count exactly, overflow included."""
    import numpy as np

    from opendata.store.search_facets import MULTI_COLUMNS, PROFILE_SHARE, FacetMatrix

    rnd = np.random.default_rng(42)
    n = 5000
    singles = {"theme": rnd.integers(-1, 6, n).astype(np.int32), "publisher": rnd.integers(0, 30, n).astype(np.int32)}
    lengths = rnd.choice([0, 1, 2, MULTI_COLUMNS + 3], n, p=[0.2, 0.4, 0.38, 0.02])  # a few overflow the row
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    owners = np.repeat(np.arange(n, dtype=np.int32), lengths)
    codes = np.concatenate([rnd.choice(12, k, replace=False) for k in lengths]).astype(np.int32)
    sizes = {"theme": 6, "publisher": 30, "keyword": 12}

    def build(profiles):
        return FacetMatrix(singles, {"keyword": (offsets, owners, codes)}, sizes, n, profiles=profiles)

    by_rows, by_profiles, chosen = build(False), build(True), build(None)
    assert by_rows.profile is None and by_profiles.profile is not None
    assert len(by_profiles.profile_rows) < n  # documents share rows
    assert (chosen.profile is not None) == (len(by_profiles.profile_rows) * PROFILE_SHARE <= n)
    for size in (0, 1, 700, 4000):  # 4000: more than half, counted as everything less the others
        idx = np.sort(rnd.choice(n, size, replace=False))
        expected = {"theme": np.bincount(singles["theme"][idx][singles["theme"][idx] >= 0], minlength=6),
                    "publisher": np.bincount(singles["publisher"][idx], minlength=30),
                    "keyword": np.bincount(codes[np.isin(owners, idx)], minlength=12)}
        for matrix in (by_rows, by_profiles):
            got = matrix.counts(idx)
            assert all(np.array_equal(got[name], expected[name]) for name in expected)


def _generated_index(tmp_path, count: int = 600) -> SqliteSearchIndex:
    """A small generated catalogue (tests/search_catalogue.py) with a few documents written after its base."""
    import random

    from tests.search_catalogue import PLACES, SUBJECTS

    rnd = random.Random(7)
    docs = []
    for i in range(count):
        (place, place_en), subject, year = rnd.choice(PLACES[:4]), rnd.choice(SUBJECTS[:6]), rnd.randint(2019, 2023)
        docs.append(SearchDoc(id=i + 1, identifier=f"g{i}", title=f"{place}{year}年{subject.zh}",
                              title_en=f"{place_en} {subject.en} {year}", keywords=list(subject.keywords),
                              description=f"{place}{subject.department}发布的{subject.zh}数据", theme=subject.theme,
                              modified=float(rnd.randint(0, 50)), words=[place, *subject.keywords]))
    idx = SqliteSearchIndex(tmp_path / "search.sqlite3")
    idx.write(docs[:-40], replace_all=True)
    idx.write(docs[-40:])  # documents written since the base: a second part of the postings
    return idx


def test_scores_computed_for_a_page_s_candidates_equal_the_scores_of_a_full_pass(tmp_path, monkeypatch):
    """A match's score is the same summed over every posting or looked up for a few candidates, in either part."""
    import numpy as np

    from opendata.store import search_query
    from opendata.store.search_text import plan_query

    idx = _generated_index(tmp_path)
    state = idx._current()
    assert len(state.postings.parts) == 2
    for q in ("西湖区空气质量", "财政预算2021", "Xihu budget", "xihu"):
        found = search_query.evaluate(search_query.resolve(plan_query(q, idx.synonyms), idx._vocab, state.postings,
                                                           pinyin=True), state.postings)
        assert len(found.positions) > 20
        score, cover = np.zeros(state.postings.n_docs, np.float32), np.zeros(state.postings.n_docs, np.uint32)
        state.postings.accumulate(found.resolved.weighted, score, cover)
        every = np.arange(len(found.positions))
        some = every[::3]
        for dense in (0, 10**6):  # looked up per candidate, then summed over every posting
            monkeypatch.setattr(search_query, "DENSE_SCORING", dense)
            assert np.array_equal(found.score(every), score[found.positions])
            assert np.array_equal(found.score(some), score[found.positions[some]])
    idx.close()


def test_relevance_pages_follow_one_another_as_one_long_page(tmp_path):
    """Each page ranks only the matches holding the most atoms; page after page gives the full ranking."""
    idx = _generated_index(tmp_path)
    for q in ("西湖区空气质量", "上城区2020年财政预算", "Xihu budget"):
        whole = idx.search(SearchQuery(q=q, limit=1000))
        assert whole.total > 60
        paged = [i for offset in range(0, whole.total, 7) for i in idx.search(SearchQuery(q=q, offset=offset, limit=7)).ids]
        assert paged == whole.ids
    idx.close()


@pytest.mark.parametrize("words", [3, 12, 20])  # atoms held in 8, 16 and 32 bits
def test_atoms_held_are_counted_whatever_the_width_of_the_marks(tmp_path, words):
    import numpy as np

    from opendata.store import search_query
    from opendata.store.search_text import plan_query
    from tests.search_catalogue import PLACES, SUBJECTS

    idx = _generated_index(tmp_path)
    state = idx._current()
    q = " ".join([p for p, _ in PLACES[:4]] + [s.zh for s in SUBJECTS[:6]] + [s.en for s in SUBJECTS[:6]])
    plan = plan_query(q, idx.synonyms)
    resolved = search_query.resolve(plan, idx._vocab, state.postings, pinyin=True)
    kept = [t for t in resolved.weighted if t[2] < 1 << words]
    resolved = search_query.Resolved(kept, words, (1 << words) - 1)
    assert len(plan.atoms) >= words and {t[2].bit_length() for t in kept} >= {words}
    found = search_query.evaluate(resolved, state.postings)
    cover = np.zeros(state.postings.n_docs, dtype=np.uint64)
    for term_id, _, bits in kept:  # the reference: every term's bits OR-ed, one document at a time
        for position in np.flatnonzero(np.isin(np.arange(len(cover)), _docs_of(state.postings, term_id))):
            cover[position] |= np.uint64(bits)
    expected = np.flatnonzero(cover)
    assert np.array_equal(found.positions, expected)
    assert found.atoms.tolist() == [bin(int(c)).count("1") for c in cover[expected]]
    idx.close()


def _docs_of(group, term_id):
    import numpy as np

    out, start = [], 0
    for part in group.parts:
        if term_id < len(part.offsets) - 1:
            out.append(part.docs[part.offsets[term_id]:part.offsets[term_id + 1]].astype(np.int64) + start)
        start += part.n_docs
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def test_a_new_generation_lets_go_of_the_matches_of_the_old_one(tmp_path):
    """Matches hold their generation's postings; once the index changes they are dropped, not aged out."""
    idx = _generated_index(tmp_path)
    idx.search(SearchQuery(q="西湖区空气质量"))
    old = idx._current().snapshot.generation
    assert [key[0] for key in idx._matches] == [old]
    idx.write([SearchDoc(id=10_001, identifier="later", title="西湖区空气质量补充")])
    hits = idx.search(SearchQuery(q="西湖区空气质量", limit=1000))
    assert 10_001 in hits.ids
    assert [key[0] for key in idx._matches] == [idx._current().snapshot.generation] != [old]
    idx.close()
