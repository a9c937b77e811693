"""Check one dataset's catalogue metadata sent through the API, with the rules of catalog.yaml.

The API and ``opendata sync`` must accept and refuse the same metadata, so this reuses the
catalogue checker of :mod:`opendata.core.catalog_file` on a single entry; problems name the field
(``path`` is the property, e.g. ``license`` or ``temporal/start``) instead of a file line.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opendata.core.catalog_file import DatasetSpec, _Checker
from opendata.core.errors import Problem, ValidationError
from opendata.core.tableschema import TableSchema
from opendata.core.yamlmarks import LineDict

API_SOURCE = "request body"
# Dataset properties an API client may set ('source' names a server file: catalogue only).
API_DATASET_KEYS = ("id", "code", "title", "title_en", "description", "description_en", "publisher", "theme",
                    "keywords", "license", "disclosure", "legal_basis", "frequency", "temporal", "spatial", "contact",
                    "schema", "sheet")


class _RegistryChecker(_Checker):
    """The catalogue checker, with schemas looked up in the registry instead of a folder."""

    def __init__(self, schemas: Mapping[str, TableSchema]):
        super().__init__(API_SOURCE, Path("."), Path("."), False)
        self.registered = dict(schemas)

    def _schema(self, name, node, at, schemas, texts) -> bool:
        if name in self.registered:
            schemas[name] = self.registered[name]
            return True
        self.error(f"schema '{name}' is not registered (POST /api/v1/schemas first)", None, f"{at}/schema")
        return False


def _line_dict(value: Any) -> Any:
    if isinstance(value, Mapping):
        out = LineDict({k: _line_dict(v) for k, v in value.items()})
        out.line, out.key_lines = 0, {}
        return out
    if isinstance(value, list):
        return [_line_dict(v) for v in value]
    return value


def check_dataset_entry(entry: Mapping[str, Any], *, organizations: Mapping[str, Sequence[str]],
                        schemas: Mapping[str, TableSchema]) -> DatasetSpec:
    """The checked dataset, or ValidationError whose problems name each wrong property.

    ``organizations`` maps each organization id to its publisher codes
    (:func:`opendata.core.cataloguerules.publisher_codes`), which the catalogue code must use.
    """
    problems: list[Problem] = []
    for key in entry:
        if key not in API_DATASET_KEYS:
            problems.append(Problem("unknown-property", f"unknown property '{key}' (allowed: "
                                    f"{', '.join(API_DATASET_KEYS)})", path=str(key)))
    checker = _RegistryChecker(schemas)
    node = _line_dict({k: v for k, v in entry.items() if k in API_DATASET_KEYS})
    found = checker._datasets([node], 0, dict(organizations), {}, {})
    for p in checker.problems:
        path = (p.path or "").removeprefix("datasets/0/").removeprefix("datasets/0") or None
        problems.append(Problem(p.code, p.message, path=path))
    if problems or not found:
        fields = ", ".join(sorted({p.path for p in problems if p.path})) or "body"
        raise ValidationError(f"invalid dataset metadata: {fields}",
                              problems=problems or [Problem("validation-error", "invalid dataset")])
    return found[0]
