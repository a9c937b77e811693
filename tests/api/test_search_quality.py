"""Search by quality score: ``sort=quality`` puts the best score first and ``quality__gte`` keeps the datasets
scoring at least that; both agree with each dataset's own score (/api/v1/datasets/{id}/quality)."""

from __future__ import annotations


def _scores(client) -> dict[str, int]:
    ids = [r["id"] for r in client.get("/api/v1/datasets?page_size=100").get_json()["results"]]
    return {i: client.get(f"/api/v1/datasets/{i}/quality").get_json()["score"] for i in ids}


def test_sort_by_quality_puts_the_best_score_first(client):
    scores = _scores(client)
    assert len(set(scores.values())) >= 3  # the catalogue's datasets score differently: the order means something
    found = client.get("/api/v1/datasets?sort=quality&page_size=100").get_json()
    order = [r["id"] for r in found["results"]]
    assert sorted(order) == sorted(scores) and found["total"] == len(scores)
    assert [scores[i] for i in order] == sorted(scores.values(), reverse=True)
    paged = [r["id"] for p in (1, 2, 3) for r in client.get(f"/api/v1/datasets?sort=quality&page_size=2&page={p}")
             .get_json()["results"]]
    assert paged == order


def test_quality_gte_keeps_the_datasets_scoring_at_least_that(client):
    scores = _scores(client)
    threshold = sorted(scores.values())[len(scores) // 2]
    found = client.get(f"/api/v1/datasets?quality__gte={threshold}&page_size=100").get_json()
    expected = {i for i, s in scores.items() if s >= threshold}
    assert {r["id"] for r in found["results"]} == expected and found["total"] == len(expected)
    assert 0 < len(expected) < len(scores)
    facets = {f["value"]: f["count"] for f in found["facets"]["disclosure"]}
    assert sum(facets.values()) == len(expected)  # facet counts are over the kept datasets
    both = client.get(f"/api/v1/datasets?q=预算&quality__gte={threshold}&sort=quality").get_json()
    assert {r["id"] for r in both["results"]} <= expected


def test_a_quality_bound_outside_0_to_100_is_a_422_naming_it(client):
    for bad in ("101", "-1", "high"):
        response = client.get(f"/api/v1/datasets?quality__gte={bad}")
        assert response.status_code == 422 and "quality__gte" in str(response.get_json()["errors"])
