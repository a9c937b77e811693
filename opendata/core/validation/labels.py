"""Header checks: labels matched to schema fields by position, as frictionless v5 does by default."""

from __future__ import annotations

from opendata.core.report import Error
from opendata.core.tableschema import TableSchema


def check_labels(schema: TableSchema, labels: list[str]) -> list[Error]:
    """extra-label, missing-label, blank-label, duplicate-label and incorrect-label errors."""
    names = schema.field_names
    shown = tuple(str(label) for label in labels)
    out: list[Error] = []

    def add(kind: str, label: str, field_name: str, field_number: int, note: str = "") -> None:
        out.append(Error(kind, note, field_number=field_number, field_name=field_name, label=label,
                         labels=shown, row_numbers=(1,)))

    if not labels:
        return out
    for number, label in enumerate(labels[len(names):], start=len(names) + 1):
        add("extra-label", label, "", number)
    for number, name in enumerate(names[len(labels):], start=len(labels) + 1):
        add("missing-label", "", name, number)
    seen: dict[str, list[int]] = {}  # label -> its positions so far (10,000 columns stay linear)
    for number, (name, label) in enumerate(zip(names, labels, strict=False), start=1):
        earlier = list(seen.get(label, ()))
        seen.setdefault(label, []).append(number)
        if not label:
            add("blank-label", "", name, number)
            continue
        if earlier:
            add("duplicate-label", str(label), name, number, f'at position "{", ".join(map(str, earlier))}"' )
            continue
        if label != name:
            add("incorrect-label", str(label), name, number)
    return out
