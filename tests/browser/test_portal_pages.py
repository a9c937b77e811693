"""Every page type of the portal in a real browser at a desktop and a phone width: axe-core (WCAG 2.2
A/AA) finds nothing, nothing scrolls sideways, targets are at least 44 px, and a screenshot of each
is written. The reading modes (large text, high contrast) hold at 320 px."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    WIDTHS,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    shoot,
    small_targets,
)

PAGE_TYPES = {
    "home": "/",
    "search": "/catalog?q=预算",
    "catalog-filtered": "/catalog?theme=fiscal&sort=title",
    "themes": "/themes",
    "organizations": "/organizations",
    "organization": "/organizations/qc-finance",
    "dataset": "/datasets/qc-air-quality-hourly",
    "dataset-preview-page-2": "/datasets/qc-air-quality-hourly?page=2&sort=-pm25",
    "dataset-conditional": "/datasets/qc-hotline-tickets",
    "dataset-closed": "/datasets/qc-emergency-depots",
    "version-changes": "/datasets/qc-debt/versions/2/changes?against=1",
    "bulk": "/bulk",
    "request-form": "/requests/new?dataset=qc-hotline-tickets",
    "request-status": "/requests/status",
    "not-found": "/datasets/no-such-dataset",
    "reports-board": "/reports?year=2025",
    "report": "/reports/qc-finance/2025",
    "timeliness": "/timeliness",
    "quality": "/quality",
    "statistics": "/statistics",
    "showcases": "/showcases",
    "showcase-form": "/showcases/new?dataset=qc-air-quality-hourly",
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_type_passes_axe_and_fits_the_screen(portal, new_page, screenshots, name, width):
    page = new_page(width)
    page.goto(portal.base + PAGE_TYPES[name])
    assert_no_axe_violations(page)
    assert_no_horizontal_scroll(page)
    assert small_targets(page) == []
    shoot(page, name, screenshots)


@pytest.mark.parametrize("name", ["home", "search", "dataset", "organizations"])
def test_large_text_and_high_contrast_fit_320_px_and_pass_axe(portal, new_page, screenshots, name):
    page = new_page(320)
    page.goto(portal.base + "/")
    # plain links: they set a cookie and redirect back; wait for each page to load,
    # or the next step reads a document that is still being replaced
    page.click("text=大字体")
    page.wait_for_load_state("load")
    page.click("text=高对比度")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.className") == "text-large contrast-high"
    page.goto(portal.base + PAGE_TYPES[name])
    assert page.evaluate("getComputedStyle(document.body).fontSize") == "22px"
    assert_no_axe_violations(page)
    assert_no_horizontal_scroll(page)
    shoot(page, f"{name}-large-contrast", screenshots)


def test_base_text_is_at_least_18_px_and_english_pages_say_so(portal, new_page):
    page = new_page(1280)
    page.goto(portal.base + "/datasets/qc-budget-2024")
    assert float(page.evaluate("getComputedStyle(document.body).fontSize").rstrip("px")) >= 18
    page.click("text=English")
    page.wait_for_load_state("load")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert page.locator("h1").inner_text() != "青川市2024年市级一般公共预算支出预算"
    assert_no_axe_violations(page)
