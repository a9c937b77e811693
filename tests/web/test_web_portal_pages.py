"""Home, themes, organizations and bulk downloads: what each shows, and the extension points."""

from __future__ import annotations

from opendata.web.navigation import HomeSection, NavLink, add_home_section, add_nav_link, navigation
from tests.web.conftest import LISTED
from tests.web.pagecheck import read_page

BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


def _page(client, path: str):
    r = client.get(path, headers=BROWSER)
    assert r.status_code == 200 and r.mimetype == "text/html", (path, r.status_code)
    return read_page(r.get_data(as_text=True))


def test_home_page_has_search_figures_themes_organizations_and_lists(client):
    page = _page(client, "/")
    assert page.heading_texts(1) == ["示例市公共数据开放平台"]
    assert [f.get("action") for f in page.forms] == ["/catalog"]
    assert "5 个数据集" in page.text and "2 个可下载" in page.text  # budget and bus-lines are open
    assert "/catalog?theme=fiscal" in page.links and "/organizations/finance" in page.links
    assert page.heading_texts(2)[:3] == ["平台概况", "主题", "最近更新"]
    listed = {link.split("/")[2] for link in page.links if link.startswith("/datasets/")}
    assert listed <= set(LISTED) and listed


def test_themes_page_counts_every_theme_of_the_vocabulary(client):
    from opendata.core import vocab

    page = _page(client, "/themes")
    assert page.heading_texts(1) == ["主题"]
    for term in vocab.THEMES:
        assert term.zh in page.text
    assert "/catalog?theme=fiscal" in page.links and "/catalog?theme=health" not in page.links  # empty: no link


def test_organizations_page_is_a_tree_with_counts(client):
    html = client.get("/organizations").get_data(as_text=True)
    city = html.index('href="/organizations/city"')
    finance = html.index('href="/organizations/finance"')
    assert city < finance and html.count('<ul class="tree">') >= 2  # the finance bureau nested under the city
    assert "含下级机构共" in html


def test_bulk_downloads_are_a_page_in_the_portal_layout_for_browsers(client):
    page = _page(client, "/bulk")
    assert page.heading_texts(1) == ["批量下载"] and "/catalog" in page.links  # the site navigation
    assert "http://data.example.gov.cn/bulk/opendata-all.zip" in page.links
    assert client.get("/bulk").mimetype == "application/json"  # API clients keep the JSON


def test_features_add_navigation_links_and_home_sections_without_touching_the_layout(catalogue, tmp_path):
    from tests.conftest import running_app

    with running_app(catalogue.runtime.config) as app:
        app.jinja_loader.searchpath.append(str(tmp_path))
        (tmp_path / "showcase_section.html").write_text(
            '<section aria-labelledby="showcases"><h2 id="showcases">应用展示</h2>'
            "<p>{{ data.count }} 个应用</p></section>", encoding="utf-8")
        add_nav_link(app, NavLink("web.themes", "Showcases", 60))
        add_home_section(app, HomeSection("showcase_section.html", lambda: {"count": 3}))
        add_home_section(app, HomeSection("showcase_section.html", lambda: None, order=200))  # nothing to show
        html = app.test_client().get("/").get_data(as_text=True)
        assert html.count("应用展示") == 1 and "3 个应用" in html
        labels = [link.label for link in navigation(app).links]  # by order, then as added
        assert labels.index("Showcases") == labels.index("Request information") + 1  # both order 60
        assert [link.order for link in navigation(app).links] == sorted(link.order for link in navigation(app).links)
