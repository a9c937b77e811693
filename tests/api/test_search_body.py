"""/api/v1/datasets joins stored summaries into its body: the bytes are those jsonify makes of the dicts.

The general path is :func:`search_datasets` (summaries decoded to dicts) through Flask's
``jsonify``, as the endpoint answered before; the endpoint must send the same bytes and headers,
for anonymous callers (summaries from the index) and signed-in ones (read from the database).
"""

from __future__ import annotations

import pytest
from flask import jsonify

from opendata.api.auth import current_viewer
from opendata.services.access import ANONYMOUS, system_viewer
from opendata.services.accounts import role_grant, user_create
from opendata.services.search import FACETS, search_datasets
from opendata.store.db import transaction
from tests.accounts_fixtures import bearer, make_token

SEARCHES = [
    {},
    {"q": "预算"},
    {"q": "district", "sort": "title"},
    {"q": "district", "page": "2", "page_size": "2"},
    {"theme": "fiscal,environment", "sort": "modified"},
    {"publisher": "city", "format": "Parquet"},
    {"q": "没有这样的词"},
    {"page_size": "0"},
    {"page": "99", "page_size": "100"},
    {"sort": "downloads", "disclosure": "有条件开放"},
    {"sort": "quality", "quality__gte": "0"},
]


def general_body(site, viewer, params: dict) -> bytes:
    """What the endpoint answered before it joined stored texts: jsonify of search_datasets' dicts."""
    page, size = int(params.get("page", 1)), int(params.get("page_size", 20))
    with site.app.test_request_context():
        found = search_datasets(
            runtime=site.runtime, viewer=viewer, q=params.get("q"),
            filters={n: params[n].split(",") for n in FACETS if n in params}, sort=params.get("sort", "relevance"),
            offset=(page - 1) * size, limit=size,
            quality_min=int(params["quality__gte"]) if "quality__gte" in params else None)
        return jsonify({"total": found["total"], "page": page, "page_size": size, "results": found["results"],
                        "facets": found["facets"]}).get_data()


@pytest.fixture(scope="module")
def admin(site) -> str:
    """An administrator's token (sees unlisted datasets; the summaries come from the database)."""
    operator = system_viewer("test-operator")
    with transaction(site.runtime.sessions) as session:
        user_create(session=session, actor=operator, username="bodyadmin", organization="city")
        role_grant(session=session, actor=operator, username="bodyadmin", role="administrator")
    return make_token(site.runtime, "bodyadmin", scopes=("read", "admin"))


@pytest.mark.parametrize("params", SEARCHES)
def test_anonymous_search_body_is_jsonify_of_the_summaries(site, params):
    response = site.client.get("/api/v1/datasets", query_string=params)
    assert response.status_code == 200
    expected = general_body(site, ANONYMOUS, params)
    assert response.get_data() == expected
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(expected))


@pytest.mark.parametrize("params", SEARCHES)
def test_signed_in_search_body_is_jsonify_of_the_summaries(site, admin, params):
    response = site.client.get("/api/v1/datasets", query_string=params, headers=bearer(admin))
    assert response.status_code == 200
    with site.app.test_request_context(headers=bearer(admin)):
        viewer = current_viewer()
    assert viewer.is_admin
    assert response.get_data() == general_body(site, viewer, params)


def test_indented_json_settings_still_give_jsonify_bytes(site):
    """With Flask's JSON indented (debug, or compact off) the stored texts are not joined as they are."""
    site.app.json.compact = False
    try:
        response = site.client.get("/api/v1/datasets", query_string={"q": "预算"})
        assert b'\n  "facets": {' in response.get_data()
        assert response.get_data() == general_body(site, ANONYMOUS, {"q": "预算"})
    finally:
        site.app.json.compact = None


@pytest.mark.parametrize("text", ["预算", 'a "quoted" \\ value', "tab\there\nnew line", "\u2028 \x00 é", ""])
def test_a_facet_item_is_encoded_as_jsonify_encodes_it(site, text):
    from opendata.services.search import _encoded_label_and_value

    with site.app.app_context():
        expected = jsonify({"value": text, "label": text + "!", "count": 3}).get_data(as_text=True).rstrip("\n")
    assert '{"count":3,' + _encoded_label_and_value(text + "!", text) + "}" == expected
