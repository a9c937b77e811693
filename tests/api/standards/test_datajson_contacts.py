"""data.json stays valid DCAT-US 1.1 when contacts are missing and legal bases are long.

DCAT-US 1.1 requires ``contactPoint`` with ``fn`` and ``hasEmail`` and caps ``rights`` at 255
characters; catalog.yaml makes contacts optional and sets no length on ``legal_basis``. Each test
syncs its own small catalogue (no data: metadata is listed from the sync on).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from rdflib import Graph, Literal, Namespace, URIRef

from opendata.app import close_app, create_app
from opendata.config import load_config
from opendata.core.catalog_file import load_catalog
from opendata.services.catalog_sync import sync_catalog
from opendata.services.runtime import Runtime
from opendata.services.standards.datajson import _rights
from opendata.store.db import transaction
from opendata.store.migrate import upgrade_to_head
from tests.api.standards.catalogue import BASE_URL, SCHEMA
from tests.conftest import make_credit_code

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT = Namespace("http://www.w3.org/ns/dcat#")

# The DCAT-US 1.1 dataset rules this file is about, as written in the Project Open Data v1.1 JSON
# Schema (dataset.json, vcard.json); bureauCode and programCode are federal-only and left out
# (docs/standards.md).
POD_DATASET = {
    "type": "object",
    "required": ["title", "description", "keyword", "modified", "publisher", "contactPoint", "identifier",
                 "accessLevel"],
    "properties": {
        "accessLevel": {"enum": ["public", "restricted public", "non-public"]},
        "rights": {"anyOf": [{"type": "string", "minLength": 1, "maxLength": 255}, {"type": "null"}]},
        "contactPoint": {
            "type": "object", "required": ["fn", "hasEmail"],
            "properties": {"@type": {"enum": ["vcard:Contact"]}, "fn": {"type": "string", "minLength": 1},
                           "hasEmail": {"type": "string", "pattern": r"^mailto:([\w.-]+@[\w.-]+\.[\w.-]+)?$"}},
        },
        "keyword": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    },
}
POD_CATALOG = {"type": "object", "required": ["conformsTo", "dataset"],
               "properties": {"dataset": {"type": "array", "items": POD_DATASET}}}

# 327 characters: a closed dataset's legal basis citing several provisions, with how to apply
LONG_BASIS = (
    "《中华人民共和国政府信息公开条例》第十四条、第十五条，《中华人民共和国个人信息保护法》第十三条、第二十八条，"
    "《中华人民共和国数据安全法》第二十一条，以及《示例市公共数据管理办法》第十八条关于涉及个人隐私、商业秘密和"
    "公共安全的数据不予开放的规定。本数据仅供依法履职的机关内部使用，申请人可依照上述规定向发布机关书面申请有条件"
    "获取，发布机关将在二十个工作日内答复；对答复不服的，可依法申请行政复议或者提起行政诉讼。申请人应当提交书面申请、"
    "有效身份证明和数据用途说明，并签署数据使用承诺书，承诺不将数据用于申请用途以外的目的、不向第三方提供、在使用期限"
    "届满后删除全部数据及其副本；违反承诺的，发布机关将终止授权并依法追究责任。发布机关的联系方式见本数据集页面。"
)


def _org(slug: str, name: str, n: int, *, parent: str | None = None, contact: str | None = None) -> str:
    text = (f"  - id: {slug}\n    name: {name}\n    credit_code: {make_credit_code(f'1133010000000{n:04d}')}\n"
            f"    level: city\n    division_code: \"330100\"\n")
    if parent:
        text += f"    parent: {parent}\n"
    if contact:
        text += f"    contact: {contact}\n"
    return text


def _dataset(ident: str, n: int, publisher: str, *, contact: str | None = None, legal_basis: str | None = None) -> str:
    text = (f"  - id: {ident}\n    code: \"330100/{n:05d}\"\n    title: 数据集{n}\n    publisher: {publisher}\n"
            f"    theme: fiscal\n    keywords: [测试]\n    license: CC-BY-4.0\n"
            f"    disclosure: {'closed' if legal_basis else 'unconditional'}\n    frequency: annual\n"
            f"    schema: rows.json\n")
    if contact:
        text += f"    contact: {contact}\n"
    if legal_basis:
        text += f"    legal_basis: {legal_basis}\n"
    return text


def _sync(root: Path, *, publisher: str, organizations: list[str], datasets: list[str]):
    """A fresh OPENDATA_HOME with the catalogue synced; returns the runtime and the sync result."""
    root.mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "schemas" / "rows.json").write_text(json.dumps(SCHEMA, ensure_ascii=False), encoding="utf-8")
    head = f"catalog:\n  title: 测试目录\n  publisher: {publisher}\n"
    text = head + "organizations:\n" + "".join(organizations) + "datasets:\n" + "".join(datasets)
    (root / "catalog.yaml").write_text(text, encoding="utf-8")
    rt = Runtime(load_config({}, HOME=str(root / "home"), BASE_URL=BASE_URL, RATE_LIMIT_ENABLED=False,
                             CATALOG_FILE=str(root / "catalog.yaml"), SCHEMAS_DIR=str(root / "schemas")))
    rt.config.home.mkdir()
    upgrade_to_head(rt.config.database_url)
    spec = load_catalog(root / "catalog.yaml", schemas_dir=root / "schemas")
    with transaction(rt.sessions) as session:
        result = sync_catalog(session=session, spec=spec)
    return rt, result


@pytest.fixture
def served(tmp_path):
    """Sync a catalogue and return (documents by path, sync result)."""
    apps = []

    def serve(**catalogue) -> tuple[dict, object]:
        rt, result = _sync(tmp_path / f"p{len(apps)}", **catalogue)
        app = create_app(rt.config)
        app.config["TESTING"] = True
        apps.append(app)
        client = app.test_client()
        docs = {"data.json": client.get("/data.json").get_json(),
                "catalog.ttl": Graph().parse(data=client.get("/catalog.ttl").get_data(as_text=True), format="turtle")}
        for d in docs["data.json"]["dataset"]:
            docs[d["identifier"] + ".jsonld"] = client.get(f"/datasets/{d['identifier']}.jsonld").get_json()
        return docs, result

    yield serve
    for app in apps:
        close_app(app)


def _valid(doc: dict) -> None:
    errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in Draft4Validator(POD_CATALOG).iter_errors(doc)]
    assert not errors, errors


def _dcat_emails(graph: Graph, identifier: str) -> set[str]:
    node = URIRef(f"{BASE_URL}/datasets/{identifier}#dataset")
    return {str(e) for point in graph.objects(node, DCAT.contactPoint) for e in graph.objects(point, VCARD.hasEmail)}


def test_contact_falls_back_to_the_nearest_ancestor_with_an_email(served):
    docs, result = served(publisher="city", organizations=[
        _org("city", "示例市人民政府", 1, contact="{name: 市政府办公室, email: office@city.example.gov.cn}"),
        _org("finance", "示例市财政局", 2, parent="city", contact="{name: 财政局办公室, email: office@finance.example.gov.cn}"),
        _org("budget", "示例市财政局预算处", 3, parent="finance"),
        _org("treasury", "示例市国库中心", 4, parent="budget", contact="{name: 国库值班室, phone: 0571-87000001}"),
    ], datasets=[_dataset("plan", 1, "budget"), _dataset("ledger", 2, "treasury"),
                 _dataset("own", 3, "budget", contact="{name: 预算科, email: yusuan@finance.example.gov.cn}")])
    _valid(docs["data.json"])
    points = {d["identifier"]: d["contactPoint"] for d in docs["data.json"]["dataset"]}
    # dataset and organization without contact: the parent's, not the grandparent's
    assert points["plan"] == {"@type": "vcard:Contact", "fn": "财政局办公室",
                              "hasEmail": "mailto:office@finance.example.gov.cn"}
    # an organization contact without email does not stop the search for one
    assert points["ledger"]["hasEmail"] == "mailto:office@finance.example.gov.cn"
    assert points["own"] == {"@type": "vcard:Contact", "fn": "预算科", "hasEmail": "mailto:yusuan@finance.example.gov.cn"}
    # DCAT-AP and schema.org show the same contact
    assert _dcat_emails(docs["catalog.ttl"], "plan") == {"mailto:office@finance.example.gov.cn"}
    assert docs["plan.jsonld"]["publisher"]["contactPoint"]["email"] == "office@finance.example.gov.cn"
    assert docs["own.jsonld"]["publisher"]["contactPoint"]["email"] == "yusuan@finance.example.gov.cn"
    assert not [w for w in result.warnings if "email" in w]


def test_catalogue_publisher_contact_is_the_last_fallback(served):
    docs, _ = served(publisher="portal", organizations=[
        _org("portal", "示例市大数据局", 1, contact="{name: 开放平台运维, email: opendata@example.gov.cn}"),
        _org("police", "示例市公安局", 2),
    ], datasets=[_dataset("cases", 1, "police")])
    _valid(docs["data.json"])
    (point,) = [d["contactPoint"] for d in docs["data.json"]["dataset"]]
    assert point["hasEmail"] == "mailto:opendata@example.gov.cn" and point["fn"] == "开放平台运维"
    assert _dcat_emails(docs["catalog.ttl"], "cases") == {"mailto:opendata@example.gov.cn"}
    assert docs["cases.jsonld"]["publisher"]["contactPoint"]["email"] == "opendata@example.gov.cn"


def test_without_any_email_data_json_still_validates_and_sync_warns(served):
    docs, result = served(publisher="city", organizations=[
        _org("city", "示例市人民政府", 1), _org("finance", "示例市财政局", 2, parent="city")],
        datasets=[_dataset("plan", 1, "finance")])
    _valid(docs["data.json"])
    (point,) = [d["contactPoint"] for d in docs["data.json"]["dataset"]]
    # the publishing organization, with the empty mailto: DCAT-US 1.1 allows for an unknown address
    assert point == {"@type": "vcard:Contact", "fn": "示例市财政局", "hasEmail": "mailto:"}
    assert _dcat_emails(docs["catalog.ttl"], "plan") == set()  # DCAT-AP: no made-up address
    assert "contactPoint" not in docs["plan.jsonld"]["publisher"]
    (warning,) = [w for w in result.warnings if "email" in w]
    assert "'plan'" in warning and "contact" in warning


def test_long_legal_basis_is_cut_to_255_characters_in_data_json_only(served):
    assert len(LONG_BASIS) == 327
    docs, _ = served(publisher="city", organizations=[
        _org("city", "示例市人民政府", 1, contact="{name: 办公室, email: office@example.gov.cn}")],
        datasets=[_dataset("secret", 1, "city", legal_basis=LONG_BASIS)])
    _valid(docs["data.json"])
    (d,) = docs["data.json"]["dataset"]
    assert len(d["rights"]) == 255 and d["rights"].endswith("…")
    assert d["rights"][:-1] == LONG_BASIS[:254]
    assert d["landingPage"] == f"{BASE_URL}/datasets/secret"
    # the full text stays in DCAT-AP and schema.org
    graph = docs["catalog.ttl"]
    node = URIRef(f"{BASE_URL}/datasets/secret#dataset")
    labels = {str(label) for r in graph.objects(node, URIRef("http://purl.org/dc/terms/rights"))
              for label in graph.objects(r, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))}
    assert labels == {LONG_BASIS} and Literal(LONG_BASIS, lang="zh") in set(graph.objects())
    assert docs["secret.jsonld"]["conditionsOfAccess"].endswith(LONG_BASIS)


def test_rights_are_never_cut_between_a_character_and_its_combining_mark():
    text = "a" * 253 + "e\u0301" + "x" * 10  # the 255th character is a combining acute accent
    assert _rights(text) == "a" * 253 + "…"
    assert _rights("短" * 255) == "短" * 255
