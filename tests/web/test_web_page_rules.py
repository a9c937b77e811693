"""Rules every portal page keeps: structure and accessibility, local assets under the CSP, links that
resolve, and every landing page or IRI the catalogue exports publish answering 200."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF

from opendata.api.security import CSP
from tests.web.conftest import LISTED
from tests.web.pagecheck import local_path, read_page

PAGES = ["/", "/catalog", "/catalog?q=预算", "/themes", "/organizations", "/bulk", "/organizations/city", "/organizations/finance", "/organizations/transport",
         *[f"/datasets/{i}" for i in LISTED], "/datasets/nosuch", "/requests/new", "/requests/status",
         "/showcases", "/showcases/new"]


@pytest.fixture(scope="module")
def fetched(app):
    client = app.test_client()
    return {path: client.get(path, headers={"Accept": "text/html"}) for path in PAGES}


@pytest.mark.parametrize("path", PAGES)
def test_page_is_structured_for_assistive_technology(fetched, path):
    page = read_page(fetched[path].get_data(as_text=True))
    assert page.lang == "zh-CN"
    levels = [level for level, _text in page.headings]
    assert levels.count(1) == 1 and levels[0] == 1, levels
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels  # no skipped level
    for table in page.tables:
        assert table["caption"] and table["th_without_scope"] == 0, table


@pytest.mark.parametrize("path", PAGES)
def test_page_needs_no_script_and_nothing_from_elsewhere(fetched, path):
    response = fetched[path]
    page = read_page(response.get_data(as_text=True))
    assert [kind for kind, _text in page.scripts] in ([], ["application/ld+json"])
    assert page.inline_styles == 0  # the CSP allows styles from our origin only
    assert page.assets and all(a.startswith("/") and not a.startswith("//") for a in page.assets), page.assets
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_stylesheet_is_served_locally(client):
    r = client.get("/assets/portal.css")
    assert r.status_code == 200 and r.mimetype == "text/css"
    assert "http" not in r.get_data(as_text=True)  # no imported fonts or images from elsewhere


def test_every_link_on_every_page_resolves(app, fetched):
    client = app.test_client()
    targets = set()
    for response in fetched.values():
        page = read_page(response.get_data(as_text=True))
        targets |= {p for p in map(local_path, page.links + page.assets) if p is not None}
    assert len(targets) > 40
    # the reader's preference links answer 303 back to the page; an error page's alternates are not pages
    expected = {t: 303 if t.startswith("/preferences/") else 200 for t in targets if "nosuch" not in t}
    broken = {t: s for t, want in sorted(expected.items()) if (s := client.get(t).status_code) != want}
    assert broken == {}


def _assert_pages(client, urls: set[str]) -> None:
    assert urls
    for url in sorted(urls):
        path = local_path(url)
        assert path is not None, url
        r = client.get(path, headers={"Accept": "text/html"})
        assert r.status_code == 200 and r.mimetype == "text/html", (url, r.status_code)


def test_dcat_landing_pages_publishers_and_catalogue_iri_resolve(client):
    graph = Graph().parse(data=client.get("/catalog.ttl").get_data(as_text=True), format="turtle")
    landing = {str(o) for o in graph.objects(None, DCAT.landingPage)}
    publishers = {str(o) for o in graph.objects(None, DCTERMS.publisher)}
    catalogues = {str(s) for s in graph.subjects(RDF.type, DCAT.Catalog)}
    assert len(landing) == len(LISTED) and catalogues == {"http://data.example.gov.cn/catalog"}
    datasets = {str(s).split("#")[0] for s in graph.subjects(RDF.type, DCAT.Dataset) if isinstance(s, URIRef)}
    _assert_pages(client, landing | publishers | catalogues | datasets)


def test_data_json_landing_pages_resolve(client):
    body = client.get("/data.json").json
    _assert_pages(client, {d["landingPage"] for d in body["dataset"]})


def test_sitemap_locations_resolve(client):
    root = ET.fromstring(client.get("/sitemap.xml").get_data())
    _assert_pages(client, {e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")})


def test_ckan_and_schema_org_urls_resolve(client):
    found = client.get("/api/3/action/package_search?rows=100").json["result"]["results"]
    orgs = client.get("/api/3/action/organization_list?all_fields=true").json["result"]
    docs = [client.get(f"/datasets/{i}.jsonld").json for i in LISTED]
    urls = ({p["url"] for p in found} | {o["url"] for o in orgs} | {d["url"] for d in docs}
            | {d["publisher"]["url"] for d in docs})
    _assert_pages(client, urls)
