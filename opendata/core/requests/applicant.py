"""Who asks and how to reach them: tracking codes, contacts, identity documents and their masks.

The tracking code is the applicant's key to a request without an account: 16 characters from an
alphabet without look-alikes (no 0/O, 1/I/L), about 79 random bits, shown in groups of four.
Contacts are normalised before they are compared (e-mail case-insensitively, phone numbers by
their digits), so the status page accepts what the applicant typed in the form.
"""

from __future__ import annotations

import re
import secrets
import unicodedata

from opendata.core.codes import id_number_problem, is_valid_uscc, uscc_problem
from opendata.core.errors import Problem, ValidationError, Warnings
from opendata.core.textcheck import email_problem, shown, text_problem

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 16
_PHONE_CHARS = re.compile(r"^\+?[0-9 ()\-]{5,30}$")


def new_tracking_code() -> str:
    """A fresh, unguessable tracking code (canonical form: 16 characters, no separators)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalize_tracking_code(text: str | None) -> str | None:
    """The canonical code of what someone typed (spaces, dashes and case ignored), or None."""
    if not isinstance(text, str) or len(text) > 64:
        return None
    code = re.sub(r"[\s\-]", "", unicodedata.normalize("NFKC", text)).upper()
    if len(code) != CODE_LENGTH or any(c not in CODE_ALPHABET for c in code):
        return None
    return code


def format_tracking_code(code: str) -> str:
    """XXXX-XXXX-XXXX-XXXX, as shown to people."""
    return "-".join(code[i:i + 4] for i in range(0, len(code), 4))


def normalize_email(text: str) -> str:
    """The e-mail address as compared: trimmed, NFKC, lower-case."""
    return unicodedata.normalize("NFKC", text).strip().lower()


def normalize_phone(text: str) -> str:
    """The phone number as compared: its digits only (full-width digits folded), '+' kept in front."""
    folded = unicodedata.normalize("NFKC", text).strip()
    digits = "".join(c for c in folded if c.isdigit())
    return ("+" if folded.startswith("+") else "") + digits


def contact_keys(*, email: str | None, phone: str | None) -> list[str]:
    """The normalised forms a status lookup may match: 'email:…' and 'phone:…'."""
    keys = []
    if email:
        keys.append("email:" + normalize_email(email))
    if phone:
        keys.append("phone:" + normalize_phone(phone))
    return keys


def lookup_key(contact: str) -> str:
    """What the applicant typed on the status page, in the form of :func:`contact_keys`."""
    text = unicodedata.normalize("NFKC", contact or "").strip()
    return "email:" + normalize_email(text) if "@" in text else "phone:" + normalize_phone(text)


def check_email(text: str, path: str = "email") -> str:
    """An e-mail address, trimmed; ValidationError naming ``path`` otherwise (the catalogue's one rule:
    :func:`opendata.core.textcheck.email_problem`, with the bidirectional controls refused as well)."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    problem = text_problem(value, bidi=False) or email_problem(value)
    if problem is not None:
        raise invalid(path, f"{path} {shown(text[:80])!r} {problem}")
    return value


def check_phone(text: str, path: str = "phone") -> str:
    """A plausible telephone number (5 to 20 digits, with + ( ) - and spaces), trimmed."""
    value = unicodedata.normalize("NFKC", text or "").strip()
    digits = sum(c.isdigit() for c in value)
    if not _PHONE_CHARS.match(value) or not 5 <= digits <= 20:
        raise invalid(path, f"{text[:40]!r} is not a telephone number")
    return value


def check_text(value: object, path: str, *, required: bool, max_length: int, multiline: bool = False) -> str | None:
    """Trimmed text of at most ``max_length`` characters, without control characters."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise invalid(path, f"{path} is required", "required")
        return None
    if not isinstance(value, str):
        raise invalid(path, f"{path} must be text")
    text = value.replace("\r\n", "\n").strip()
    if len(text) > max_length:
        raise invalid(path, f"{path} has {len(text)} characters; at most {max_length} are accepted", "too-long")
    # the catalogue's rule for control characters (opendata.core.textcheck), and no bidirectional
    # controls: staff must read a request as it was stored
    if (problem := text_problem(text, multiline=multiline, bidi=False)) is not None:
        raise invalid(path, f"{path} {problem}", "control-character")
    return text


def check_id_number(id_type: str, number: str, warnings: Warnings | None = None) -> str:
    """An identity-document number, checked where a check algorithm exists.

    居民身份证: 18 characters with a valid GB 11643 check character and a real birth date (refused
    otherwise). 统一社会信用代码: the GB 32100 shape is required; a failing check character only
    warns, since some real codes fail it. Other documents: 3 to 40 letters and digits.
    """
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", number or "")).upper()
    if id_type == "resident-id":
        if (problem := id_number_problem(value)) is not None:
            raise invalid("id_number", f"the identity card number {problem}", "invalid-id-number")
    elif id_type == "credit-code":
        if (problem := uscc_problem(value)) is not None:
            raise invalid("id_number", f"the unified social credit code {problem}", "invalid-credit-code")
        if not is_valid_uscc(value) and warnings is not None:
            warnings.add("credit-code-check", "the credit code's check character does not match; kept for review",
                         path="id_number")
    elif not re.fullmatch(r"[A-Z0-9\-]{3,40}", value):
        raise invalid("id_number", "a document number has 3 to 40 letters, digits or '-'", "invalid-id-number")
    return value


def mask_id_number(number: str | None) -> str | None:
    """An identity number as staff listings show it: the first and last character only."""
    if not number:
        return None
    if len(number) <= 4:
        return "*" * len(number)
    return number[0] + "*" * (len(number) - 2) + number[-1]


def invalid(path: str, message: str, code: str = "invalid") -> ValidationError:
    """A ValidationError naming one field."""
    return ValidationError(message, problems=[Problem(code, message, path=path)])
