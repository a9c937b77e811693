"""The portal's message catalogues: every message of the templates and code has a Chinese translation,
the compiled .mo is the .po, and no English is left on a Chinese page."""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

WEB = Path(__file__).resolve().parents[2] / "opendata" / "web"
PO = WEB / "translations" / "zh" / "LC_MESSAGES" / "messages.po"
METHODS = [("**.py", "python"), ("**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "N_": None}
CONSOLE = ("console/", "templates/console/")  # the department console has its own catalogue (tests/web/console)


def _extracted() -> set[str]:
    return {msg if isinstance(msg, str) else msg[0]
            for name, _l, msg, _c, _x in extract_from_dir(str(WEB), METHODS, keywords=KEYWORDS)
            if not name.replace("\\", "/").startswith(CONSOLE)}


def test_every_message_has_a_chinese_translation():
    catalog = read_po(PO.open("rb"))
    translated = {m.id for m in catalog if m.id and m.string}
    assert _extracted() - translated == set()


def test_the_compiled_catalogue_matches_the_po_file():
    po = {m.id: m.string for m in read_po(PO.open("rb")) if m.id}
    mo = {m.id: m.string for m in read_mo(io.BytesIO(PO.with_suffix(".mo").read_bytes())) if m.id}
    assert mo == po, "run: pybabel compile -d opendata/web/translations"


def test_a_chinese_page_shows_no_untranslated_interface_text(client):
    html = client.get("/datasets/budget").get_data(as_text=True)
    for english in ("Data preview", "Downloads", "Skip to content", "Versions, newest first", "Fields of"):
        assert english not in html, english
