"""Text checks on the way in and escapes on the way out, character by character."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from rdflib import Graph, URIRef

from opendata.core import escaping, textcheck


@pytest.mark.parametrize(("value", "fragment"), [
    ("a\x00b", "U+0000 (NUL), at character 2"), ("a\x01", "U+0001 (control character)"),
    ("a\x7f", "U+007F (DEL)"), ("a\x85b", "U+0085 (control character)"), ("\ud800", "U+D800 (unpaired surrogate)"),
    ("a\uffff", "U+FFFF"), ("a\nb", "a line break, U+000A (line feed)"), ("a\u2028b", "U+2028 (line separator)"),
])
def test_single_line_text_refuses_controls_and_line_breaks_naming_them(value, fragment):
    assert fragment in textcheck.text_problem(value)


@pytest.mark.parametrize("value", ["第一行\n第二行", "a\r\nb", "tab\there", "😀𠀀 \u202e", "普通文字"])
def test_multi_line_text_keeps_line_breaks_tabs_and_any_real_character(value):
    assert textcheck.text_problem(value, multiline=True) is None


@pytest.mark.parametrize("value", ["office@qingchuan.example.gov.cn", "用户@例子.中国", "a.b+c@x.cn"])
def test_real_email_addresses_pass(value):
    assert textcheck.email_problem(value) is None


@pytest.mark.parametrize(("value", "fragment"), [
    ("a b@c.d", "SPACE"), ("x@", "not an e-mail address"), ("x@localhost", "period"), ("<x>@y.cn", "not an e-mail"),
    ("a@b.cn\x00", "U+0000"), ("a" * 250 + "@b.cn", "at most 254"),
])
def test_email_problems_say_why(value, fragment):
    assert fragment in textcheck.email_problem(value)


@pytest.mark.parametrize(("value", "fragment"), [
    ("javascript:alert(1)", "http:// or https://"), ("https://x y/", "U+0020 (space)"), ("https://", "no host"),
    ("http://x:port/", "Port"), ("https://x/<a>", "U+003C"), ("//x.cn/", "http:// or https://"),
])
def test_url_problems_say_why(value, fragment):
    assert fragment in textcheck.url_problem(value)


@pytest.mark.parametrize("value", ["https://data.qingchuan.example.gov.cn/", "http://x.cn:8080/a?b=c#d",
                                   "https://例子.中国/路径", "https://x.cn/a%20b"])
def test_urls_every_format_can_carry_pass(value):
    assert textcheck.url_problem(value) is None


def test_language_tags():
    assert textcheck.language_problem("zh") is None and textcheck.language_problem("zh-Hans-CN") is None
    assert "BCP 47" in textcheck.language_problem("中文")
    assert escaping.language_tag("zh CN") == "zh" and escaping.language_tag("en") == "en"


def test_xml_text_keeps_what_xml_can_hold_and_replaces_the_rest():
    value = "a\x00b\x01c\td\ne\rf\x7f\x85\ufffe😀"
    escaped = escaping.xml_text(value)
    assert escaped == "a\ufffdb\ufffdc\td\ne\rf\x7f\x85\ufffd😀"
    el = ET.Element("t")
    el.text = escaped
    assert ET.fromstring(ET.tostring(el)).text == escaped.replace("\r", "\n")


@pytest.mark.parametrize("value", ["mailto:a b@c.d", "https://x y/\"<>{}|\\^`", "http://x/\x01", "https://例子.中国/a"])
def test_iris_are_escaped_to_what_rdf_accepts_and_keep_real_characters(value):
    escaped = escaping.iri(value)
    Graph().add((URIRef(escaped), URIRef("http://p"), URIRef(escaped))).serialize(format="turtle")
    if "例子" in value:
        assert escaped == value  # letters beyond ASCII are allowed in an IRI
    else:
        assert "%" in escaped and " " not in escaped and "<" not in escaped


def test_mailto_and_tel_iris():
    assert escaping.mailto_iri("a b@c.d") == "mailto:a%20b@c.d"
    assert escaping.mailto_iri("x?subject=hi@y.cn") == "mailto:x%3Fsubject=hi@y.cn"
    assert escaping.tel_iri("0572-2200000 转 8") == "tel:057222000008" and escaping.tel_iri("\x01") is None


def test_html_text_replaces_forbidden_characters_but_leaves_safe_markup_alone():
    from markupsafe import Markup

    assert escaping.html_text("a\x00\x7f\x85b\tc") == "a\ufffd\ufffd\ufffdb\tc"
    safe = Markup("<b>\x7f</b>")
    assert escaping.html_text(safe) is safe and escaping.html_text(3) == 3
