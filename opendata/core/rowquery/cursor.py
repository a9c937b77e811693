"""Opaque, signed keyset cursors: base64url JSON plus an HMAC, pinned to one version.

A cursor carries the version id, a digest of the query's filters and sort (so it cannot be
replayed against another query), the last row's sort-key values as text and its row id.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import json
from decimal import Decimal
from typing import Any

from opendata.core.errors import Problem, ValidationError

_MAC_BYTES = 16


def value_to_text(value: Any) -> str | None:
    """Text that ``params.converter`` turns back into exactly ``value``."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (dt.date, dt.time, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (int, Decimal, str)):
        return str(value)
    return str(value)


def encode_cursor(payload: dict[str, Any], key: bytes) -> str:
    """Sign and encode a cursor payload (JSON-ready values only)."""
    body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()
    mac = hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(mac + body).rstrip(b"=").decode("ascii")


def decode_cursor(token: str, key: bytes, *, param: str = "next") -> dict[str, Any]:
    """The payload of a cursor made by ``encode_cursor``; a forged or damaged one is rejected."""
    def reject(reason: str) -> ValidationError:
        return ValidationError(f"invalid '{param}' cursor",
                               problems=[Problem("invalid-cursor", f"the '{param}' cursor {reason}", path=param)])

    if len(token) > 8192:
        raise reject("is too long")
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        raise reject("is not valid base64url") from None
    mac, body = raw[:_MAC_BYTES], raw[_MAC_BYTES:]
    if len(mac) < _MAC_BYTES or not hmac.compare_digest(mac, hmac.new(key, body, hashlib.sha256).digest()[:_MAC_BYTES]):
        raise reject("has a bad signature (it was changed or made elsewhere)")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise reject("is damaged") from None
    if not isinstance(payload, dict):
        raise reject("is damaged")
    return payload


def query_digest(parts: Any) -> str:
    """A short digest of the query parts a cursor must be used with."""
    text = json.dumps(parts, separators=(",", ":"), ensure_ascii=False, sort_keys=True, default=value_to_text)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
