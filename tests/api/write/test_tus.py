"""Resumable uploads (tus 1.0): create, PATCH in chunks with HEAD between, offsets, checksum, completion."""

from __future__ import annotations

import base64
import hashlib

from opendata.store.jobs import UploadSession
from opendata.store.models import Version
from tests.api.write.conftest import csv_body, error_of, wait_for_job

TUS = "/api/v1/datasets/budget/uploads/tus/"
V = {"Tus-Resumable": "1.0.0"}


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


def _create(client, headers, length: int, filename: str = "预算.csv"):
    return client.post(TUS, headers={**headers, **V, "Upload-Length": str(length),
                                     "Upload-Metadata": f"filename {_b64(filename)}"})


def _patch(client, url, headers, offset: int, chunk: bytes, **extra):
    return client.patch(url, data=chunk, headers={**headers, **V, "Upload-Offset": str(offset),
                                                  "Content-Type": "application/offset+octet-stream", **extra})


def _path(url: str) -> str:
    return url.split("://", 1)[-1].split("/", 1)[-1].join(["/", ""])


def test_options_announces_version_and_extensions(client):
    response = client.options(TUS)
    assert response.status_code == 204
    assert response.headers["Tus-Version"] == "1.0.0" and response.headers["Tus-Resumable"] == "1.0.0"
    assert {"creation", "termination", "expiration"} <= set(response.headers["Tus-Extension"].split(","))
    assert int(response.headers["Tus-Max-Size"]) > 0


def test_upload_in_three_chunks_with_head_between_creates_the_version(client, fin, runtime):
    body = csv_body(2000)
    created = _create(client, fin, len(body))
    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.headers["Tus-Resumable"] == "1.0.0" and created.headers["Upload-Offset"] == "0"
    url = _path(created.headers["Location"])
    cuts = [0, len(body) // 3, 2 * len(body) // 3, len(body)]
    for i in range(3):
        head = client.head(url, headers={**fin, **V})
        assert head.status_code == 200 and head.headers["Upload-Offset"] == str(cuts[i])
        assert head.headers["Upload-Length"] == str(len(body)) and head.headers["Cache-Control"] == "no-store"
        response = _patch(client, url, fin, cuts[i], body[cuts[i]:cuts[i + 1]])
        assert response.status_code == 204, response.get_data(as_text=True)
        assert response.headers["Upload-Offset"] == str(cuts[i + 1])
    job_url = response.headers["Location-Job"]
    job = wait_for_job(client, job_url, fin)
    assert job["state"] == "succeeded" and job["filename"] == "预算.csv", job
    assert job["version"]["number"] == 1 and job["version"]["row_count"] == 2000
    with runtime.sessions() as session:
        version = session.query(Version).one()
        assert version.source_sha256 == hashlib.sha256(body).hexdigest()
        assert session.query(UploadSession).one().completed_at is not None
    assert client.head(url, headers={**fin, **V}).headers["Location-Job"] == job_url


def test_wrong_offset_is_409_and_changes_nothing(client, fin):
    body = csv_body(100)
    url = _path(_create(client, fin, len(body)).headers["Location"])
    assert _patch(client, url, fin, 0, body[:50]).status_code == 204
    error_of(_patch(client, url, fin, 10, body[10:60]), 409)
    error_of(_patch(client, url, fin, 0, body[:50]), 409)
    assert client.head(url, headers={**fin, **V}).headers["Upload-Offset"] == "50"


def test_bad_checksum_is_460_and_the_chunk_is_dropped(client, fin):
    body = csv_body(100)
    url = _path(_create(client, fin, len(body)).headers["Location"])
    wrong = base64.b64encode(hashlib.sha1(b"other").digest()).decode()
    response = _patch(client, url, fin, 0, body[:40], **{"Upload-Checksum": f"sha1 {wrong}"})
    assert error_of(response, 460)["code"] == "checksum-mismatch"
    assert client.head(url, headers={**fin, **V}).headers["Upload-Offset"] == "0"
    right = base64.b64encode(hashlib.sha1(body[:40]).digest()).decode()
    assert _patch(client, url, fin, 0, body[:40], **{"Upload-Checksum": f"sha1 {right}"}).status_code == 204


def test_protocol_errors(client, fin, runtime):
    assert client.post(TUS, headers={**fin, "Upload-Length": "10"}).status_code == 412  # no Tus-Resumable
    error_of(client.post(TUS, headers={**fin, **V}), 422)  # no Upload-Length
    error_of(client.post(TUS, headers={**V, "Upload-Length": "10"}), 401)
    url = _path(_create(client, fin, 10).headers["Location"])
    wrong_type = client.patch(url, data=b"12345", headers={**fin, **V, "Upload-Offset": "0",
                                                             "Content-Type": "text/plain"})
    assert wrong_type.status_code == 415
    error_of(_patch(client, url, fin, 0, b"x" * 11), 413)  # beyond Upload-Length
    from tests.accounts_fixtures import bearer, make_token

    other = bearer(make_token(runtime, "cityclerk", scopes=["publish"]))
    assert client.head(url, headers={**other, **V}).status_code == 404  # another user's upload


def test_termination_deletes_the_upload(client, fin, runtime):
    url = _path(_create(client, fin, 100).headers["Location"])
    _patch(client, url, fin, 0, b"id,name,amount\n")
    assert client.delete(url, headers={**fin, **V}).status_code == 204
    assert client.head(url, headers={**fin, **V}).status_code == 404
    assert not list((runtime.config.home / "uploads").glob("tus-*"))


def test_upload_length_over_the_limit_is_413(client, fin, app):
    limit = int(app.extensions["opendata"].config.MAX_UPLOAD_BYTES)
    error_of(_create(client, fin, limit + 1), 413)


def test_a_second_writer_of_the_same_upload_gets_409(client, fin, runtime):
    from opendata.services.uploads import locked_upload
    from opendata.store.jobs import UploadSession as Session_

    url = _path(_create(client, fin, 100).headers["Location"])
    with runtime.sessions() as session:
        path = session.query(Session_).one().temp_path
    with locked_upload(path):  # a PATCH in progress (in this or any other process)
        assert error_of(_patch(client, url, fin, 0, b"id,name\n"), 409)["code"] == "conflict"
    assert _patch(client, url, fin, 0, b"id,name\n").status_code == 204


def test_empty_upload_length_is_422(client, fin):
    assert error_of(_create(client, fin, 0), 422)["errors"][0]["path"] == "Upload-Length"


def test_the_completed_file_is_hashed_before_the_transaction_that_queues_its_job(client, fin, runtime, monkeypatch):
    from opendata.services import uploads, version_uploads

    hashed = []

    def outside(path):  # the hash of the completing PATCH, with no database transaction open
        hashed.append(runtime.engine.pool.checkedout())
        return real(path)

    real = version_uploads.sha256_file
    monkeypatch.setattr(version_uploads, "sha256_file", outside)
    monkeypatch.setattr(uploads, "sha256_file", lambda path: (_ for _ in ()).throw(AssertionError("hashed inside")))
    body = csv_body(300)
    url = _path(_create(client, fin, len(body)).headers["Location"])
    assert _patch(client, url, fin, 0, body[:100]).status_code == 204 and hashed == []
    response = _patch(client, url, fin, 100, body[100:])
    assert response.status_code == 204, response.get_data(as_text=True)
    assert hashed == [0]  # once, on the last PATCH, no connection checked out
    assert wait_for_job(client, response.headers["Location-Job"], fin)["state"] == "succeeded"
    with runtime.sessions() as session:
        assert session.query(Version).one().source_sha256 == hashlib.sha256(body).hexdigest()
