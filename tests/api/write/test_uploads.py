"""Uploads: streamed to disk, size limit, Idempotency-Key, job progress then version, concurrency."""

from __future__ import annotations

import threading

from opendata.store.jobs import IngestJob
from opendata.store.models import Version
from tests.api.write.conftest import GeneratedBody, csv_body, error_of, wait_for_job


def _upload(client, headers, body: bytes, *, dataset="budget", key=None, filename="budget.csv"):
    extra = {"Content-Type": "application/octet-stream", **headers}
    if key is not None:
        extra["Idempotency-Key"] = key
    return client.post(f"/api/v1/datasets/{dataset}/uploads?filename={filename}", data=body, headers=extra)


def test_upload_answers_202_with_the_job_and_the_job_ends_with_the_version(client, fin, runtime):
    response = _upload(client, fin, csv_body(500))
    assert response.status_code == 202, response.get_data(as_text=True)
    assert response.headers["Location"] == response.json["url"] == f"/api/v1/jobs/{response.json['id']}"
    assert response.json["state"] in ("queued", "running", "succeeded")
    job = wait_for_job(client, response.headers["Location"], fin)
    assert job["state"] == "succeeded", job
    assert job["progress"]["rows"] == 500 and job["progress"]["bytes"] == job["progress"]["total_bytes"]
    assert job["version"]["number"] == 1 and job["version"]["state"] == "awaiting-review"
    assert job["version"]["report"] == {"valid": True, "errors": 0, "warnings": 0}
    assert not list((runtime.config.home / "uploads").iterdir())  # the upload file is gone once ingested


def test_invalid_upload_job_succeeds_with_an_invalid_version_and_its_report(client, fin):
    job = wait_for_job(client, _upload(client, fin, b"id,name,amount\nx,a,-1\n").headers["Location"], fin)
    assert job["state"] == "succeeded"
    assert job["version"]["state"] == "invalid" and job["version"]["report"]["valid"] is False
    assert job["version"]["report"]["errors"] >= 2


def test_unreadable_upload_makes_an_invalid_version_with_the_reason(client, fin):
    job = wait_for_job(client, _upload(client, fin, b"\x00\x01\x02 binary junk" * 10).headers["Location"], fin)
    assert job["state"] == "succeeded" and job["version"]["state"] == "invalid", job


def test_upload_over_the_limit_is_413_before_reading(app, client, fin, runtime):
    app.extensions["opendata"].config.values["MAX_UPLOAD_BYTES"] = 1000  # type: ignore[index]
    try:
        body = error_of(_upload(client, fin, b"x" * 1001), 413)
        assert body["code"] == "payload-too-large"
    finally:
        app.extensions["opendata"].config.values["MAX_UPLOAD_BYTES"] = 2 * 1024**3  # type: ignore[index]
    assert not list((runtime.config.home / "uploads").glob("*"))


def test_upload_without_content_length_is_counted_while_streaming(app, client, fin, runtime):
    app.extensions["opendata"].config.values["MAX_UPLOAD_BYTES"] = 3 * 1024 * 1024  # type: ignore[index]
    try:
        response = client.post("/api/v1/datasets/budget/uploads", input_stream=GeneratedBody(5 * 1024 * 1024),
                               headers={**fin, "Transfer-Encoding": "chunked"},
                               environ_overrides={"wsgi.input_terminated": True})
        error_of(response, 413)
    finally:
        app.extensions["opendata"].config.values["MAX_UPLOAD_BYTES"] = 2 * 1024**3  # type: ignore[index]
    assert not list((runtime.config.home / "uploads").glob("*"))


def test_empty_upload_is_422(client, fin):
    assert error_of(_upload(client, fin, b""), 422)["errors"][0]["path"] == "body"


def test_idempotency_key_retry_returns_the_first_job_and_makes_one_version(client, fin, runtime):
    body = csv_body(50)
    first = _upload(client, fin, body, key="retry-1")
    again = _upload(client, fin, body, key="retry-1")
    assert first.status_code == again.status_code == 202
    assert again.json["id"] == first.json["id"] and again.headers["Location"] == first.headers["Location"]
    wait_for_job(client, first.headers["Location"], fin)
    with runtime.sessions() as session:
        assert session.query(IngestJob).count() == 1
        assert session.query(Version).count() == 1
    other = error_of(_upload(client, fin, csv_body(51), key="retry-1"), 422)
    assert other["code"] == "validation-error" and other["errors"][0]["path"] == "Idempotency-Key"


