"""/api/v1/showcases over HTTP: anyone submits, moderators publish, everyone reads published showcases; bad
input is a 4xx in the one error shape naming the field, and nothing of it is stored."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from tests.accounts_fixtures import ERROR_KEYS
from tests.showcase_images import photo_jpeg_with_gps, pixel_bomb_png, screenshot_png

FORM = {"title": "公交地图", "description": "用公交线路数据画的地图。", "url": "https://maps.example.org/bus",
        "kind": "visualization", "author": "张三", "author_email": "zhang@example.org", "datasets": "budget"}


def _submit(client, form=None, screenshot: bytes | None = None, filename="shot.png", **kw):
    data = {**FORM, **(form or {})}
    if screenshot is not None:
        data["screenshot"] = (io.BytesIO(screenshot), filename)
    return client.post("/api/v1/showcases", data=data, content_type="multipart/form-data", **kw)


def _stored_files(app) -> set[str]:
    return set(app.extensions["opendata"].artifacts.iter_files())


def test_a_submission_waits_for_a_publisher_then_everyone_sees_it_with_its_screenshot(client, tokens):
    created = _submit(client, screenshot=photo_jpeg_with_gps(), filename="photo.jpg")
    assert created.status_code == 201, created.get_json()
    sc = created.get_json()
    assert (sc["name"], sc["state"], sc["kind"]) == ("gong-jiao-di-tu", "pending", "visualization")
    assert [d["id"] for d in sc["datasets"]] == ["budget"]
    assert client.get("/api/v1/showcases/gong-jiao-di-tu").status_code == 404  # not published yet
    assert client.get("/api/v1/showcases").get_json()["total"] == 0
    queue = client.get("/api/v1/showcases/moderation", headers=tokens["finclerk"]).get_json()
    assert [q["name"] for q in queue] == ["gong-jiao-di-tu"]
    assert queue[0]["moderation"]["author_email"] == "zhang@example.org"

    done = client.post("/api/v1/showcases/gong-jiao-di-tu/moderation", json={"decision": "publish"},
                       headers=tokens["finclerk"])
    assert done.status_code == 200 and done.get_json()["state"] == "published"
    public = client.get("/api/v1/showcases/gong-jiao-di-tu").get_json()
    assert "moderation" not in public and "zhang@example.org" not in str(public)
    assert public["published_at"] and public["links"]["page"] == "http://localhost/showcases/gong-jiao-di-tu"
    listed = client.get("/api/v1/showcases?dataset=budget").get_json()
    assert listed["total"] == 1 and listed["results"][0]["name"] == "gong-jiao-di-tu"
    assert client.get("/api/v1/showcases?dataset=subsidies").get_json()["total"] == 0

    image = client.get(public["screenshot"]["url"])
    assert image.status_code == 200 and image.mimetype == "image/jpeg"
    assert hashlib.sha256(image.data).hexdigest() == public["screenshot"]["sha256"] == image.headers["ETag"].strip('"')
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    with Image.open(io.BytesIO(image.data)) as shown:
        assert shown.size == (48, 32) and not shown.getexif()  # the photo's GPS position is gone
    assert client.get(public["screenshot"]["url"], headers={"If-None-Match": image.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("field,value,code", [
    ("url", "javascript:alert(document.cookie)", "invalid-url"),
    ("url", " JavaScript:alert(1)", "invalid-url"),
    ("url", "data:text/html;base64,PHNjcmlwdD4=", "invalid-url"),
    ("url", "https://user:secret@example.org/", "invalid-url"),
    ("title", "", "required"),
    ("datasets", "budget,no-such-dataset", "unknown-dataset"),
    ("kind", "game", "invalid"),
    ("author_email", "not an address", "invalid-email"),
])
def test_a_bad_field_is_a_422_naming_it_and_nothing_is_stored(shared, field, value, code):
    app, client, tokens = shared
    before = _stored_files(app)
    response = _submit(client, {field: value}, screenshot=screenshot_png())
    body = response.get_json()
    assert response.status_code == 422 and set(body) == ERROR_KEYS
    assert [(e["code"], e["path"].split("/")[0]) for e in body["errors"]] == [(code, field)]
    assert client.get("/api/v1/showcases/moderation", headers=tokens["admin"]).get_json() == []
    assert _stored_files(app) == before


@pytest.mark.parametrize("content,filename,code", [
    (b"<html><script>alert(1)</script></html>", "shot.png", "not-an-image"),
    (b"GIF89a" + bytes(200), "shot.gif", "not-an-image"),
    (screenshot_png()[:300], "shot.png", "broken-image"),
    (pixel_bomb_png(), "bomb.png", "image-too-large"),
    (b"", "empty.png", "empty-file"),
])
def test_a_screenshot_that_is_no_sound_image_is_a_422_naming_it(shared, content, filename, code):
    app, client, tokens = shared
    before = _stored_files(app)
    response = _submit(client, screenshot=content, filename=filename)
    body = response.get_json()
    assert response.status_code == 422 and set(body) == ERROR_KEYS
    assert [(e["code"], e["path"]) for e in body["errors"]] == [(code, "screenshot")]
    assert client.get("/api/v1/showcases/moderation", headers=tokens["admin"]).get_json() == []
    assert _stored_files(app) == before


def test_an_oversized_screenshot_is_a_413_naming_it(shared):
    app, client, tokens = shared
    big = screenshot_png(200, 200)  # about 120 KB of random pixels, over the test's 20,000 bytes
    response = _submit(client, screenshot=big)
    body = response.get_json()
    assert response.status_code == 413 and set(body) == ERROR_KEYS
    assert body["errors"][0]["path"] == "screenshot" and "20,000" in body["errors"][0]["message"]
    assert client.get("/api/v1/showcases/moderation", headers=tokens["admin"]).get_json() == []


def test_every_bad_field_is_named_at_once(shared):
    _app, client, _tokens = shared
    response = _submit(client, {"url": "data:,x", "title": "", "datasets": ""}, screenshot=b"not an image")
    assert response.status_code == 422
    assert {e["path"] for e in response.get_json()["errors"]} == {"url", "title", "datasets", "screenshot"}


def test_only_administrators_and_the_datasets_publishers_moderate(client, tokens):
    name = _submit(client).get_json()["name"]
    decide = f"/api/v1/showcases/{name}/moderation"
    assert client.post(decide, json={"decision": "publish"}).status_code == 401
    # a reviewer of the dataset's organisation is no moderator: a pending showcase does not exist for them
    assert client.post(decide, json={"decision": "publish"}, headers=tokens["reviewer"]).status_code == 404
    assert client.get("/api/v1/showcases/moderation", headers=tokens["reviewer"]).status_code == 403
    assert client.post(decide, json={"decision": "publish"}, headers=tokens["admin"]).status_code == 200
    refused = client.post(decide, json={"decision": "withdraw", "note": "x"}, headers=tokens["reviewer"])
    assert refused.status_code == 403 and set(refused.get_json()) == ERROR_KEYS
    assert client.get(f"/api/v1/showcases/{name}").status_code == 200


def test_reject_and_withdraw_need_a_note_and_follow_the_states(client, tokens):
    name = _submit(client).get_json()["name"]
    decide = f"/api/v1/showcases/{name}/moderation"
    missing = client.post(decide, json={"decision": "reject"}, headers=tokens["finclerk"])
    assert missing.status_code == 422 and missing.get_json()["errors"][0]["path"] == "note"
    assert client.post(decide, json={"decision": "withdraw", "note": "x"}, headers=tokens["finclerk"]).status_code == 409
    rejected = client.post(decide, json={"decision": "reject", "note": "链接打不开"}, headers=tokens["finclerk"])
    assert rejected.get_json()["state"] == "rejected" and rejected.get_json()["moderation"]["note"] == "链接打不开"
    assert client.get(f"/api/v1/showcases/{name}").status_code == 404
    assert client.post(decide, json={"decision": "publish"}, headers=tokens["finclerk"]).status_code == 200
    withdrawn = client.post(decide, json={"decision": "withdraw", "note": "内容过时"}, headers=tokens["finclerk"])
    assert withdrawn.get_json()["state"] == "withdrawn"
    assert client.get("/api/v1/showcases").get_json()["total"] == 0


def test_a_json_submission_with_a_chosen_name_and_a_second_with_the_same_name(client):
    body = {**FORM, "datasets": ["budget", "subsidies", "budget"], "name": "bus-map"}
    created = client.post("/api/v1/showcases", json=body)
    assert created.status_code == 201
    assert [d["id"] for d in created.get_json()["datasets"]] == ["budget", "subsidies"]
    again = client.post("/api/v1/showcases", json=body)
    assert again.status_code == 409 and again.get_json()["errors"][0]["path"] == "name"
    unnamed = client.post("/api/v1/showcases", json={**FORM}).get_json()
    assert unnamed["name"] == "gong-jiao-di-tu"
    assert client.post("/api/v1/showcases", json={**FORM}).get_json()["name"] == "gong-jiao-di-tu-2"


def test_submissions_are_rate_limited_per_address(seeded):
    from opendata.config import load_config
    from tests.conftest import running_app

    config = load_config({}, **{**seeded.config.values, "SHOWCASE_SUBMIT_RATE_LIMIT": "2 per hour"})
    with running_app(config) as app:
        client = app.test_client()
        assert [client.post("/api/v1/showcases", json=FORM).status_code for _ in range(3)] == [201, 201, 429]
