"""Escapes for stored text leaving the platform in formats with strict grammars.

Values are checked on the way in (:mod:`opendata.core.textcheck`), but a database may hold
values stored before those checks, or written by other tools; every outward format must still
parse. XML 1.0 (Atom feeds, the sitemap, XLSX) cannot hold most control characters at all, not
even as character references, and HTML forbids them, so they are replaced by U+FFFD; IRIs in RDF and feeds are
percent-encoded where a character may not appear; a language tag that is not one falls back.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"
# Outside XML 1.0's Char production: C0 controls but tab, LF and CR; surrogates; U+FFFE, U+FFFF.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# HTML forbids the C0 controls but whitespace, DEL, the C1 controls and noncharacters.
_NOT_HTML = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# What an IRI may not hold anywhere (RFC 3987): controls, space, <>"{}|\^` and what is no character.
_NOT_IN_IRI = re.compile(r"[\x00-\x20<>\"{}|\\^`\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
# In a mailto: address also '%', '?' and '#', which would start an escape, headers or a fragment.
_NOT_IN_MAILTO = re.compile(r"[%?#\x00-\x20<>\"{}|\\^`\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")


def xml_text(value: object) -> str:
    """``value`` as text XML 1.0 can hold: characters it cannot are replaced by U+FFFD."""
    return _NOT_XML.sub(REPLACEMENT, str(value))


def _percent(found: re.Match) -> str:
    return "".join(f"%{b:02X}" for b in found.group().encode("utf-8", "surrogatepass"))


def html_text(value: object) -> object:
    """Text as HTML may hold it (no control characters but whitespace, no noncharacters), for
    Jinja's ``finalize``; other values, and markup already made safe (a str subclass), pass
    through untouched."""
    return _NOT_HTML.sub(REPLACEMENT, value) if type(value) is str else value


def iri(value: str) -> str:
    """``value`` as a valid IRI: characters an IRI may not hold are percent-encoded (UTF-8), the
    rest (including non-ASCII letters and existing escapes) is kept."""
    return _NOT_IN_IRI.sub(_percent, value)


def mailto_iri(email: str) -> str:
    """A ``mailto:`` IRI for an address, percent-encoding what may not appear in one (RFC 6068)."""
    return "mailto:" + _NOT_IN_MAILTO.sub(_percent, email)


def tel_iri(phone: str) -> str | None:
    """A ``tel:`` IRI of the phone number's digits and '+', or None when it has no digit."""
    digits = re.sub(r"[^0-9+]", "", phone)
    return f"tel:{digits}" if any(c.isdigit() for c in digits) else None


def language_tag(value: str, default: str = "zh") -> str:
    """``value`` when it is a BCP 47 language tag, else ``default`` (RDF refuses a malformed tag)."""
    return value if _LANGUAGE.fullmatch(value or "") else default
