"""Service errors shown inline on a console form, in the reader's language.

A service's ValidationError names each problem's field (``path``) and its ``code``; the form puts
the problem under that field. Codes with a sentence of their own in the console's catalogue are
shown in the reader's language; the rest keep the service's own (English) message, still under the
field it names.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from opendata.core.errors import OpendataError

MESSAGES = {
    "wrong-password": _l("The current password is not right."),
    "password-mismatch": _l("The two new passwords differ."),
    "password-unchanged": _l("The new password must differ from the current one."),
    "password-too-short": _l("A password needs at least 12 characters."),
    "duplicate": _l("This value is already used by another dataset or schema."),
}
# the service's field names, where the form calls them otherwise
ALIASES: dict[str, str] = {}


def problem_text(code: str, message: str) -> str:
    """The reader's-language sentence for a problem code, else the service's message."""
    known = MESSAGES.get(code)
    return str(known) if known is not None else message


def attach_problems(form: FlaskForm, exc: OpendataError, aliases: dict[str, str] | None = None) -> None:
    """Put each problem of ``exc`` under the form field it names (or above the form when it names none)."""
    aliases = {**ALIASES, **(aliases or {})}
    problems = exc.problems or []
    if not problems:
        form.form_errors.append(problem_text(exc.code, exc.message))
        return
    for problem in problems:
        path = problem.path or ""
        head = path.split("/")[0]
        name = aliases.get(path) or aliases.get(head) or head
        text = problem_text(problem.code, problem.message)
        field = form._fields.get(name) if name else None  # noqa: SLF001 (WTForms' field table)
        if field is not None and field.name != "csrf_token":
            if not isinstance(field.errors, list):
                field.errors = list(field.errors)
            field.errors.append(text)
        else:
            form.form_errors.append(text)
