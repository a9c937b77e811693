"""The range of stored integer keys and sequence numbers, the same on every supported database."""

from __future__ import annotations

# PostgreSQL's `integer` (the Integer columns: ids, version numbers, change sequence numbers) is 32-bit;
# SQLite's is 64-bit. A larger number names no stored row on either, and must not reach a query:
# PostgreSQL refuses it ("integer out of range") instead of matching nothing.
KEY_MAX = 2**31 - 1
