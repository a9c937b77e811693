"""Lighthouse's accessibility audit of the portal's main pages scores at least 95 (Lighthouse from npm,
Debian's chromium). Performance is measured by bench/lighthouse.py, not asserted here."""

from __future__ import annotations

import pytest

from tests.browser.lighthouse import failed_audits, lighthouse_report, scores

PAGES = {"home": "/", "search": "/catalog?q=%E9%A2%84%E7%AE%97", "dataset": "/datasets/qc-air-quality-hourly"}


@pytest.mark.parametrize("name", PAGES)
def test_lighthouse_accessibility_is_at_least_95(portal, name):
    report = lighthouse_report(portal.base + PAGES[name], ("accessibility",))
    score = scores(report)["accessibility"]
    assert score >= 95, f"{name}: {score}; failing audits: {failed_audits(report, 'accessibility')}"
