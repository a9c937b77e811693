"""Every page type of the portal in a real browser at a desktop and a phone width: axe-core (WCAG 2.2
A/AA) finds nothing, nothing scrolls sideways, and a screenshot of each is written."""

from __future__ import annotations

import pytest

from tests.browser.helpers import (
    WIDTHS,
    assert_no_axe_violations,
    assert_no_horizontal_scroll,
    shoot,
)

PAGE_TYPES = {
    "catalog": "/catalog",
    "search": "/catalog?q=预算",
    "dataset": "/datasets/qc-air-quality-hourly",
    "dataset-conditional": "/datasets/qc-hotline-tickets",
    "dataset-closed": "/datasets/qc-emergency-depots",
    "organization": "/organizations/qc-gov",
    "not-found": "/datasets/no-such-dataset",
}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", PAGE_TYPES)
def test_page_type_passes_axe_and_fits_the_screen(portal, new_page, screenshots, name, width):
    page = new_page(width)
    page.goto(portal.base + PAGE_TYPES[name])
    assert_no_axe_violations(page)
    assert_no_horizontal_scroll(page)
    shoot(page, name, screenshots)
