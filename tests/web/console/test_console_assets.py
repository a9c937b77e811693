"""The upload page's tus client is npm's tus-js-client, copied unchanged and served by the app itself
(the Content-Security-Policy allows scripts from 'self' only: no CDN, no inline script)."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
VENDOR = ROOT / "opendata" / "web" / "static" / "console" / "vendor"
NPM = ROOT / "node_modules" / "tus-js-client"


def test_the_served_tus_client_is_the_npm_package_pinned_by_the_lock_file():
    pinned = json.loads((ROOT / "package.json").read_text())["dependencies"]["tus-js-client"]
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]["node_modules/tus-js-client"]
    installed = json.loads((NPM / "package.json").read_text())["version"]
    assert pinned == locked["version"] == installed, "run: npm ci"
    assert (VENDOR / "tus.min.js").read_bytes() == (NPM / "dist" / "tus.min.js").read_bytes(), (
        "copy node_modules/tus-js-client/dist/tus.min.js to opendata/web/static/console/vendor/")
    assert (VENDOR / "tus-js-client-LICENSE.txt").read_bytes() == (NPM / "LICENSE").read_bytes()


def test_the_app_serves_the_client_under_a_policy_allowing_only_its_own_scripts(browser_client):
    served = browser_client.get("/assets/console/vendor/tus.min.js")
    assert served.status_code == 200 and served.data == (VENDOR / "tus.min.js").read_bytes()
    assert "javascript" in served.headers["Content-Type"]
    policy = dict(d.strip().split(" ", 1) for d in
                  browser_client.get("/console/sign-in").headers["Content-Security-Policy"].split(";"))
    assert policy.get("script-src", policy["default-src"]) == "'self'"  # scripts from the app's origin only
