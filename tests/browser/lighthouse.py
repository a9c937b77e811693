"""Lighthouse (npm, pinned in package-lock.json) run against a URL with Debian's chromium.

Lighthouse 12.2.3 is the last release that runs on Node 20 (13 wants Node 22). It starts chromium
itself (CHROME_PATH) with a new temporary profile and the flags browser tests use.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from pathlib import Path

from tests.browser.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT

LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"


def lighthouse_report(url: str, categories: tuple[str, ...] = ("performance", "accessibility"), *,
                      desktop: bool = False, timeout: float = 180) -> dict:
    """Lighthouse's JSON report of one URL (mobile emulation with simulated throttling unless desktop)."""
    if not LIGHTHOUSE.exists():
        raise AssertionError(f"{LIGHTHOUSE} is missing: run `npm ci` (make test does)")
    with tempfile.TemporaryDirectory(prefix="lighthouse-") as tmp:
        out = Path(tmp) / "report.json"
        command = [str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={out}",
                   f"--only-categories={','.join(categories)}",
                   f"--chrome-flags={' '.join(['--headless', *CHROMIUM_ARGS])}"]
        if desktop:
            command.append("--preset=desktop")
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True,
                              text=True, timeout=timeout, cwd=tmp)
        if done.returncode != 0 or not out.exists():
            raise AssertionError(f"lighthouse {url} failed ({done.returncode}): {done.stderr[-2000:]}")
        report = json.loads(out.read_text(encoding="utf-8"))
    if report.get("runtimeError"):
        raise AssertionError(f"lighthouse {url}: {report['runtimeError']}")
    return report


def scores(report: dict) -> dict[str, int]:
    """Category scores out of 100."""
    return {name: round(category["score"] * 100) for name, category in report["categories"].items()}


def failed_audits(report: dict, category: str) -> list[str]:
    """The audits of a category that did not pass, with their titles (for a readable failure)."""
    ids = [ref["id"] for ref in report["categories"][category]["auditRefs"] if ref["weight"] > 0]
    return [f"{i}: {report['audits'][i]['title']}" for i in ids
            if report["audits"][i]["score"] is not None and report["audits"][i]["score"] < 1]