def test_same_key_of_another_user_is_another_request(client, fin, city):
    body = csv_body(20)
    a = _upload(client, fin, body, key="k")
    b = _upload(client, city, body, key="k")
    assert a.json["id"] != b.json["id"]
    # identical bytes make no new version: both jobs end on version 1
    assert wait_for_job(client, a.headers["Location"], fin)["version"]["number"] == 1
    assert wait_for_job(client, b.headers["Location"], city)["version"]["number"] == 1


def test_upload_needs_the_publish_scope_and_the_organization(client, runtime):
    from tests.accounts_fixtures import bearer, make_token

    reader = bearer(make_token(runtime, "finclerk", scopes=["read"]))
    error_of(_upload(client, reader, b"id\n1\n"), 403)
    error_of(_upload(client, {}, b"id\n1\n"), 401)
    city = bearer(make_token(runtime, "cityclerk", scopes=["publish"]))
    created = client.post("/api/v1/datasets", headers=city, json={
        "id": "city-stats", "code": "330100/09001", "title": "市统计", "publisher": "city", "theme": "fiscal",
        "license": "CC-BY-4.0", "disclosure": "unconditional", "frequency": "annual", "schema": "simple.json"})
    assert created.status_code == 201, created.json
    fin = bearer(make_token(runtime, "finclerk", scopes=["publish"]))
    error_of(_upload(client, fin, b"id\n1\n", dataset="city-stats"), 403)  # a parent organization's dataset
    error_of(_upload(client, bearer(make_token(runtime, "finclerk", scopes=["publish"])), b"id\n1\n",
                     dataset="nope"), 404)


def test_job_is_visible_to_its_organization_only(client, fin, runtime):
    from tests.accounts_fixtures import bearer, make_token

    url = _upload(client, fin, csv_body(5)).headers["Location"]
    wait_for_job(client, url, fin)
    alice = bearer(make_token(runtime, "alice", scopes=["read"]))
    error_of(client.get(url, headers=alice), 404)
    error_of(client.get("/api/v1/jobs/0000", headers=fin), 404)
    error_of(client.get(url), 401)


def test_two_uploads_at_once_become_versions_1_and_2(client, app, fin, runtime):
    bodies = [csv_body(3000, start=1), csv_body(3000, start=10_001)]
    results: list = [None, None]
    barrier = threading.Barrier(2)

    def send(i):
        local = app.test_client()
        barrier.wait()
        results[i] = _upload(local, fin, bodies[i], filename=f"part{i}.csv")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    jobs = [wait_for_job(client, r.headers["Location"], fin) for r in results]
    assert sorted(j["version"]["number"] for j in jobs) == [1, 2]
    assert all(j["state"] == "succeeded" and j["version"]["row_count"] == 3000 for j in jobs)
    with runtime.sessions() as session:
        versions = session.query(Version).order_by(Version.number).all()
        assert [v.number for v in versions] == [1, 2]
        assert {v.source_filename for v in versions} == {"part0.csv", "part1.csv"}
        assert all(len(v.artifacts) >= 3 for v in versions)


def test_concurrent_retries_with_one_key_make_one_job_and_one_version(app, client, fin, runtime):
    body = csv_body(2000)
    results: list = [None] * 3
    barrier = threading.Barrier(3)

    def send(i):
        local = app.test_client()
        barrier.wait()
        results[i] = _upload(local, fin, body, key="same-key")

    threads = [threading.Thread(target=send, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {r.status_code for r in results} == {202}
    assert len({r.json["id"] for r in results}) == 1
    wait_for_job(client, results[0].headers["Location"], fin)
    with runtime.sessions() as session:
        assert session.query(IngestJob).count() == 1 and session.query(Version).count() == 1
    assert not list((runtime.config.home / "uploads").glob("*.upload"))
