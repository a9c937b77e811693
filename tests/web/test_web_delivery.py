"""How pages travel: gzip for browsers that take it, the stylesheet cached for a year under a versioned URL."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import opendata.web

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
CSS = Path(opendata.web.__file__).parent / "static" / "portal.css"


def test_a_dataset_page_is_gzipped_for_a_browser_and_reads_the_same(client):
    plain = client.get("/datasets/budget")
    packed = client.get("/datasets/budget", headers=GZIP)
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"] and "Accept-Encoding" in plain.headers["Vary"]
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) < len(plain.get_data()) / 3


def test_the_api_and_files_keep_their_bytes(client):
    api = client.get("/api/v1/datasets/budget", headers=GZIP)
    assert api.status_code == 200 and "Content-Encoding" not in api.headers
    feed = client.get("/catalog.ttl", headers=GZIP)
    assert "Content-Encoding" not in feed.headers


def test_the_stylesheet_url_names_its_content_and_is_kept_for_a_year(client):
    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="stylesheet" href="([^"]+)"', page).group(1)
    assert href == f"/assets/portal.css?v={hashlib.sha256(CSS.read_bytes()).hexdigest()[:12]}"
    kept = client.get(href, headers=GZIP)
    assert kept.status_code == 200 and kept.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert gzip.decompress(kept.get_data()) == CSS.read_bytes()
    stale = client.get("/assets/portal.css?v=000000000000")  # an old page's link: revalidated, not kept
    assert "immutable" not in stale.headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/assets/portal.css").headers.get("Cache-Control", "")
