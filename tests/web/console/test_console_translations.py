"""The console's own message catalogue: every message of its code and templates has a Chinese
translation, the compiled .mo is the .po, and a Chinese console page shows no English interface text."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.web.console.conftest import sign_in_as

WEB = Path(__file__).resolve().parents[3] / "opendata" / "web"
PO = WEB / "console" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _extracted() -> set[str]:
    found = set()
    for folder in (WEB / "console", WEB / "templates" / "console"):
        for _f, _l, msg, _c, _x in extract_from_dir(str(folder), METHODS, keywords=KEYWORDS):
            found.add(msg if isinstance(msg, str) else msg[0])
    return found


def test_every_console_message_has_a_chinese_translation():
    catalog = read_po(PO.open("rb"))
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id and m.string
                  and all(m.string if isinstance(m.string, tuple) else [m.string])}
    assert _extracted() - translated == set()


def test_the_compiled_console_catalogue_matches_the_po_file():
    def plain(value):  # plural messages come back as lists from one reader and tuples from the other
        return tuple(value) if isinstance(value, (list, tuple)) else value

    po = {plain(m.id): plain(m.string) for m in read_po(PO.open("rb")) if m.id}
    mo = {plain(m.id): plain(m.string) for m in read_mo(io.BytesIO(PO.with_suffix(".mo").read_bytes())) if m.id}
    assert mo == po, "run: pybabel compile -d opendata/web/console/translations"


def test_a_chinese_console_page_shows_no_untranslated_interface_text(browser_client):
    sign_in_as(browser_client, "finclerk")
    html = browser_client.get("/console/account/tokens", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "接口令牌" in html and "退出登录" in html
    for english in ("API tokens", "Sign out", "Create the token", "Your tokens", "Department console"):
        assert english not in html, english
