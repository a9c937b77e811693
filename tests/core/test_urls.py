"""The one URL builder (opendata.core.urls.Links): every shape from one base, quoted, or site-relative."""

from __future__ import annotations

from opendata.core.urls import SITE, Links


def test_every_link_starts_with_the_one_base_and_has_no_double_slash():
    links = Links("https://data.example.gov.cn/")
    made = [links.dataset_page("a b"), links.dataset_api("x"), links.version_api("x", 3),
            links.download("x", "csv"), links.download("x", "csv-excel", 2), links.download("x", "parquet"),
            links.rows("x"), links.rows("x", 2), links.datapackage("x"), links.schema_org("x"),
            links.organization("org"), links.job("u1"), links.tus_upload("x", "u1"), links.datasets_feed(),
            links.bulk("all.zip")]
    assert all(u.startswith("https://data.example.gov.cn/") and "//" not in u[8:] for u in made)


def test_download_and_rows_links_name_the_version_when_given():
    links = Links("http://h")
    assert links.download("budget", "csv-excel") == "http://h/api/v1/datasets/budget/download.excel.csv"
    assert links.download("budget", "parquet", 4) == "http://h/api/v1/datasets/budget/versions/4/download.parquet"
    assert links.rows("budget", 4) == "http://h/api/v1/datasets/budget/versions/4/rows"


def test_identifiers_are_quoted_and_the_empty_base_gives_site_relative_links():
    assert SITE.dataset_page("预算 2024") == "/datasets/%E9%A2%84%E7%AE%97%202024"
    assert SITE.job("abc") == "/api/v1/jobs/abc"
