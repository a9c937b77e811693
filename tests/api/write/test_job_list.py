"""GET /api/v1/jobs: the jobs a caller may follow, newest first, filtered and paged."""

from __future__ import annotations

import pytest

from tests.accounts_fixtures import bearer, make_token
from tests.api.write.conftest import csv_body, error_of, wait_for_job


def _upload(client, headers, body: bytes, dataset: str) -> str:
    response = client.post(f"/api/v1/datasets/{dataset}/uploads?filename={dataset}.csv", data=body,
                           headers={"Content-Type": "application/octet-stream", **headers})
    assert response.status_code == 202, response.get_data(as_text=True)
    return response.json["id"]


@pytest.fixture
def jobs(client, runtime, fin, city):
    """Four finished jobs: finance's clerk uploaded three (budget twice, subsidies), the city's clerk one."""
    created = client.post("/api/v1/datasets", headers=city, json={
        "id": "city-stats", "code": "330100/09001", "title": "市统计", "publisher": "city", "theme": "fiscal",
        "license": "CC-BY-4.0", "disclosure": "unconditional", "frequency": "annual", "schema": "simple.json"})
    assert created.status_code == 201, created.json
    ids = {}
    for name, headers, body, dataset in (("b1", fin, csv_body(5), "budget"),
                                         ("s1", fin, csv_body(4), "subsidies"),
                                         ("b2", fin, b"id,name,amount\nx,a,-1\n", "budget"),
                                         ("c1", city, csv_body(3), "city-stats")):
        ids[name] = _upload(client, headers, body, dataset)
        assert wait_for_job(client, f"/api/v1/jobs/{ids[name]}", headers)["state"] == "succeeded"
    return ids


def _ids(client, headers, **query) -> list[str]:
    response = client.get("/api/v1/jobs", headers=headers, query_string=query)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [j["id"] for j in response.json["items"]]


def test_each_caller_lists_the_jobs_it_may_follow_newest_first(client, runtime, jobs, fin, city):
    admin = bearer(make_token(runtime, "admin", scopes=["admin"]))
    alice = bearer(make_token(runtime, "alice", scopes=["read"]))
    reviewer = bearer(make_token(runtime, "reviewer", scopes=["review"]))
    everything = [jobs["c1"], jobs["b2"], jobs["s1"], jobs["b1"]]
    assert _ids(client, admin) == everything
    assert _ids(client, city) == everything               # city publishes for its sub-organization finance
    assert _ids(client, fin) == everything[1:]             # not the parent organization's job
    assert _ids(client, alice) == [] and _ids(client, reviewer) == []
    read_only_fin = bearer(make_token(runtime, "finclerk", scopes=["read"]))
    assert _ids(client, read_only_fin) == everything[1:]   # a submitter still sees its own jobs
    error_of(client.get("/api/v1/jobs"), 401)


def test_listed_jobs_are_the_job_answers(client, jobs, city):
    listed = client.get("/api/v1/jobs", headers=city).json["items"]
    for item in listed:
        assert item == client.get(item["url"], headers=city).json
    invalid = next(j for j in listed if j["id"] == jobs["b2"])
    assert invalid["version"]["state"] == "invalid" and invalid["version"]["number"] == 2
    assert invalid["version"]["url"] == "/api/v1/datasets/budget/versions/2"


def test_filters_by_dataset_state_and_submitter(client, jobs, fin, city):
    assert _ids(client, city, dataset="budget") == [jobs["b2"], jobs["b1"]]
    assert _ids(client, fin, dataset="city-stats") == [] and _ids(client, city, dataset="nope") == []
    assert _ids(client, city, state="succeeded", dataset="subsidies") == [jobs["s1"]]
    assert _ids(client, city, state="running") == []
    assert _ids(client, city, mine="true") == [jobs["c1"]]
    assert _ids(client, fin, mine="true", dataset="budget") == [jobs["b2"], jobs["b1"]]


def test_pages_continue_with_next_until_it_is_null(client, jobs, city):
    seen, before = [], None
    while True:
        query = {"limit": 3, **({"before": before} if before else {})}
        page = client.get("/api/v1/jobs", headers=city, query_string=query).json
        seen += [j["id"] for j in page["items"]]
        before = page["next"]
        if before is None:
            break
    assert seen == [jobs["c1"], jobs["b2"], jobs["s1"], jobs["b1"]]
    one = client.get("/api/v1/jobs", headers=city, query_string={"limit": 4}).json
    assert one["next"] == jobs["b1"] and _ids(client, city, before=jobs["b1"]) == []


@pytest.mark.parametrize("query, field", [
    ({"state": "done"}, "state"), ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"mine": "maybe"}, "mine"),
    ({"before": "0" * 32}, "before"), ({"before": "x" * 65}, "before"),
])
def test_bad_parameters_are_422_naming_the_parameter(client, jobs, fin, query, field):
    body = error_of(client.get("/api/v1/jobs", headers=fin, query_string=query), 422)
    assert field in str(body["errors"]), body


def test_another_organizations_job_cannot_be_used_as_a_cursor(client, jobs, fin):
    """The city's job is invisible to finance: as a cursor it answers like an unknown job."""
    hidden = error_of(client.get("/api/v1/jobs", headers=fin, query_string={"before": jobs["c1"]}), 422)
    unknown = error_of(client.get("/api/v1/jobs", headers=fin, query_string={"before": "f" * 32}), 422)
    assert hidden["errors"][0]["code"] == unknown["errors"][0]["code"] == "unknown-job"
    assert jobs["c1"] not in str(hidden) or hidden["message"].replace(jobs["c1"], "f" * 32) == unknown["message"]
