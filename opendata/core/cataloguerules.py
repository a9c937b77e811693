"""Rules that tie catalogue entries together: catalogue code format and organization placement.

A catalogue code (信息资源代码) is ``<publisher code>/<sequence>``: the publisher's code, a
slash, and a sequence number of digits (``002547122/00001``), optionally in two groups joined
by a hyphen as in index numbers (``002547122/202410-00013``). The publisher code is one the
publishing organization holds: its 9-character organization code (GB 11714, characters 9 to 17
of its 统一社会信用代码), its whole credit code, or its division code (GB/T 2260).

An organization's level must be the level of its division code, and a parent must enclose its
child: the parent's level at or above the child's, and the child's division inside (or equal to)
the parent's. A province cannot sit under a township, nor Beijing's 东城区 under a city of
another province.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from opendata.core import divisions

CODE_FORMAT = "<publisher code>/<sequence>"
LEVEL_RANK = {"province": 0, "city": 1, "county": 2, "township": 3}
_CODE = re.compile(r"(?P<prefix>[0-9A-Z]{6,18})/(?P<sequence>[0-9]{1,12}(?:-[0-9]{1,12})?)")


def publisher_codes(*, credit_code: str | None, division_code: str | None) -> tuple[str, ...]:
    """The codes a publisher's catalogue codes may start with: organization code, credit code, division code."""
    out: list[str] = []
    if credit_code and len(credit_code) == 18:
        out += [credit_code[8:17], credit_code]
    if division_code:
        out.append(division_code)
    return tuple(dict.fromkeys(out))


def catalogue_code_problem(code: str, *, publisher: str | None = None,
                           prefixes: Sequence[str] = ()) -> str | None:
    """Why ``code`` is not a catalogue code of ``publisher`` (format, then prefix), or None."""
    example = f"{prefixes[0]}/00001" if prefixes else "002547122/00001"
    found = _CODE.fullmatch(code or "")
    if found is None:
        return (f"catalogue code '{_printable(code)}' is not {CODE_FORMAT}: the publisher's code "
                f"(capital letters and digits), '/', then a sequence of digits, e.g. '{example}'")
    if prefixes and found["prefix"] not in prefixes:
        return (f"catalogue code '{code}' starts with '{found['prefix']}', which is not a code of publisher "
                f"'{publisher}' (use {' or '.join(repr(p) for p in prefixes)}, e.g. '{example}')")
    return None


def level_problem(level: str, division_code: str) -> str | None:
    """Why an organization of ``level`` cannot have ``division_code``, or None."""
    actual = divisions.division_level(division_code)
    if actual is None or actual == level:
        return None
    return (f"level '{level}' does not match division code {division_code} ({_place(division_code)}), "
            f"which is a {actual}-level code")


def parent_problem(*, level: str, division_code: str, parent: str, parent_level: str,
                   parent_division: str) -> str | None:
    """Why an organization cannot sit under ``parent`` (level above, division inside), or None."""
    if LEVEL_RANK.get(parent_level, 0) > LEVEL_RANK.get(level, 0):
        return (f"a {level}-level organization cannot sit under '{parent}', "
                f"which is {parent_level}-level")
    if not divisions.is_known_division(division_code) or not divisions.is_known_division(parent_division):
        return None  # an unknown code is reported on its own
    if parent_division not in _enclosing(division_code):
        return (f"division code {division_code} ({_place(division_code)}) is not within {parent_division} "
                f"({_place(parent_division)}), the division of parent '{parent}'")
    return None


def _enclosing(code: str) -> set[str]:
    out, cur = set(), code
    while cur is not None:
        out.add(cur)
        cur = divisions.division_parent(cur)
    return out


def _place(code: str) -> str:
    if len(code) == 9:
        county = divisions.division_full_name(code[:6]) or code[:6]
        return f"a {divisions.township_kind(code) or 'township'} of {county}"
    return divisions.division_full_name(code) or "unnamed"


def _printable(text: str) -> str:
    return "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text or "")
