"""A keyboard-only reader goes from the home page to a search, a dataset, its preview's second page and
a download: Tab, typing and Enter only, with a visible focus indicator on every element passed."""

from __future__ import annotations

from tests.browser.helpers import activate, focused, shoot, tab_to


def test_keyboard_only_path_from_home_to_a_download(portal, new_page, screenshots):
    page = new_page(1280, accept_downloads=True)
    page.goto(portal.base + "/")
    tab_to(page, lambda f: f.tag == "input")  # the search box
    page.keyboard.type("空气质量")
    activate(page)
    assert "/catalog?q=" in page.url and "空气质量" in page.locator("h2#results").inner_text()

    tab_to(page, r"环境空气质量小时数据")
    activate(page)
    assert page.url.endswith("/datasets/qc-air-quality-hourly")
    assert "第 1–20 行" in page.locator("#preview-caption").inner_text()

    tab_to(page, lambda f: f.text == "下一页" and "page=2" in (f.href or ""))
    activate(page)
    assert "page=2" in page.url
    assert "第 21–40 行" in page.locator("#preview-caption").inner_text()
    shoot(page, "keyboard-preview-page-2", screenshots)

    tab_to(page, lambda f: (f.href or "").endswith("/api/v1/datasets/qc-air-quality-hourly/download.csv"))
    assert focused(page).outline
    with page.expect_download() as info:
        page.keyboard.press("Enter")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    header = download.path().read_bytes()[:4000].decode("utf-8").splitlines()[0]
    assert header.count(",") >= 5  # the dataset's CSV header row


def test_the_skip_link_is_the_first_stop_and_moves_focus_to_the_content(portal, new_page):
    page = new_page(390)
    page.goto(portal.base + "/catalog")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first.href == "#main" and first.outline
    activate(page, navigates=False)
    page.keyboard.press("Tab")  # the next stop is inside the content, past the header
    assert page.evaluate("document.activeElement.closest('main') !== null")
