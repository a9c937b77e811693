"""catalog.yaml refuses text no format can carry: each field, with its line and a sentence saying which character."""

from __future__ import annotations

import pytest

from opendata.core.catalog_file import load_catalog
from opendata.core.errors import CatalogError
from tests.conftest import BASIC_CATALOG, write_catalog

# YAML escapes put these characters into the values (raw control characters are YAML errors already)
CONTROL = r'"预算\x01标题"'
LINE_BREAK = r'"第一行\n第二行"'
C1 = r'"标\x85题"'  # inside the text: surrounding whitespace (U+0085 is some) is trimmed, not refused
SEPARATOR = r'"标\u2028题"'
NONCHARACTER = r'"标题\uFFFF"'

# (text to replace in BASIC_CATALOG, its replacement, path of the problem, needle of the line)
CASES = [
    ("  title: 示例市公共数据开放平台", f"  title: {CONTROL}", "catalog/title", "  title: \"预算"),
    ("  publisher: city\n", "  publisher: city\n  homepage: \"https://x y/\"\n", "catalog/homepage", "homepage"),
    ("  publisher: city\n", "  publisher: city\n  homepage: \"javascript:alert(1)\"\n", "catalog/homepage",
     "homepage"),
    ("  publisher: city\n", "  publisher: city\n  language: \"中文\"\n", "catalog/language", "language"),
    ("    name: 示例市人民政府", f"    name: {LINE_BREAK}", "organizations/0/name", "第一行"),
    ("    name: 示例市财政局", f"    name: 财政局\n    name_en: {C1}", "organizations/1/name_en", "name_en"),
    ("{name: 办公室, email: office@example.gov.cn}", "{name: 办公室, email: \"a b@c.d\"}",
     "organizations/0/contact/email", "a b@c.d"),
    ("{name: 办公室, email: office@example.gov.cn}", "{name: 办公室, email: \"x@\"}",
     "organizations/0/contact/email", "x@"),
    ("{name: 办公室, email: office@example.gov.cn}", f"{{name: {SEPARATOR}}}", "organizations/0/contact/name",
     "contact:"),
    ("{name: 办公室, email: office@example.gov.cn}", "{name: 办公室, url: \"ftp://x.example/\"}",
     "organizations/0/contact/url", "contact:"),
    ("    title: 示例市财政预算", f"    title: {CONTROL}", "datasets/0/title", "    title: \"预算"),
    ("    title: 补贴发放明细", f"    title: {NONCHARACTER}", "datasets/1/title", "uFFFF"),
    ("    title: 示例市财政预算", "    title: 示例市财政预算\n    title_en: \"Budget\\tline\\rnext\"",
     "datasets/0/title_en", "title_en"),
    ("    keywords: [预算, 财政]", f"    keywords: [预算, {CONTROL}]", "datasets/0/keywords/1", "keywords"),
    ("    keywords: [预算, 财政]", "    keywords: [预算]\n    spatial: \"330100\\x00\"", "datasets/0/spatial",
     "spatial"),
    ("    legal_basis: 《中华人民共和国政府信息公开条例》第十五条（个人隐私）",
     r'    legal_basis: "第十五条\x1b[31m"', "datasets/1/legal_basis", "legal_basis"),
    ("    keywords: [预算, 财政]", "    keywords: [预算]\n    contact: {email: \"<script>@x.y\"}",
     "datasets/0/contact/email", "<script>"),
    ("    keywords: [预算, 财政]", "    keywords: [预算]\n    description: \"说明\\x0c续\"",
     "datasets/0/description", "description"),
    ('    code: "330100/00001"', r'    code: "330100/00001\u0000"', "datasets/0/code", r"\u0000"),
]


def _line_of(body: str, needle: str) -> int:
    return next(i for i, line in enumerate(body.splitlines(), start=1) if needle in line)


@pytest.mark.parametrize(("old", "new", "path", "needle"), CASES, ids=[c[2] + "-" + c[1][-12:] for c in CASES])
def test_each_stored_field_refuses_what_no_format_can_carry_naming_field_and_line(tmp_path, old, new, path, needle):
    assert old in BASIC_CATALOG
    body = BASIC_CATALOG.replace(old, new, 1)
    with pytest.raises(CatalogError) as info:
        load_catalog(write_catalog(tmp_path, body), schemas_dir=tmp_path / "schemas")
    problems = [p for p in info.value.problems if p.path == path]
    assert problems, [str(p) for p in info.value.problems]
    assert problems[0].line == _line_of(body, needle)
    message = problems[0].message
    assert "U+" in message or "e-mail" in message or "URL" in message or "language tag" in message, message
    assert message.isprintable(), message  # the message itself never carries the character


def test_a_multi_line_description_and_legal_basis_are_accepted(tmp_path):
    body = BASIC_CATALOG.replace("    keywords: [预算, 财政]", "    keywords: [预算]\n    description: |\n"
                                 "      第一段。\n      第二段，\t含制表符。\n", 1)
    spec = load_catalog(write_catalog(tmp_path, body), schemas_dir=tmp_path / "schemas")
    assert spec.datasets[0].description == "第一段。\n第二段，\t含制表符。"


def test_messages_name_the_character_and_its_position(tmp_path):
    body = BASIC_CATALOG.replace("    title: 示例市财政预算", f"    title: {CONTROL}", 1)
    with pytest.raises(CatalogError) as info:
        load_catalog(write_catalog(tmp_path, body), schemas_dir=tmp_path / "schemas")
    (problem,) = info.value.problems
    assert problem.message == ("'title' holds a character that cannot be stored, U+0001 (control character), "
                               "at character 3")


def test_a_schema_file_with_a_control_character_in_a_title_is_refused_with_its_property(tmp_path):
    schema = {"fields": [{"name": "id", "type": "integer"}, {"name": "name", "title": "名称\u0007"}]}
    with pytest.raises(CatalogError) as info:
        load_catalog(write_catalog(tmp_path, BASIC_CATALOG, {"simple.json": schema}), schemas_dir=tmp_path / "schemas")
    assert any("fields/1/title" in p.message and "U+0007" in p.message for p in info.value.problems), \
        [str(p) for p in info.value.problems]
