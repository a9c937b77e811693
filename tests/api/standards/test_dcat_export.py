"""DCAT-AP 3 catalogue: SHACL-valid, EU vocabularies, distributions only for served data, paged."""

from __future__ import annotations

from pathlib import Path

import pyshacl
import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF, RDFS, XSD

from opendata.core.urls import Links
from opendata.services.access import ANONYMOUS
from opendata.services.standards.dcat import catalog_graph
from tests.api.standards.catalogue import BASE_URL, LEGAL_BASIS

SHAPES = Path(__file__).resolve().parents[3].parent / "shared" / "standards" / "dcat-ap-3-shacl-shapes.ttl"
SPDX = Namespace("http://spdx.org/rdf/terms#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
EU = "http://publications.europa.eu/resource/authority/"


def dataset(identifier: str) -> URIRef:
    return URIRef(f"{BASE_URL}/datasets/{identifier}#dataset")


@pytest.fixture(scope="module")
def shapes() -> Graph:
    if not SHAPES.is_file():
        pytest.skip(f"DCAT-AP 3 SHACL shapes not found at {SHAPES} (the shared/ folder beside the repository)")
    return Graph().parse(SHAPES)


@pytest.fixture(scope="module")
def turtle(app) -> Graph:
    r = app.test_client().get("/catalog.ttl")
    assert r.status_code == 200 and r.mimetype == "text/turtle"
    return Graph().parse(data=r.get_data(as_text=True), format="turtle")


@pytest.mark.parametrize("path,fmt", [("/catalog.ttl", "turtle"), ("/catalog.jsonld", "json-ld")])
def test_catalogue_conforms_to_dcat_ap_3_shapes(client, shapes, path, fmt):
    r = client.get(path)
    assert r.status_code == 200
    graph = Graph().parse(data=r.get_data(as_text=True), format=fmt)
    conforms, _report, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text


def test_shapes_catch_a_broken_distribution(turtle, shapes):
    broken = Graph()
    for triple in turtle:
        broken.add(triple)
    dist = URIRef(f"{BASE_URL}/datasets/budget#distribution-csv")
    broken.remove((dist, DCAT.accessURL, None))
    broken.add((dist, DCAT.byteSize, Literal("many")))
    conforms, _report, text = pyshacl.validate(broken, shacl_graph=shapes, inference="none")
    assert not conforms and "accessURL" in text


def test_datasets_carry_eu_vocabularies_and_bilingual_titles(turtle):
    ds = dataset("budget")
    assert (ds, RDF.type, DCAT.Dataset) in turtle
    titles = set(turtle.objects(ds, DCTERMS.title))
    assert Literal("示例市财政预算", lang="zh") in titles and Literal("Budget of Example City", lang="en") in titles
    descriptions = set(turtle.objects(ds, DCTERMS.description))
    assert descriptions == {Literal("示例市财政预算，按年度发布。", lang="zh"),
                            Literal("Budget of Example City, published every year.", lang="en")}
    assert (ds, DCAT.theme, URIRef(EU + "data-theme/GOVE")) in turtle
    assert (ds, DCTERMS.accrualPeriodicity, URIRef(EU + "frequency/ANNUAL")) in turtle
    assert (ds, DCTERMS.accessRights, URIRef(EU + "access-right/PUBLIC")) in turtle
    assert (ds, DCTERMS.license, URIRef("https://creativecommons.org/licenses/by/4.0/")) in turtle
    assert {str(k) for k in turtle.objects(ds, DCAT.keyword)} == {"预算", "财政"}
    period = turtle.value(ds, DCTERMS.temporal)
    assert turtle.value(period, DCAT.startDate) == Literal("2024-01-01", datatype=XSD.date)
    publisher = turtle.value(ds, DCTERMS.publisher)
    assert str(turtle.value(publisher, URIRef("http://xmlns.com/foaf/0.1/name"))) == "示例市财政局"


def test_distributions_have_urls_media_types_sizes_and_checksums(turtle, client):
    dists = list(turtle.objects(dataset("bus-lines"), DCAT.distribution))
    assert len(dists) == 2
    package = client.get("/datasets/bus-lines/datapackage.json").get_json()
    by_url = {res["path"]: res for res in package["resources"]}
    for dist in dists:
        url = str(turtle.value(dist, DCAT.downloadURL))
        assert url in by_url
        assert turtle.value(dist, DCAT.byteSize) == Literal(by_url[url]["bytes"], datatype=XSD.nonNegativeInteger)
        checksum = turtle.value(dist, SPDX.checksum)
        assert turtle.value(checksum, SPDX.algorithm) == SPDX.checksumAlgorithm_sha256
        assert "sha256:" + str(turtle.value(checksum, SPDX.checksumValue)) == by_url[url]["hash"]
        assert str(turtle.value(dist, DCAT.mediaType)).startswith("https://www.iana.org/assignments/media-types/")
        assert str(turtle.value(dist, DCTERMS["format"])).startswith(EU + "file-type/")


def test_only_served_data_has_distributions_and_withdrawn_datasets_are_absent(turtle):
    listed = {str(s) for s in turtle.subjects(RDF.type, DCAT.Dataset)}
    assert listed == {str(dataset(i)) for i in ("budget", "bus-lines", "pending", "subsidies", "penalties")}
    for identifier in ("pending", "subsidies", "penalties"):
        assert list(turtle.objects(dataset(identifier), DCAT.distribution)) == []
    assert "retired" not in turtle.serialize(format="turtle")
    closed = dataset("penalties")
    assert (closed, DCTERMS.accessRights, URIRef(EU + "access-right/NON_PUBLIC")) in turtle
    assert (dataset("subsidies"), DCTERMS.accessRights, URIRef(EU + "access-right/RESTRICTED")) in turtle
    assert str(turtle.value(turtle.value(closed, DCTERMS.rights), RDFS.label)) == LEGAL_BASIS


def test_paging_links_first_next_and_last(catalogue):
    links = Links(BASE_URL)
    with catalogue.runtime.sessions() as session:
        pages = [catalog_graph(session=session, config=catalogue.runtime.config, viewer=ANONYMOUS, links=links,
                               page=n, page_size=2) for n in (1, 2, 3)]
    seen = []
    for n, g in enumerate(pages, start=1):
        page = URIRef(f"{BASE_URL}/catalog.jsonld?page={n}")
        assert (page, RDF.type, HYDRA.PagedCollection) in g
        assert g.value(page, HYDRA.totalItems).toPython() == 5
        assert g.value(page, HYDRA.lastPage) == URIRef(f"{BASE_URL}/catalog.jsonld?page=3")
        assert (g.value(page, HYDRA.nextPage) is None) == (n == 3)
        seen += [str(s) for s in g.subjects(RDF.type, DCAT.Dataset)]
    assert len(seen) == len(set(seen)) == 5


def test_page_beyond_the_last_is_404_and_bad_page_is_400(client):
    assert client.get("/catalog.ttl?page=2").status_code == 404
    r = client.get("/catalog.jsonld?page=abc")
    assert r.status_code == 400 and r.get_json()["code"] == "bad-request"
    body = client.get("/catalog.jsonld?page=1").get_data(as_text=True)
    assert "hydra:PagedCollection" in body


@pytest.mark.parametrize("path", ["/catalog.ttl", "/catalog.jsonld", "/data.json", "/datasets/budget.jsonld",
                                  "/datasets/budget/datapackage.json"])
def test_exports_are_stable_and_answer_conditional_gets(client, path):
    first, second = client.get(path), client.get(path)
    assert first.data == second.data  # stable blank-node labels: the same catalogue, the same bytes
    etag = first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
