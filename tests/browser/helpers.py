"""What browser tests check in a page: axe-core, horizontal scroll, focus, screenshots, the keyboard.

Shared by every browser test (the portal, the department console, the disclosure-request pages);
docs/dev/browser-tests.md says how to use them. Everything runs in Debian's chromium through
Playwright, with the page's own Content-Security-Policy in force.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Page

ROOT = Path(__file__).resolve().parents[2]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = os.environ.get("OPENDATA_CHROMIUM", "/usr/bin/chromium")
# --headless comes from Playwright; Playwright also gives each browser a new empty profile directory.
# Without the background-networking flags chromium keeps calling Google's services, and on a machine
# with no outside network those connections are refused and slow every start.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
WIDTHS = (1280, 390)  # a desktop window and a phone; narrow layouts are also checked at 320
SCREENSHOTS = Path(os.environ.get("OPENDATA_SCREENSHOTS", ROOT / "build" / "screenshots"))


@dataclass(frozen=True)
class Focused:
    """The element that has the keyboard focus."""

    tag: str
    text: str
    href: str | None
    outline: bool  # a visible focus indicator (outline or box-shadow)


def axe_violations(page: Page, *, tags: list[str] | None = None) -> list[dict]:
    """Run axe-core (from node_modules) in the page for WCAG 2.2 A/AA; its violations, as axe reports them."""
    if not AXE_JS.exists():
        raise AssertionError(f"{AXE_JS} is missing: run `npm ci` (make test does)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        # evaluated through the DevTools protocol, which the page's CSP does not apply to
        page.evaluate(AXE_JS.read_text(encoding="utf-8"))
    result = page.evaluate("(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})",
                           tags or WCAG_TAGS)
    return result["violations"]


def format_violations(violations: list[dict]) -> str:
    """One line per failing node: rule, impact, selector and axe's summary."""
    lines = []
    for v in violations:
        for node in v["nodes"]:
            lines.append(f"{v['id']} ({v['impact']}): {node['target']} {node.get('failureSummary', '')!r}")
    return "\n".join(lines)


def assert_no_axe_violations(page: Page) -> None:
    """Fail with every violation listed when axe-core finds any."""
    violations = axe_violations(page)
    assert not violations, f"axe-core on {page.url}:\n{format_violations(violations)}"


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the viewport (0 when it does not scroll sideways)."""
    return page.evaluate("() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
                         " - document.documentElement.clientWidth")


def assert_no_horizontal_scroll(page: Page) -> None:
    """Fail naming the widest elements when the page scrolls sideways."""
    overflow = horizontal_overflow(page)
    if overflow > 0:
        culprits = page.evaluate("""() => [...document.querySelectorAll('body *')]
            .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 0.5)
            .slice(0, 8).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '')
                                  + ' right=' + Math.round(e.getBoundingClientRect().right))""")
        raise AssertionError(f"{page.url} scrolls sideways by {overflow}px at width "
                             f"{page.viewport_size['width']}: {culprits}")


def small_targets(page: Page, minimum: int = 44) -> list[str]:
    """Links, buttons and form controls smaller than minimum x minimum CSS px (WCAG 2.5.5's AAA size).

    Links inside running text (a paragraph, a table cell, a definition) are exempt, as WCAG exempts
    them; so are hidden elements. A control wrapped in its <label> is measured with the label, which
    activates it too.
    """
    return page.evaluate("""(minimum) => [...document.querySelectorAll(
            'a[href], button, input:not([type=hidden]), select, textarea, summary')]
        .filter(e => e.offsetParent !== null && !e.closest('p, td, dd, figcaption'))
        .map(e => [e, (e.tagName === 'INPUT' && e.closest('label')) || e])  // a wrapping label is the target
        .filter(([e, t]) => { const r = t.getBoundingClientRect(); return r.width < minimum || r.height < minimum; })
        .map(([e, t]) => { const r = t.getBoundingClientRect();
                    return `${e.tagName.toLowerCase()} "${(e.innerText || e.value || e.name || '').trim()
                        .slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`; })""", minimum)


def focused(page: Page) -> Focused:
    """The focused element: tag, text, href and whether a focus indicator is drawn."""
    info = page.evaluate("""() => { const e = document.activeElement; const s = getComputedStyle(e);
        return {tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || e.getAttribute('aria-label')
                || '').trim(), href: e.getAttribute('href'),
                outline: (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2)
                         || s.boxShadow !== 'none'}; }""")
    return Focused(**info)


def tab_to(page: Page, matches: Callable[[Focused], bool] | str, *, limit: int = 150,
           backwards: bool = False) -> Focused:
    """Press Tab (Shift+Tab when backwards) until the focused element matches; fail after ``limit`` presses.

    ``matches`` is a predicate on :class:`Focused` or a regular expression searched in the element's
    text (or href). Every element passed on the way must show a focus indicator.
    """
    if isinstance(matches, str):
        pattern = re.compile(matches)

        def matches(f: Focused, _p=pattern) -> bool:
            return bool(_p.search(f.text) or (f.href and _p.search(f.href)))

    seen = []
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if now.tag != "body":
            assert now.outline, f"no visible focus indicator on {now} at {page.url}"
        if matches(now):
            return now
        seen.append(now.text[:20] or now.tag)
    raise AssertionError(f"{limit} presses of Tab on {page.url} never reached the element; passed: {seen}")


def activate(page: Page, key: str = "Enter", *, navigates: bool = True) -> None:
    """Press Enter (or Space) on the focused element; with ``navigates``, wait for the page it opens."""
    if navigates:
        with page.expect_navigation():
            page.keyboard.press(key)
    else:
        page.keyboard.press(key)


def shoot(page: Page, name: str, folder: Path = SCREENSHOTS) -> Path:
    """A full-page screenshot as folder/name-<width>.png; returns its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}-{page.viewport_size['width']}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
