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
