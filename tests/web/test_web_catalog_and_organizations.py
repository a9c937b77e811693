"""/catalog (the catalogue IRI and search page) and /organizations/{slug} (the publisher IRI)."""

from __future__ import annotations

from opendata.web import pages
from tests.web.conftest import LISTED
from tests.web.pagecheck import read_page


def _page(client, path: str, status: int = 200):
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code)
    assert r.mimetype == "text/html"
    return read_page(r.get_data(as_text=True))


def _dataset_links(page) -> list[str]:
    return sorted({link.split("/")[2] for link in page.links
                   if link.startswith("/datasets/") and link.count("/") == 2})


def test_catalog_page_describes_the_catalogue_and_lists_every_dataset(client):
    page = _page(client, "/catalog")
    assert page.heading_texts(1) == ["数据集"]
    assert "示例市公共数据开放平台" in page.text
    assert "Example City Open Data" in _page(client, "/catalog?lang=en").text
    assert page.heading_texts(2)[0] == "5 个数据集"
    assert _dataset_links(page) == sorted(LISTED)
    for link in ("/bulk", "/catalog.ttl", "/catalog.jsonld", "/data.json", "/api/docs", "/organizations"):
        assert link in page.links, link


def test_catalog_has_a_get_search_form(client):
    page = _page(client, "/catalog")
    assert [(f.get("method"), f.get("action")) for f in page.forms if f.get("role") == "search"] == [
        ("get", "/catalog")]
    assert any(i.get("name") == "q" and i.get("type") == "search" for i in page.inputs)


def test_search_narrows_the_list(client):
    page = _page(client, "/catalog?q=补贴")
    assert _dataset_links(page) == ["subsidies"]
    assert "“补贴”的搜索结果：1 个数据集" in page.heading_texts(2)
    assert any(i.get("name") == "q" and i.get("value") == "补贴" for i in page.inputs)


def test_facet_links_filter_and_keep_the_filter_in_the_form(client):
    page = _page(client, "/catalog")
    assert "/catalog?publisher=transport" in page.links
    filtered = _page(client, "/catalog?publisher=transport")
    assert _dataset_links(filtered) == ["bus-lines", "penalties"]
    assert {"type": "hidden", "name": "publisher", "value": "transport"} in filtered.inputs
    both = _page(client, "/catalog?publisher=transport&theme=transport")
    assert _dataset_links(both) == ["bus-lines"]
    assert "/catalog?theme=transport" in both.links  # the link that removes the publisher filter


def test_catalog_pages_through_the_results(client, monkeypatch):
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    seen = []
    for number in (1, 2, 3):
        page = _page(client, f"/catalog?page={number}")
        seen += _dataset_links(page)
        assert f"第 {number} / 3 页" in page.text
        assert ("/catalog?page=2" in page.links) == (number in (1, 3))
    assert sorted(seen) == sorted(LISTED)


def test_bad_page_and_unknown_filter_answer_html_errors_naming_the_problem(client):
    page = _page(client, "/catalog?page=0", 422)
    assert page.heading_texts(1)[0].startswith("请求参数有误") and "page must be a whole number" in page.text
    assert _page(client, "/catalog?page=abc", 422)
    assert "nosuch" in _page(client, "/catalog?theme=nosuch", 422).text


def test_catalog_iri_serves_rdf_to_linked_data_clients(client):
    for accept, target in (("text/turtle", "/catalog.ttl"), ("application/ld+json", "/catalog.jsonld")):
        r = client.get("/catalog", headers={"Accept": accept})
        assert r.status_code == 303 and r.headers["Location"].endswith(target), accept


def test_organization_page_shows_its_place_and_its_datasets(client):
    page = _page(client, "/organizations/finance")
    assert page.heading_texts(1) == ["示例市财政局"]
    assert "/organizations/city" in page.links  # parent
    assert "示例市人民政府" in page.text and "市" in page.text
    assert _dataset_links(page) == ["budget", "pending", "subsidies"]  # not the withdrawn one


def test_organization_page_links_its_children_and_shows_its_contact(client):
    page = _page(client, "/organizations/city")
    assert "Example City People's Government" in _page(client, "/organizations/city?lang=en").text
    assert {"/organizations/finance", "/organizations/transport"} <= set(page.links)
    assert "office@example.gov.cn" in page.text and "mailto:office@example.gov.cn" in page.links


def test_missing_organization_answers_the_404_page(client):
    missing = client.get("/organizations/nosuch")
    assert missing.status_code == 404 and "nosuch" not in missing.get_data(as_text=True)
    assert missing.get_data() == client.get("/datasets/nosuch").get_data()
