"""The browser-test helpers catch what they are for: each check fails on a page built to fail it."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    assert_no_horizontal_scroll,
    axe_violations,
    focused,
    horizontal_overflow,
    shoot,
    small_targets,
    tab_to,
)

BROKEN = """<!doctype html><html><head><title>t</title></head><body>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<p style="color:#bbb;background:#fff">低对比度 low contrast</p>
<div style="width:2000px">宽 wide</div>
<a href="#x" style="font-size:10px">小 small</a></body></html>"""
GOOD = """<!doctype html><html lang="zh-CN"><head><title>好</title>
<style>a:focus{outline:3px solid #000} a{display:inline-block;min-width:44px;min-height:44px}</style></head>
<body><main><h1>标题</h1><nav aria-label="导航"><a href="#a">第一</a> <a href="#b">第二</a></nav></main></body></html>"""


def test_axe_reports_the_violations_of_a_broken_page(new_page):
    page = new_page(1280)
    page.set_content(BROKEN)
    rules = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "color-contrast", "html-has-lang"} <= rules


def test_axe_finds_nothing_on_a_correct_page(new_page):
    page = new_page(390)
    page.set_content(GOOD)
    assert axe_violations(page) == []
    assert horizontal_overflow(page) == 0


def test_a_page_wider_than_the_viewport_is_reported_with_the_culprit(new_page):
    page = new_page(390)
    page.set_content(BROKEN)
    assert horizontal_overflow(page) > 1500
    with pytest.raises(AssertionError, match="scrolls sideways.*div"):
        assert_no_horizontal_scroll(page)


def test_small_targets_are_listed(new_page):
    page = new_page(1280)
    page.set_content(BROKEN)
    assert any(t.startswith('a "小 small"') for t in small_targets(page))
    page.set_content(GOOD)
    assert small_targets(page) == []


def test_tab_to_walks_the_focus_order_and_checks_the_focus_indicator(new_page):
    page = new_page(1280)
    page.set_content(GOOD)
    assert tab_to(page, "第二").href == "#b"
    assert focused(page).outline
    page.set_content(GOOD.replace("outline:3px solid #000", "outline:none"))
    with pytest.raises(AssertionError, match="no visible focus indicator"):
        tab_to(page, "第二")


def test_shoot_writes_a_png_named_by_the_test(new_page, tmp_path):
    page = new_page(390)
    page.set_content(GOOD)
    path = shoot(page, "helper-check", tmp_path)
    assert path.name == "helper-check-390.png" and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
