"""/api/v1/datasets/{id}/versions/{n}/diff?against={m}: the same counts as the page, the one error shape,
and versions the caller may not download read as missing."""

from __future__ import annotations


def test_diff_defaults_to_the_previous_version_and_names_the_key(client):
    body = client.get("/api/v1/datasets/bus-lines/versions/2/diff").json
    assert (body["dataset"], body["version"], body["against"]) == ("bus-lines", 2, 1)
    assert body["matched_by"] == ["id"] and body["schema"] == {"added": [], "removed": [], "changed": []}
    rows = body["rows"]
    assert rows["added"] - rows["removed"] == rows["after"] - rows["before"] == 3
    assert rows["changed"] + rows["unchanged"] == 5


def test_diff_is_symmetric_in_its_counts(client):
    forward = client.get("/api/v1/datasets/bus-lines/versions/2/diff?against=1").json["rows"]
    back = client.get("/api/v1/datasets/bus-lines/versions/1/diff?against=2").json["rows"]
    assert (back["added"], back["removed"], back["changed"]) == (forward["removed"], forward["added"],
                                                                  forward["changed"])


def test_bad_or_missing_versions_answer_the_error_shape(client):
    first = client.get("/api/v1/datasets/bus-lines/versions/1/diff")
    assert first.status_code == 422 and first.json["errors"][0]["path"] == "against"
    same = client.get("/api/v1/datasets/bus-lines/versions/2/diff?against=2").json["rows"]
    assert same["added"] == same["removed"] == same["changed"] == 0 and same["unchanged"] == 8
    assert client.get("/api/v1/datasets/bus-lines/versions/2/diff?against=0").status_code == 422
    assert client.get("/api/v1/datasets/bus-lines/versions/9/diff?against=1").status_code == 404
    hidden = client.get("/api/v1/datasets/subsidies/versions/1/diff?against=1")
    missing = client.get("/api/v1/datasets/nosuch/versions/2/diff?against=1")
    assert missing.status_code == hidden.status_code == 404 and hidden.json["message"] == (
        "dataset 'subsidies' has no downloadable version 1")
    assert set(missing.json) == {"code", "status", "message", "errors"}
