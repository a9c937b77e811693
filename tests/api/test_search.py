"""Catalogue search: Chinese-aware full text, column names, facets, filters, sort, pages."""

from __future__ import annotations

import pytest


def ids(body) -> list[str]:
    return [d["id"] for d in body["results"]]


def facet(body, name) -> dict[str, int]:
    return {f["value"]: f["count"] for f in body["facets"][name]}


def test_two_character_chinese_word_finds_its_dataset(client):
    body = client.get("/api/v1/datasets", query_string={"q": "财政"}).json
    assert ids(body) == ["budget"]
    assert client.get("/api/v1/datasets", query_string={"q": "招生"}).json["total"] == 1
    assert ids(client.get("/api/v1/datasets", query_string={"q": "空气"}).json) == ["air"]


def test_chinese_phrase_inside_a_longer_title_is_found(client):
    assert ids(client.get("/api/v1/datasets", query_string={"q": "质量监测"}).json) == ["air"]
    assert client.get("/api/v1/datasets", query_string={"q": "质监"}).json["total"] == 0


def test_column_name_and_column_title_are_searchable(client):
    assert ids(client.get("/api/v1/datasets", query_string={"q": "pm25_concentration"}).json) == ["air"]
    assert ids(client.get("/api/v1/datasets", query_string={"q": "细颗粒物"}).json) == ["air"]
    # a column every dataset of the rows schema has: all of them, whatever their disclosure class
    assert client.get("/api/v1/datasets", query_string={"q": "district"}).json["total"] == 5


def test_latin_words_are_case_insensitive_and_prefix_matched(client):
    assert ids(client.get("/api/v1/datasets", query_string={"q": "ENROL"}).json) == ["schools"]
    assert ids(client.get("/api/v1/datasets", query_string={"q": "municipal budget"}).json) == ["budget"]


def test_keywords_and_description_are_searchable(client):
    assert ids(client.get("/api/v1/datasets", query_string={"q": "补贴"}).json) == ["subsidies"]
    assert ids(client.get("/api/v1/datasets", query_string={"q": "收支"}).json) == ["budget"]


def test_query_without_words_finds_nothing(client):
    body = client.get("/api/v1/datasets", query_string={"q": "？！"}).json
    assert body["total"] == 0 and body["results"] == []


def test_facets_count_every_listed_dataset(client):
    body = client.get("/api/v1/datasets").json
    assert body["total"] == 6
    assert facet(body, "disclosure") == {"unconditional": 4, "conditional": 1, "closed": 1}
    assert facet(body, "publisher") == {"finance": 3, "city": 2, "env": 1}
    # formats of data anyone may download: not the conditional and closed ones; traffic has no version
    assert facet(body, "format") == {"CSV": 3, "Parquet": 3}
    assert facet(body, "frequency") == {"annual": 4, "daily": 1, "monthly": 1}
    assert facet(body, "keyword")["预算"] == 1
    themes = {f["value"]: f for f in body["facets"]["theme"]}
    assert themes["fiscal"]["label"] == "财政预决算" and themes["fiscal"]["count"] == 1
    labels = {f["value"]: f["label"] for f in body["facets"]["disclosure"]}
    assert labels == {"unconditional": "无条件开放", "conditional": "有条件开放", "closed": "不予开放"}


@pytest.mark.parametrize(("params", "expected"), [
    ({"theme": "fiscal"}, ["budget"]),
    ({"theme": "财政预决算"}, ["budget"]),
    ({"theme": ["fiscal", "environment"]}, ["air", "budget"]),
    ({"keyword": "招生,空气"}, ["air", "schools"]),
    ({"publisher": "city"}, ["schools", "traffic"]),
    ({"disclosure": "有条件开放"}, ["subsidies"]),
    ({"frequency": "daily"}, ["air"]),
    ({"keyword": "招生"}, ["schools"]),
    ({"format": "Parquet", "publisher": "city"}, ["schools"]),
    ({"publisher": "finance", "disclosure": "unconditional"}, ["budget"]),
    ({"q": "district", "disclosure": "unconditional"}, ["budget", "schools", "traffic"]),
])
def test_filters_combine_or_within_and_across_facets(client, params, expected):
    body = client.get("/api/v1/datasets", query_string={**params, "sort": "title"}).json
    assert sorted(ids(body)) == expected
    assert body["total"] == len(expected)
    assert sum(facet(body, "disclosure").values()) == len(expected)


def test_repeated_parameters_are_or_too(client):
    body = client.get("/api/v1/datasets?theme=fiscal&theme=transport").json
    assert sorted(ids(body)) == ["budget", "traffic"]


def test_sort_by_title_and_modified(client):
    by_title = ids(client.get("/api/v1/datasets", query_string={"sort": "title"}).json)
    titles = [client.get(f"/api/v1/datasets/{i}").json["title"] for i in by_title]
    assert titles == sorted(titles)
    newest = client.get("/api/v1/datasets", query_string={"sort": "modified"}).json["results"]
    stamps = [d["modified"] for d in newest]
    assert stamps == sorted(stamps, reverse=True)


def test_relevance_prefers_title_matches(client):
    # 补贴 is in the title of subsidies; 预算 only a keyword of budget and part of its title
    body = client.get("/api/v1/datasets", query_string={"q": "明细"}).json
    assert ids(body)[0] == "subsidies"  # title match outranks budget's description match
    assert set(ids(body)) == {"subsidies", "budget"}


def test_pages_cover_every_result_once_with_a_stable_total(client):
    seen = []
    for page in (1, 2, 3, 4):
        body = client.get("/api/v1/datasets", query_string={"sort": "title", "page": page, "page_size": 2}).json
        assert body["total"] == 6 and body["page"] == page and body["page_size"] == 2
        seen.extend(ids(body))
    assert len(seen) == 6 and len(set(seen)) == 6


@pytest.mark.parametrize("query", [
    {"sort": "popularity"}, {"page": "0"}, {"page_size": "101"}, {"page": "x"}, {"theme": "no-such-theme"},
    {"frequency": "hourly"}, {"disclosure": "secret"},
])
def test_bad_search_parameters_are_422_in_the_error_shape(client, query):
    r = client.get("/api/v1/datasets", query_string=query)
    assert r.status_code == 422
    assert set(r.json) == {"code", "status", "message", "errors"} and r.json["status"] == 422


def test_licence_facet_and_filter_and_identifier_sort(client):
    body = client.get("/api/v1/datasets").json
    assert facet(body, "license") == {"CC-BY-4.0": body["total"]}
    assert client.get("/api/v1/datasets", query_string={"license": "CC0-1.0"}).json["total"] == 0
    assert client.get("/api/v1/datasets", query_string={"license": "CC-BY-4.0"}).json["total"] == body["total"]
    by_id = ids(client.get("/api/v1/datasets", query_string={"sort": "identifier"}).json)
    assert by_id == sorted(by_id) and len(by_id) == body["total"]


def test_a_bad_synonym_file_stops_the_app_at_start_naming_file_and_line(tmp_path):
    from opendata.config import load_config
    from opendata.core.errors import InputError
    from opendata.store.migrate import upgrade_to_head
    from tests.conftest import running_app

    bad = tmp_path / "synonyms.txt"
    bad.write_text("公交, 公共汽车\n孤单\n", encoding="utf-8")
    config = load_config({}, HOME=str(tmp_path / "home"), SEARCH_SYNONYMS_FILE=str(bad))
    config.home.mkdir(parents=True)
    upgrade_to_head(config.database_url)
    with pytest.raises(InputError) as err, running_app(config):
        pass
    assert f"{bad}:2" in str(err.value)
