"""The audit log: every write service records who did what, when, before and after.

Rows are only ever inserted (the database refuses UPDATE and DELETE on ``audit_log``); they are
listed and exported for administrators, oldest first, with ``after_seq`` as the cursor.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, literal, select
from sqlalchemy.orm import Session

from opendata.core.errors import ValidationError
from opendata.core.textcheck import require_text
from opendata.services.access import Viewer
from opendata.services.runtime import Runtime
from opendata.store.accounts import AuditLog

EXPORT_FORMATS = ("csv", "json")
CSV_COLUMNS = ("seq", "at", "actor", "action", "target_type", "target_id", "before", "after",
               "request_id", "address", "source")
MAX_PAGE = 1000


@dataclass(frozen=True)
class AuditFilter:
    """Which audit entries to list; every field is optional."""

    actor: str | None = None
    action: str | None = None
    target_type: str | None = None
    target_id: str | None = None
    source: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after_seq: int | None = None


def audit_record(*, session: Session, actor: Viewer, action: str, target_type: str,
                 target_id: str | int | None = None, before: dict[str, Any] | None = None,
                 after: dict[str, Any] | None = None, source: str | None = None) -> AuditLog:
    """Append one entry to the audit log in the caller's transaction.

    ``source`` says where a change came from when no request carried it, e.g.
    ``catalog.yaml@sha256:<hex>`` for every change a catalogue sync makes.
    """
    entry = AuditLog(actor=actor.user or "anonymous", action=action, target_type=target_type,
                     target_id=None if target_id is None else str(target_id),
                     before=_jsonable(before), after=_jsonable(after),
                     request_id=actor.request_id, address=actor.address, source=source)
    session.add(entry)
    session.flush()
    return entry


def audit_list(*, session: Session, actor: Viewer, filters: AuditFilter = AuditFilter(),
               limit: int = 100) -> list[AuditLog]:
    """Entries matching ``filters``, oldest first (administrators only)."""
    actor.require_admin()
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be between 1 and {MAX_PAGE}")
    return list(session.scalars(_query(filters).limit(limit)))


def audit_export(*, session: Session, actor: Viewer, fmt: str,
                 filters: AuditFilter = AuditFilter()) -> Iterator[str]:
    """Every matching entry as CSV or as a JSON array, streamed in chunks (administrators only)."""
    actor.require_admin()
    if fmt not in EXPORT_FORMATS:
        raise ValidationError(f"unknown export format {fmt!r}; use one of {', '.join(EXPORT_FORMATS)}")
    rows = session.scalars(_query(filters).execution_options(yield_per=500))
    return _csv_chunks(rows) if fmt == "csv" else _json_chunks(rows)


def audit_entry_dict(entry: AuditLog) -> dict[str, Any]:
    """One entry as plain JSON-ready data."""
    return {"seq": entry.seq, "at": entry.at.isoformat(), "actor": entry.actor, "action": entry.action,
            "target_type": entry.target_type, "target_id": entry.target_id, "before": entry.before,
            "after": entry.after, "request_id": entry.request_id, "address": entry.address,
            "source": entry.source}


def _query(f: AuditFilter):
    query = select(AuditLog).order_by(AuditLog.seq)
    for column, value in ((AuditLog.actor, f.actor), (AuditLog.action, f.action),
                          (AuditLog.target_type, f.target_type), (AuditLog.target_id, f.target_id),
                          (AuditLog.source, f.source)):
        if value is not None:  # no stored text holds a control character; PostgreSQL refuses a NUL
            require_text(value, column.key, multiline=True)
            query = query.where(column == value)
    if f.since is not None:
        query = query.where(AuditLog.at >= f.since)
    if f.until is not None:
        query = query.where(AuditLog.at < f.until)
    if f.after_seq is not None:
        # bound as a 64-bit integer: PostgreSQL's seq is 32-bit, and a cursor past its range is
        # "after every entry" (nothing), not an error
        query = query.where(AuditLog.seq > literal(f.after_seq, BigInteger))
    return query


def _csv_chunks(rows) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, entry in enumerate(rows, 1):
        data = audit_entry_dict(entry)
        for key in ("before", "after"):
            data[key] = "" if data[key] is None else json.dumps(data[key], ensure_ascii=False, sort_keys=True)
        writer.writerow([_csv_safe(data[c]) for c in CSV_COLUMNS])
        if n % 500 == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _csv_safe(value: Any) -> Any:
    # A cell starting with = + - @ runs as a formula in spreadsheet programs (CSV injection).
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


def _json_chunks(rows) -> Iterator[str]:
    yield "["
    for n, entry in enumerate(rows):
        yield ("," if n else "") + "\n" + json.dumps(audit_entry_dict(entry), ensure_ascii=False)
    yield "\n]\n"


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, default=_default, ensure_ascii=False))


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return str(value)


def audit_export_stream(*, runtime: Runtime, actor: Viewer, fmt: str,
                        filters: AuditFilter = AuditFilter()) -> Iterator[str]:
    """The export as chunks, reading in a session of its own that closes when the last chunk is sent
    (or the consumer stops); an administrator check fails before the first chunk."""
    session = runtime.sessions()
    try:
        chunks = audit_export(session=session, actor=actor, fmt=fmt, filters=filters)
    except BaseException:
        session.close()
        raise

    def stream() -> Iterator[str]:
        try:
            yield from chunks
        finally:
            session.close()

    return stream()
