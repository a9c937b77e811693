"""A validation report of bounded size, whatever the file: counts by type and field, then a byte cap.

:func:`bound_report` is the last step of building a report (and of the pipeline, which adds the
normalization summary): when the JSON is larger than the cap it first drops the ``cells`` and
``labels`` of all but the first errors, then the last errors, then shortens the task's own
lists, and marks the task ``truncated``. The counts (``stats``, ``errorSummary``,
``errorCounts``) always cover every error.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

ERRORS_WITH_CELLS = 20  # errors that always keep their copy of the row's cells or of the header
MAX_COUNT_ENTRIES = 500  # errorCounts lists the (type, field) pairs with most errors first


def error_counts(counts: Counter) -> list[dict[str, Any]]:
    """``errorCounts``: errors per type and field, most first (row errors have no field)."""
    out = []
    for (kind, number, name), n in counts.most_common(MAX_COUNT_ENTRIES):
        entry: dict[str, Any] = {"type": kind, "count": n}
        if number is not None:
            entry.update(fieldNumber=number, fieldName=name or "")
        out.append(entry)
    return out


def json_size(value: Any) -> int:
    """Bytes of ``value`` as stored (JSON, UTF-8)."""
    return len(json.dumps(value, ensure_ascii=False, default=str).encode("utf-8"))


def bound_report(descriptor: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """The report shrunk, if need be, to at most ``max_bytes`` of JSON (changed in place)."""
    if json_size(descriptor) <= max_bytes:
        return descriptor
    task = descriptor["tasks"][0]
    task["truncated"] = True
    errors = task["errors"]
    for error in errors[ERRORS_WITH_CELLS:]:
        _strip(error)
    task["errors"] = []
    for key, keep in (("labels", 100), ("warnings", 10), ("errorCounts", 50), ("normalization", 50)):
        if json_size(descriptor) <= max_bytes // 2:
            break
        if isinstance(task.get(key), list) and len(task[key]) > keep:
            task[key] = task[key][:keep]
    room = max_bytes - json_size(descriptor)
    kept: list[dict[str, Any]] = []
    for error in errors:
        size = json_size(error) + 2  # and a separator
        if size > room and (error.get("cells") or error.get("labels")):
            _strip(error)
            size = json_size(error) + 2
        if size > room:
            break
        kept.append(error)
        room -= size
    task["errors"] = kept
    if json_size(descriptor) > max_bytes:  # only the counts are sure to fit
        task["errors"] = []
        for key in ("labels", "warnings", "errorCounts", "normalization"):
            task[key] = []
    return descriptor


def _strip(error: dict[str, Any]) -> None:
    """Drop an error's copy of its row's cells or of the header (the task keeps the labels)."""
    for key in ("cells", "labels"):
        if error.get(key):
            error[key] = []
