"""The annual report as one JSON document: what is published, hashed, and drawn as XLSX and DOCX.

The document holds the organisation, the year, the three staff texts, tables 二, 三 and 四 keyed
by the template's row and column keys, the platform's figures for section 一, notes, and (once
published) its version number and time. Its canonical bytes (sorted keys, no spaces, UTF-8) are
what the sha256 of a published version is taken over, and what its .json download serves.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from opendata.core.reports import figures
from opendata.core.reports import template as t


@dataclass(frozen=True)
class ReportParts:
    """Everything a report is made of, before it is a document."""

    organization: dict[str, Any]
    year: int
    covers: tuple[str, ...]  # slugs of the organisations counted (the organisation and those under it)
    sections: dict[str, str]
    two: figures.Table
    three: figures.Table
    four: figures.Table
    platform: dict[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()


def build_document(parts: ReportParts, *, version: int | None = None,
                   published_at: datetime | None = None) -> dict[str, Any]:
    """The report as a JSON-able dict (a draft without ``version`` and ``published_at``)."""
    doc: dict[str, Any] = {
        "format": t.FORMAT, "template": t.TEMPLATE,
        "title": title(parts.organization["name"], parts.year),
        "organization": parts.organization, "year": parts.year,
        "period": {"start": date(parts.year, 1, 1).isoformat(), "end": date(parts.year, 12, 31).isoformat()},
        "covers": list(parts.covers),
        "sections": {key: parts.sections.get(key, "") for key in t.TEXT_SECTIONS},
        "platform": parts.platform,
        "table_two": figures.jsonable(parts.two),
        "table_three": figures.jsonable(parts.three),
        "table_four": figures.jsonable(parts.four),
        "notes": list(parts.notes),
    }
    if version is not None:
        doc["version"] = version
    if published_at is not None:
        doc["published_at"] = published_at.isoformat()
    return doc


def title(organization_name: str, year: int) -> str:
    """The report's title as governments publish it."""
    return f"{organization_name}{year}年政府信息公开工作年度报告"


def canonical_bytes(doc: dict[str, Any]) -> bytes:
    """The bytes a published report's sha256 is taken over: sorted keys, no spaces, UTF-8."""
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default,
                      allow_nan=False).encode("utf-8")


def sha256_of(doc: dict[str, Any]) -> str:
    """sha256 (hex) of the document's canonical bytes."""
    return hashlib.sha256(canonical_bytes(doc)).hexdigest()


def tables_of(doc: dict[str, Any]) -> tuple[figures.Table, figures.Table, figures.Table]:
    """Tables 二, 三 and 四 of a document, the 收费 amount as a Decimal again."""
    two = {row: dict(cols) for row, cols in doc["table_two"].items()}
    for row, col in t.AMOUNT_CELLS:
        value = two.get(row, {}).get(col)
        if isinstance(value, int | float) and not isinstance(value, bool):
            two[row][col] = figures.canonical_amount(Decimal(repr(value)))
    return two, doc["table_three"], doc["table_four"]


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")
