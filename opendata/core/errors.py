"""The small fixed set of exceptions that stop work.

Data problems are values in a report; these are raised only when work cannot continue.
Each carries a kebab-case ``code`` and, where known, the location of the problem.
"""

from __future__ import annotations

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

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


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
    """The disk (or a quota) is full: the message names what could not be written (HTTP 507)."""

    code = "storage-full"


class NotFoundError(OpendataError):
    """A named thing does not exist (or may not be seen)."""

    code = "not-found"


class ConflictError(OpendataError):
    """The action conflicts with the current state (e.g. publishing an invalid version)."""

    code = "conflict"


class ValidationError(OpendataError):
    """Input to a use case is invalid; ``problems`` names each field."""

    code = "validation-error"


class QueryTimeoutError(OpendataError):
    """A query ran past its time limit and was stopped (the caller may retry later)."""

    code = "query-timeout"


@dataclass
class Warnings:
    """Collects non-fatal warnings (e.g. a failing credit-code check)."""

    items: list[Problem] = field(default_factory=list)

    def add(self, code: str, message: str, **where: Any) -> None:
        self.items.append(Problem(code, message, **where))
