"""Every outward format survives every stored value: hostile text in the database, each format parsed back.

The database holds, in every text of organizations, datasets and schemas, control characters (NUL,
C0, C1, DEL), noncharacters, markup, Turtle's quotes, a spreadsheet formula, bidirectional and
line-separator characters, astral characters and CR LF; e-mail addresses and URLs that are none;
an identifier and an organization id with spaces and quotes (tests/hostile_values.py). Each format
is read with a real parser (rdflib, an XML parser, csv, json, openpyxl, the HTML parser), the
DCAT-AP ones checked with pyshacl, and the hostile text is found intact where the format can hold
it, with U+FFFD where it cannot (XML 1.0 and HTML forbid control characters).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from pathlib import Path
from urllib.parse import quote

import defusedxml.ElementTree as SafeET
import pyshacl
import pytest
from openpyxl import load_workbook
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS

from opendata.app import close_app, create_app
from opendata.store.migrate import upgrade_to_head
from tests.hostile_values import (
    FORMULA_FIELD,
    HOSTILE,
    HOSTILE_CELLS,
    HOSTILE_ID,
    HOSTILE_SLUG,
    as_xml,
    build_hostile_site,
)
from tests.web.pagecheck import read_page

BASE = "http://testserver"
SHAPES = Path(__file__).resolve().parents[1].parent / "shared" / "standards" / "dcat-ap-3-shacl-shapes.ttl"
ATOM = "{http://www.w3.org/2005/Atom}"
# characters HTML forbids (besides the whitespace controls) and XML 1.0 cannot hold
NOT_HTML = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffe\uffff]")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    app = create_app(HOME=str(root / "home"), BASE_URL=BASE, RATE_LIMIT_ENABLED=False,
                     CATALOG_FILE=str(root / "hostile-catalog.yaml"))
    app.config["TESTING"] = True
    runtime = app.extensions["opendata"]
    runtime.config.home.mkdir(parents=True, exist_ok=True)
    upgrade_to_head(runtime.config.database_url)
    build_hostile_site(root, runtime)
    yield app.test_client()
    close_app(app)


def _get(client, path: str, status: int = 200):
    r = client.get(path)
    assert r.status_code == status, (path, r.status_code, r.get_data(as_text=True)[:500])
    return r


@pytest.fixture(scope="module")
def shapes() -> Graph:
    assert SHAPES.is_file(), f"the DCAT-AP 3 SHACL shapes are missing at {SHAPES}"
    return Graph().parse(SHAPES)


@pytest.mark.parametrize(("path", "fmt"), [("/catalog.ttl", "turtle"), ("/catalog.jsonld", "json-ld")])
def test_dcat_ap_parses_keeps_the_text_and_conforms(site, shapes, path, fmt):
    graph = Graph().parse(data=_get(site, path).get_data(as_text=True), format=fmt)
    hostile = URIRef(f"{BASE}/datasets/hostile#dataset")
    assert Literal(HOSTILE, lang="zh") in set(graph.objects(hostile, DCTERMS.title))
    assert (URIRef(f"{BASE}/datasets/{quote(HOSTILE_ID)}#dataset"), None, None) in graph
    emails = {str(o) for o in graph.objects(None, URIRef("http://www.w3.org/2006/vcard/ns#hasEmail"))}
    assert emails and all(" " not in e and "<" not in e for e in emails)
    conforms, _graph, text = pyshacl.validate(graph, shacl_graph=shapes, inference="none")
    assert conforms, text


@pytest.mark.parametrize("path", ["/api/v1/feeds/datasets.atom", "/feeds/datasets.atom"])
def test_atom_feeds_are_well_formed_xml(site, path):
    root = SafeET.fromstring(_get(site, path).data)
    titles = [e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")]
    assert titles == [as_xml(HOSTILE)] * 2
    assert {e.find(f"{ATOM}author").findtext(f"{ATOM}name") for e in root.iter(f"{ATOM}entry")} == {as_xml(HOSTILE)}


def test_sitemap_is_well_formed_and_links_quoted_identifiers(site):
    root = SafeET.fromstring(_get(site, "/sitemap.xml").data)
    locs = {e.text for e in root.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert locs == {f"{BASE}/datasets/hostile", f"{BASE}/datasets/{quote(HOSTILE_ID)}"}


def _strings(doc):
    if isinstance(doc, str):
        yield doc
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield key
            yield from _strings(value)
    elif isinstance(doc, list):
        for value in doc:
            yield from _strings(value)


def _json(client, path):
    return json.loads(_get(client, path).get_data(as_text=True))


@pytest.mark.parametrize("path", [
    "/data.json", "/datasets/hostile.jsonld", "/datasets/hostile/datapackage.json", "/api/v1/datasets",
    "/api/v1/datasets/hostile", f"/api/v1/datasets/{quote(HOSTILE_ID)}", "/api/v1/organizations",
    "/api/v1/changes", "/api/3/action/package_show?id=hostile", "/api/3/action/package_search?q=预算",
    "/api/3/action/package_list",
    "/api/3/action/organization_list?all_fields=true", "/api/3/action/organization_show?id=finance",
    "/api/3/action/group_list?all_fields=true", "/bulk.json"])
def test_json_documents_carry_the_text_exactly(site, path):
    doc = _json(site, path)
    if "bulk" not in path and "package_list" not in path and "group_list" not in path:
        assert HOSTILE in set(_strings(doc)), path


@pytest.mark.parametrize("path", ["/catalog", "/catalog?q=预算", "/datasets/hostile",
                                  f"/datasets/{quote(HOSTILE_ID)}", "/organizations/finance",
                                  f"/organizations/{quote(HOSTILE_SLUG)}"])
def test_html_pages_parse_escape_markup_and_hold_no_forbidden_character(site, path):
    html = _get(site, path).get_data(as_text=True)
    assert "<script>alert" not in html and "<![CDATA[" not in html
    assert NOT_HTML.search(html) is None, repr(NOT_HTML.search(html))
    page = read_page(html)
    assert "</title><script>alert(1)</script>" in page.text
    for doc in page.jsonld():  # the embedded schema.org document is JSON with the exact text
        assert doc["name"] == HOSTILE


def test_downloads_round_trip_and_the_excel_csv_neutralises_header_and_cells(site):
    text = _get(site, "/api/v1/datasets/hostile/download.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0] == ["id", FORMULA_FIELD, "note"]
    assert [r[1] for r in rows[1:]] == HOSTILE_CELLS and rows[1][2] == HOSTILE  # CSV holds any text
    excel = _get(site, "/api/v1/datasets/hostile/download.excel.csv").data
    assert excel.startswith(b"\xef\xbb\xbf")
    xrows = list(csv.reader(io.StringIO(excel[3:].decode("utf-8"), newline="")))
    assert xrows[0] == ["id", "'" + FORMULA_FIELD, "note"]
    formula = ("=", "+", "-", "@", "\t", "\r")
    assert [r[1] for r in xrows[1:]] == [("'" + c if c.startswith(formula) else c) for c in HOSTILE_CELLS]


def test_bulk_archive_catalogue_table_and_workbook_hold_the_text_safely(site):
    name = _json(site, "/bulk.json")["archives"][0]["name"]
    archive = zipfile.ZipFile(io.BytesIO(_get(site, f"/bulk/{name}").data))
    table = list(csv.DictReader(io.StringIO(archive.read("catalog.csv").decode("utf-8"), newline="")))
    assert {r["title"] for r in table} == {HOSTILE}
    sheet = load_workbook(io.BytesIO(archive.read("catalog.xlsx"))).active
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["title"].value == as_xml(HOSTILE)  # XLSX is XML: controls became U+FFFD
        assert all(c.data_type != "f" for c in row)  # no text became a formula
    for member in archive.namelist():
        if member.endswith("datapackage.json"):
            assert json.loads(archive.read(member))["resources"]
