"""Check algorithms for Chinese codes: GB 32100, GB 11643, GB/T 2260, Luhn, mobile numbers."""

from __future__ import annotations

import re
from datetime import date

# GB 32100-2015 统一社会信用代码
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_CHARS)}
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# ASCII classes and fullmatch: \d would accept full-width digits and $ a trailing newline
_USCC_SHAPE = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")

# GB 11643-1999 公民身份号码 (ISO 7064 MOD 11-2)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")
_ID15_SHAPE = re.compile(r"[0-9]{15}")

_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_DIVISION = re.compile(r"[0-9]{6}([0-9]{3})?")


def uscc_check_char(first17: str) -> str | None:
    """Return the GB 32100 check character for the first 17 characters, or None if malformed."""
    if len(first17) != 17 or any(c not in _USCC_VALUE for c in first17):
        return None
    total = sum(_USCC_VALUE[c] * w for c, w in zip(first17, _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_uscc_shaped(code: str) -> bool:
    """True when ``code`` has the 18-character shape of a unified social credit code."""
    return bool(_USCC_SHAPE.fullmatch(code or ""))


def uscc_problem(code: str) -> str | None:
    """Why ``code`` is not shaped like a 统一社会信用代码 (length, which character), or None if it is.

    The check character is a separate question (:func:`is_valid_uscc`): real codes that fail it
    exist, so callers warn about it instead of refusing.
    """
    code = code or ""
    if len(code) != 18:
        return f"has {len(code)} characters; a 统一社会信用代码 (GB 32100) has 18"
    for i, ch in enumerate(code, start=1):
        if 3 <= i <= 8 and not ("0" <= ch <= "9"):
            return (f"character {i} is {_shown(ch)}; characters 3 to 8 are the registering authority's "
                    "GB/T 2260 division code and must be digits")
        if ch not in _USCC_VALUE:
            return (f"character {i} is {_shown(ch)}, which GB 32100 does not use "
                    "(allowed: digits and the capital letters A–Y except I, O, S, V and Z)")
    return None


def _shown(ch: str) -> str:
    """A character for a message: printable ones quoted, others by their code point."""
    return f"'{ch}'" if ch.isprintable() and not ch.isspace() else f"U+{ord(ch):04X}"


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is shaped right and its check character matches (GB 32100)."""
    code = (code or "").upper()
    return is_uscc_shaped(code) and uscc_check_char(code[:17]) == code[17]


def id_check_char(first17: str) -> str | None:
    """Return the GB 11643 check character (MOD 11-2) for 17 digits, or None if malformed."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        return None
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def id_birth_date(number: str) -> date | None:
    """Return the birth date encoded in an 18- or 15-digit ID number, or None if not a real date."""
    try:
        if len(number) == 18:
            return date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        if len(number) == 15:
            return date(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    except ValueError:
        return None
    return None


def id_number_problem(number: str, *, today: date | None = None) -> str | None:
    """Why ``number`` is not an 18-character 公民身份号码 (which character, the birth date, the check), or None."""
    number = number or ""
    if len(number) != 18:
        return f"has {len(number)} characters; a 公民身份号码 (GB 11643) has 18"
    for i, ch in enumerate(number, start=1):
        if i <= 17 and not ("0" <= ch <= "9"):
            return f"character {i} is {_shown(ch)}; the first 17 characters are digits"
        if i == 18 and ch not in "0123456789X":
            return f"character 18 is {_shown(ch)}; the check character is a digit or X"
    born = id_birth_date(number)
    if born is None:
        return "characters 7 to 14 are not a real date of birth (YYYYMMDD)"
    if not date(1880, 1, 1) <= born <= (today or date.today()):
        return "its date of birth is not between 1880-01-01 and today"
    expected = id_check_char(number[:17])
    if expected != number[17]:
        return f"its check character is {number[17]}, but the first 17 digits give {expected} (GB 11643 MOD 11-2)"
    return None


def is_valid_id_number(number: str, *, today: date | None = None) -> bool:
    """True for an 18-digit 身份证号 with a correct check character and a real, past birth date."""
    number = (number or "").upper()
    if not _ID_SHAPE.fullmatch(number) or id_check_char(number[:17]) != number[17]:
        return False
    born = id_birth_date(number)
    return born is not None and date(1880, 1, 1) <= born <= (today or date.today())


def luhn_check_digit(payload: str) -> str:
    """The Luhn check digit to append to a digit string (bank card numbers)."""
    total = 0
    for i, ch in enumerate(reversed(payload)):
        d = int(ch)
        if i % 2 == 0:  # doubled: every second digit counting from the check digit's left
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def is_luhn_valid(digits: str) -> bool:
    """True when a digit string passes the Luhn check (bank card numbers)."""
    if not digits or not digits.isascii() or not digits.isdigit():
        return False
    return luhn_check_digit(digits[:-1]) == digits[-1]


def is_mobile_number(number: str) -> bool:
    """True for a mainland mobile number: 1[3-9] followed by 9 digits."""
    return bool(_MOBILE.fullmatch(number or ""))


def is_division_code_shaped(code: str) -> bool:
    """True when ``code`` is 6 (GB/T 2260) or 9 (GB/T 10114 township) digits."""
    return bool(_DIVISION.fullmatch(code or ""))
