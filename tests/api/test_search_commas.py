"""Facet filters take comma-separated values as well as repeated parameters, on every facet."""

from __future__ import annotations

import pytest

from opendata.store.search import FACETS


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return sorted(d["id"] for d in response.json["results"])


PAIRS = {
    "theme": ("fiscal", "environment"), "publisher": ("env", "city"), "format": ("CSV", "Parquet"),
    "disclosure": ("unconditional", "conditional"), "frequency": ("daily", "monthly"), "keyword": ("预算", "空气"),
    "license": ("CC-BY-4.0", "CC0-1.0"),
}


@pytest.mark.parametrize("name", sorted(FACETS))
def test_comma_separated_values_match_either_like_repeated_parameters(client, name):
    a, b = PAIRS[name]
    repeated = ids(client.get(f"/api/v1/datasets?{name}={a}&{name}={b}&page_size=100"))
    assert repeated  # the pair matches something in the test catalogue
    assert ids(client.get(f"/api/v1/datasets?{name}={a},{b}&page_size=100")) == repeated
    assert ids(client.get(f"/api/v1/datasets?{name}={a}, {b}&page_size=100")) == repeated


@pytest.mark.parametrize(("query", "expected"), [
    ("theme=fiscal,environment", ["air", "budget"]),
    ("theme=财政预决算,生态环境", ["air", "budget"]),
    ("theme=fiscal,environment&theme=transport", ["air", "budget", "traffic"]),
    ("frequency=daily,每月", ["air", "traffic"]),
    ("disclosure=conditional,unconditional&theme=agricultural-subsidies,transport", ["subsidies", "traffic"]),
])
def test_vocabulary_facets_split_keys_and_chinese_names_on_commas(client, query, expected):
    assert ids(client.get(f"/api/v1/datasets?{query}")) == expected


@pytest.mark.parametrize(("name", "query"), [
    ("theme", "theme=fiscal,nope"), ("theme", "theme=fiscal&theme=environment,nope"),
    ("disclosure", "disclosure=unconditional,nope"), ("frequency", "frequency=daily,nope"),
])
def test_an_unknown_term_among_commas_is_422_naming_the_parameter_and_the_value(client, name, query):
    r = client.get(f"/api/v1/datasets?{query}")
    assert r.status_code == 422, r.get_data(as_text=True)
    assert set(r.json) == {"code", "status", "message", "errors"} and r.json["status"] == 422
    (problem,) = r.json["errors"]["query"][name]
    assert "nope" in problem and name in problem
    assert "fiscal" not in problem and "environment" not in problem and "unconditional" not in problem


def test_the_openapi_document_says_commas_are_accepted_and_keeps_the_terms(client):
    params = {p["name"]: p for p in
              client.get("/api/v1/openapi.json").json["paths"]["/api/v1/datasets"]["get"]["parameters"]}
    for name in ("theme", "disclosure", "frequency"):
        assert "commas" in params[name]["description"]
        assert params[name]["schema"]["type"] == "array" and params[name]["schema"]["items"]["enum"]
    assert "fiscal" in params["theme"]["schema"]["items"]["enum"]
