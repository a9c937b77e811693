"""/feeds/datasets.atom is the /api/v1 Atom feed under a short URL: same `limit`, same 422s."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

ATOM = "{http://www.w3.org/2005/Atom}"
URLS = ("/api/v1/feeds/datasets.atom", "/feeds/datasets.atom")


def entry_ids(response) -> list[str]:
    assert response.status_code == 200, response.get_data(as_text=True)
    return [e.find(f"{ATOM}id").text for e in ET.fromstring(response.data).findall(f"{ATOM}entry")]


@pytest.mark.parametrize("limit", [1, 2, 500])
def test_the_alias_honours_limit_like_the_api_v1_feed(client, limit):
    api, alias = (entry_ids(client.get(url, query_string={"limit": limit})) for url in URLS)
    assert alias == api
    assert len(alias) == min(limit, len(entry_ids(client.get(URLS[0]))))


def test_without_limit_both_give_the_default_feed(client):
    api, alias = (entry_ids(client.get(url)) for url in URLS)
    assert alias == api and len(alias) > 2


@pytest.mark.parametrize("limit", ["abc", "0", "501", "-1", "2.5"])
def test_a_bad_limit_on_the_alias_is_the_same_422_as_on_api_v1(client, limit):
    api, alias = (client.get(url, query_string={"limit": limit}) for url in URLS)
    assert alias.status_code == api.status_code == 422
    assert set(alias.json) == {"code", "status", "message", "errors"} and alias.json["status"] == 422
    assert alias.json == api.json and "limit" in alias.json["errors"]["query"]
