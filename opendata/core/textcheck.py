"""Checks on text entering the catalogue: control characters, e-mail addresses, URLs, language tags.

Every value stored in the catalogue ends up in formats with strict grammars (XML 1.0, Turtle
IRIs, HTTP headers, spreadsheets), so it is checked on the way in, wherever it comes from
(catalog.yaml, the registration API, the command line), and each problem is a sentence that
says which character is wrong and where. The outward formats escape as well (see
:mod:`opendata.core.escaping`), for values stored before these checks existed.

Refused in all text: C0 control characters except tab (and line breaks where several lines are
allowed), DEL, C1 control characters (U+0080 to U+009F), unpaired surrogates and the
noncharacters U+FFFE and U+FFFF; none of them can be written in XML 1.0 and none has a use in
catalogue text. Single-line fields (titles, names, keywords, codes, contact fields) refuse line
breaks (CR, LF, U+2028, U+2029) too.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from opendata.core.errors import Problem, ValidationError

_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_FORBIDDEN_ONE_LINE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_NAMES = {" ": "space", "\t": "tab", "\n": "line feed", "\r": "carriage return", "\x00": "NUL", "\x7f": "DEL",
          "\u2028": "line separator", "\u2029": "paragraph separator"}
# characters an IRI may not hold anywhere (RFC 3987), besides controls and spaces
_NOT_IN_IRI = re.compile(r"[\s<>\"{}|\\^`\x00-\x1f\x7f-\x9f]")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*")
MAX_EMAIL = 254


def describe_character(ch: str) -> str:
    """``U+0001`` with a name where one helps (``U+000A (line feed)``)."""
    name = _NAMES.get(ch)
    if 0xD800 <= ord(ch) <= 0xDFFF:
        name = "unpaired surrogate"
    elif name is None and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F):
        name = "control character"
    elif name is None and _BIDI.match(ch):
        name = "bidirectional control"
    return f"U+{ord(ch):04X}" + (f" ({name})" if name else "")


def shown(value: str) -> str:
    """``value`` for a message: characters that would disturb a terminal or a log written as ``\\uXXXX``."""
    return "".join(ch if ch.isprintable() or ch == " " else f"\\u{ord(ch):04x}" for ch in value)


def text_problem(value: str, *, multiline: bool = False, bidi: bool = True) -> str | None:
    """Why ``value`` cannot be stored as catalogue text (which character, where), or None.

    ``bidi=False`` also refuses the bidirectional embeddings, overrides and isolates (U+202A-U+202E,
    U+2066-U+2069): for text a person must read as it is stored and act on (a request for
    disclosure's subject, an applicant's name), where they would make it read differently.
    """
    found = (_FORBIDDEN if multiline else _FORBIDDEN_ONE_LINE).search(value) or (
        None if bidi else _BIDI.search(value))
    if found is None:
        return None
    where = found.start() + 1
    kind = ("a line break" if found.group() in "\n\r\u2028\u2029" else
            "a bidirectional control" if _BIDI.match(found.group()) else "a character that cannot be stored")
    return f"holds {kind}, {describe_character(found.group())}, at character {where}"


def require_text(value: str | None, field: str, *, multiline: bool = False) -> None:
    """Raise ValidationError naming ``field`` when ``value`` holds a character text may not."""
    if value is not None and (problem := text_problem(value, multiline=multiline)) is not None:
        raise ValidationError(f"invalid {field}: it {problem}",
                              problems=[Problem("invalid-text", f"'{field}' {problem}", path=field)])


def require_email(value: str | None, field: str = "email") -> None:
    """Raise ValidationError naming ``field`` when ``value`` is not an e-mail address."""
    if value is not None and (problem := email_problem(value)) is not None:
        raise ValidationError(f"invalid {field}: it {problem}",
                              problems=[Problem("invalid-email", f"'{field}' {problem}", path=field)])


def email_problem(value: str) -> str | None:
    """Why ``value`` is not an e-mail address (as its validator explains), or None."""
    if (problem := text_problem(value)) is not None:
        return problem
    if len(value) > MAX_EMAIL:
        return f"is {len(value)} characters long; an e-mail address has at most {MAX_EMAIL}"
    # imported here: loading a Table Schema (opendata validate) checks text but no address
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)  # syntax only: no DNS look-up at sync time
    except EmailNotValidError as exc:
        return f"is not an e-mail address: {exc}"
    return None


def url_problem(value: str) -> str | None:
    """Why ``value`` is not an absolute http(s) URL that every format can carry, or None."""
    if (problem := text_problem(value)) is not None:
        return problem
    if (bad := _NOT_IN_IRI.search(value)) is not None:
        return (f"is not a URL: it holds {describe_character(bad.group())} at character {bad.start() + 1} "
                "(percent-encode it, e.g. %20 for a space)")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError as exc:
        return f"is not a URL: {exc}"
    if parts.scheme.lower() not in ("http", "https"):
        return "is not a URL: it must start with http:// or https://"
    if not parts.hostname:
        return "is not a URL: it names no host (e.g. https://data.example.gov.cn/)"
    return None


def language_problem(value: str) -> str | None:
    """Why ``value`` is not a BCP 47 language tag such as ``zh`` or ``zh-Hans``, or None."""
    if _LANGUAGE.fullmatch(value):
        return None
    return "is not a language tag (BCP 47, e.g. zh, en or zh-Hans)"
