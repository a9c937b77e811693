"""Refuse JSON request bodies that hold unpaired surrogates (``"\\ud800"``), before any view reads them.

JSON may escape a lone UTF-16 surrogate, and Python's parser accepts it, but such a string is no
Unicode text: it cannot be stored (SQLite and PostgreSQL take UTF-8), written to a file or sent
back, so it would fail deep inside a use case with a 500. The other characters text may not
hold (control characters) are refused by the use cases, field by field (core/textcheck.py).
"""

from __future__ import annotations

import json
import re
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import BadRequest

# a \uD800-\uDFFF escape: only bodies that hold one are parsed here (cheap for all others)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _first_unpaired(value: Any, path: str) -> str | None:
    if isinstance(value, str):
        return path if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _first_unpaired(key, f"{path}/{_safe(key)}") or _first_unpaired(item, f"{path}/{_safe(key)}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            if found := _first_unpaired(item, f"{path}/{i}"):
                return found
    return None


def _safe(key: str) -> str:
    return key.encode("utf-8", "backslashreplace").decode("utf-8")


def init_app(app: Flask) -> None:
    """Check every JSON body once, before the views (and their argument parsers) see it."""

    @app.before_request
    def _refuse_unpaired_surrogates():
        if not request.is_json:
            return None
        body = request.get_data(cache=True)  # the views read the same cached bytes
        if not _SURROGATE_ESCAPE.search(body):
            return None
        try:
            doc = json.loads(body)
        except ValueError:
            return None  # malformed JSON: the view's parser answers it as usual
        where = _first_unpaired(doc, "")
        if where is not None:
            raise BadRequest(f"the JSON body holds an unpaired surrogate escape (\\uD800-\\uDFFF) at "
                             f"'{where or '/'}': text must be valid Unicode")
        return None
