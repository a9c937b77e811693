"""Language (zh/en), large text and high contrast: links that work without JavaScript, kept in cookies."""

from __future__ import annotations

from tests.web.pagecheck import read_page


def test_chinese_is_the_default_and_english_is_chosen_by_url_cookie_or_browser(client):
    assert read_page(client.get("/catalog").get_data(as_text=True)).lang == "zh-CN"
    english = read_page(client.get("/catalog?lang=en").get_data(as_text=True))
    assert english.lang == "en" and english.heading_texts(1) == ["Datasets"]
    assert read_page(client.get("/catalog", headers={"Accept-Language": "en-GB,en;q=0.9"})
                     .get_data(as_text=True)).lang == "en"
    assert read_page(client.get("/catalog", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
                     .get_data(as_text=True)).lang == "zh-CN"


def test_the_switch_sets_a_cookie_and_returns_to_the_page_without_its_lang_parameter(client):
    r = client.get("/preferences/lang/en?next=/datasets/budget%3Flang%3Dzh%26page%3D2")
    assert r.status_code == 303 and r.headers["Location"] == "/datasets/budget?page=2"
    cookie = r.headers["Set-Cookie"]
    assert cookie.startswith("lang=en;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    page = read_page(client.get("/datasets/budget").get_data(as_text=True))
    assert page.lang == "en" and "Budget of Example City" in page.heading_texts(1)
    client.get("/preferences/lang/zh?next=/")
    assert read_page(client.get("/datasets/budget").get_data(as_text=True)).lang == "zh-CN"


def test_english_readers_get_the_english_descriptions_and_titles_where_the_catalogue_has_them(client):
    english = client.get("/datasets/budget?lang=en").get_data(as_text=True)
    page = read_page(english)
    assert "Budget of Example City, published every year." in page.text and "按年度发布" not in page.text
    assert '<meta name="description" content="Budget of Example City, published every year.">' in english
    assert "<title>Budget of Example City · " in english
    chinese = read_page(client.get("/datasets/budget?lang=zh").get_data(as_text=True))
    assert "示例市财政预算，按年度发布。" in chinese.text and "published every year" not in chinese.text
    search = read_page(client.get("/catalog?lang=en").get_data(as_text=True))
    assert "Bus line ridership, published every year." in search.text
    home = client.get("/?lang=en").get_data(as_text=True)
    assert "Public data opened by the departments of Example City." in read_page(home).text


def test_titles_and_attributes_never_hold_markup_when_a_text_has_no_english(client, catalogue):
    html = client.get("/organizations/finance?lang=en").get_data(as_text=True)  # finance has no name_en
    title = html.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<" not in title and "示例市财政局" in title


def test_every_page_links_its_language_alternates_with_hreflang(client):
    html = client.get("/catalog?theme=fiscal").get_data(as_text=True)
    assert '<link rel="alternate" hreflang="zh-CN" href="/catalog?theme=fiscal&amp;lang=zh">' in html
    assert '<link rel="alternate" hreflang="en" href="/catalog?theme=fiscal&amp;lang=en">' in html
    assert '<link rel="alternate" hreflang="x-default" href="/catalog">' in html
    assert 'Vary' in client.get("/catalog").headers and "Cookie" in client.get("/catalog").headers["Vary"]


def test_large_text_and_high_contrast_are_classes_on_the_page_kept_in_cookies(client):
    assert 'class=' not in client.get("/").get_data(as_text=True).split(">", 2)[1]
    client.get("/preferences/text/large?next=/")
    client.get("/preferences/contrast/high?next=/")
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="zh-CN" class="text-large contrast-high">' in html
    assert "/preferences/text/normal" in html and "/preferences/contrast/normal" in html
    client.get("/preferences/text/normal?next=/")
    client.get("/preferences/contrast/normal?next=/")


def test_the_way_back_stays_on_this_site_and_unknown_choices_are_404(client):
    for target in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)", "/\\evil.example"):
        r = client.get("/preferences/text/large", query_string={"next": target})
        assert r.status_code == 303 and r.headers["Location"] == "/", target
    assert client.get("/preferences/text/huge").status_code == 404
    assert client.get("/preferences/colour/red").status_code == 404
    client.get("/preferences/text/normal?next=/")


def test_english_pages_mark_chinese_only_texts_with_their_language(client):
    form = client.get("/requests/new?lang=en").get_data(as_text=True)
    assert "（必填" not in form and "(required)" in form
    assert '<option value="finance" lang="zh-CN">示例市财政局</option>' in form  # no English name
    assert "Example City People&#39;s Government</option>" in form  # 'city' has name_en
    page = client.get("/datasets/budget?lang=en").get_data(as_text=True)
    assert '<span lang="zh-CN">预算</span></a>' in page  # a keyword
