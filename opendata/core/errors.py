"""The small fixed set of exceptions that stop work.

Data problems are values in a report; these are raised only when work cannot continue.
Each carries a kebab-case ``code`` and, where known, the location of the problem.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Problem:
    """One located problem: what is wrong and where (file, line, property, field)."""

    code: str
    message: str
    file: str | None = None
    line: int | None = None
    path: str | None = None  # e.g. "fields/2/type" or "datasets/3/identifier"

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        where = ":".join(str(p) for p in (self.file, self.line) if p is not None)
        prefix = f"{where}: " if where else ""
        suffix = f" [{self.path}]" if self.path else ""
        return f"{prefix}{self.message}{suffix}"


class OpendataError(Exception):
    """Base of every error the platform raises on purpose."""

    code = "opendata-error"

    def __init__(self, message: str, *, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = list(problems or [])

    def __reduce__(self):  # pickled whole (a child process sends errors to its parent)
        return _rebuild, (type(self), self.message, self.problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


def _rebuild(cls: type[OpendataError], message: str, problems: list[Problem]) -> OpendataError:
    return cls(message, problems=problems)


class SchemaError(OpendataError):
    """A Table Schema cannot be used (names the file and offending property)."""

    code = "schema-error"


class CatalogError(OpendataError):
    """catalog.yaml is invalid; ``problems`` lists every problem with its line."""

    code = "catalog-error"


class InputError(OpendataError):
    """An input file cannot be read at all (exit code 2 on the command line)."""

    code = "source-error"


class LimitError(InputError):
    """The input passes one of the ingest limits (columns, cell or row size, nesting, unpacked size,
    memory): reading stops before the work the limit bounds, and the message names the limit."""

    code = "limit-exceeded"


class StorageFullError(OpendataError):
    """The disk (or a quota, or a file size limit) is full: the message names what could not be
    written (HTTP 507). Whatever was half-written has been removed."""

    code = "storage-full"


class ArtifactStoreError(OpendataError):
    """The object store cannot be reached, refused a write, or holds other bytes than were written
    (HTTP 503: nothing was recorded; the request may be retried)."""

    code = "artifact-store-error"


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk, a quota or a file size limit left no room to write."""
    return isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS


def storage_full(what: str, exc: OSError) -> StorageFullError:
    """The error for ``what`` (e.g. "the Parquet file of this version") not written for lack of room."""
    reason = os.strerror(exc.errno) if exc.errno else "no room left"
    return StorageFullError(f"the server could not write {what}: {reason.lower()}; nothing was changed",
                            problems=[Problem("storage-full", reason, path="storage")])


@contextlib.contextmanager
def room_for(what: str) -> Iterator[None]:
    """Turn "no space left" (or a quota, or a file size limit) while writing ``what`` into a
    StorageFullError naming it; the caller's clean-up removes what was half-written."""
    try:
        yield
    except OSError as exc:
        if is_disk_full(exc):
            raise storage_full(what, exc) from None
        raise


class NotFoundError(OpendataError):
    """A named thing does not exist (or may not be seen)."""

    code = "not-found"


class ConflictError(OpendataError):
    """The action conflicts with the current state (e.g. publishing an invalid version)."""

    code = "conflict"


class ValidationError(OpendataError):
    """Input to a use case is invalid; ``problems`` names each field."""

    code = "validation-error"


class ColumnsWithheldError(OpendataError):
    """A row query reaches columns the caller's access grant withholds (403, naming the parameter)."""

    code = "columns-withheld"


class QueryTimeoutError(OpendataError):
    """A query ran past its time limit and was stopped (the caller may retry later)."""

    code = "query-timeout"


@dataclass
class Warnings:
    """Collects non-fatal warnings (e.g. a failing credit-code check)."""

    items: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.items.append(Problem(code, message, **where))
