"""package_search as harvesters and CKAN clients call it: Solr q/fq syntax, sort directions, licence facet.

The catalogue (tests/api/standards/catalogue.py) lists budget, pending, subsidies (finance),
bus-lines, penalties (transport); only budget and bus-lines serve data.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import ckanapi
import pytest

ALL = {"budget", "bus-lines", "pending", "subsidies", "penalties"}
FINANCE = {"budget", "pending", "subsidies"}


def _names(ckan, **params) -> list[str]:
    found = ckan.action.package_search(rows=100, **params)
    names = [p["name"] for p in found["results"]]
    assert found["count"] == len(names)
    return names


@pytest.mark.parametrize("fq, expected", [
    ("-organization:finance", ALL - FINANCE),                        # the harvester's exclusions
    ("NOT organization:finance", ALL - FINANCE),
    ("organization:(finance OR transport)", ALL),
    ("organization:finance OR organization:transport", ALL),
    ("tags:(预算 AND 财政)", {"budget"}),
    ("tags:预算 -name:pending", {"budget"}),
    ("-organization:(finance OR transport)", set()),
    ("name:budget", {"budget"}),
    ("id:budget OR id:bus-lines", {"budget", "bus-lines"}),
    ("license_id:CC-BY-4.0", ALL),
    ("license_id:CC0-1.0", set()),
    ("dataset_type:dataset", ALL),
    ("dataset_type:harvest", set()),
    ("-dataset_type:harvest", ALL),
    ("capacity:public +organization:transport", {"bus-lines", "penalties"}),
    ("*:*", ALL),
    ('groups:"transport"', {"bus-lines"}),
    ("res_format:csv -organization:transport", {"budget"}),
])
def test_fq_terms_negations_and_or_groups(ckan, fq, expected):
    assert set(_names(ckan, fq=fq)) == expected


@pytest.mark.parametrize("q, expected", [
    ('tags:"预算" OR tags:公交', {"budget", "pending", "bus-lines"}),
    ("预算 organization:finance", {"budget", "pending"}),
    ("text:公交", {"bus-lines"}),
    ("公交线路", {"bus-lines"}),
    ("budget", {"budget"}),
])
def test_q_takes_words_and_field_terms(ckan, q, expected):
    assert set(_names(ckan, q=q)) == expected


def test_metadata_modified_ranges_select_by_time(ckan):
    packages = {p["name"]: p for p in ckan.action.package_search(rows=100)["results"]}
    times = sorted((datetime.fromisoformat(p["metadata_modified"]), name) for name, p in packages.items())
    middle, newest = times[len(times) // 2][0], times[-1][0]
    later = {name for t, name in times if t >= middle}
    stamp = middle.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
    assert set(_names(ckan, fq=f"metadata_modified:[{stamp} TO *]")) == later
    assert set(_names(ckan, fq=f"metadata_modified:[* TO {stamp}]")) == {n for t, n in times if t <= middle}
    after = (newest + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert _names(ckan, fq=f"metadata_modified:[{after} TO NOW]") == []
    assert set(_names(ckan, fq="metadata_modified:[* TO NOW]")) == ALL


@pytest.mark.parametrize("sort", ["id asc", "name asc", "name desc", "title_string asc", "title_string desc",
                                  "metadata_modified asc", "metadata_modified desc"])
def test_sorts_follow_their_direction(ckan, sort):
    results = ckan.action.package_search(rows=100, sort=sort)["results"]
    field, direction = sort.split()
    key = {"id": "name", "name": "name", "title_string": "title", "metadata_modified": "metadata_modified"}[field]
    values = [p[key] for p in results]
    assert values == sorted(values, reverse=direction == "desc") and len(values) == 5


def test_the_harvester_paging_query_walks_every_package_once(ckan):
    """ckanext-harvest pages with sort="id asc", rows and start, filtered by a modified range."""
    seen = []
    for start in range(0, 10, 2):
        seen += _names_page(ckan, fq="metadata_modified:[1970-01-01T00:00:00Z TO *]", sort="id asc",
                            rows=2, start=start)
    assert seen == sorted(ALL)


def _names_page(ckan, **params) -> list[str]:
    return [p["name"] for p in ckan.action.package_search(**params)["results"]]


def test_licence_is_a_facet(ckan):
    found = ckan.action.package_search(**{"facet.field": json.dumps(["license_id", "organization"])})
    assert found["facets"]["license_id"] == {"CC-BY-4.0": 5}
    assert found["search_facets"]["license_id"]["items"][0]["count"] == 5


@pytest.mark.parametrize("params, fragment", [
    ({"fq": "organization:finance OR tags:公交"}, "OR is supported between values of one field"),
    ({"fq": "organization:"}, "not valid Solr syntax"),
    ({"fq": "author:someone"}, "unsupported field 'author'"),
    ({"fq": "tags:预*"}, "wildcards are not supported"),
    ({"fq": "-预算"}, "needs a field"),
    ({"fq": "metadata_modified:yesterday"}, "takes a range"),
    ({"fq": "metadata_modified:[yesterday TO *]"}, "not a date-time"),
    ({"sort": "author asc"}, "cannot sort by 'author'"),
    ({"sort": "name sideways"}, "asc or desc"),
])
def test_what_is_not_supported_is_a_search_query_error_naming_it(ckan, params, fragment):
    with pytest.raises(ckanapi.SearchQueryError) as info:
        ckan.action.package_search(**params)
    assert fragment in str(info.value)
