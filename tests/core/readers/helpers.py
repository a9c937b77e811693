"""Read a whole (small) table through open_table, for assertions."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from opendata.core.readers import ReadLimits, SourceError, open_table


@dataclass
class Table:
    """Everything a reader produced, flattened."""

    format: str
    encoding: str | None
    labels: list[str]
    rows: list[tuple[int, list[str | None]]]  # (row number, cells incl. extra cells)
    counts: list[int]
    warnings: list[str]
    errors: list[SourceError] = field(default_factory=list)
    batches: int = 0

    @property
    def numbers(self) -> list[int]:
        return [n for n, _ in self.rows]

    @property
    def cells(self) -> list[list[str | None]]:
        return [c for _, c in self.rows]


def read_table(path: Path | str, **options) -> Table:
    """Open, read every batch, close; cells past the header width come from extra_cells."""
    with open_table(path, **options) as reader:
        rows: list[tuple[int, list[str | None]]] = []
        counts: list[int] = []
        batches = 0
        for batch in reader.iter_batches():
            batches += 1
            extra: dict[int, list[str]] = {}
            for number, _field, text in batch.extra_cells:
                extra.setdefault(number, []).append(text)
            columns = [c.to_pylist() for c in batch.columns]
            for i, number in enumerate(batch.row_numbers.to_pylist()):
                cells = [col[i] for col in columns] + extra.get(number, [])
                rows.append((number, cells))
            counts.extend(batch.cell_counts.to_pylist())
        return Table(
            reader.format,
            reader.encoding,
            list(reader.labels),
            rows,
            counts,
            list(reader.warnings),
            list(reader.source_errors),
            batches,
        )


def small_limits(**overrides) -> ReadLimits:
    """Limits with tiny batches, so batch boundaries are exercised on small files."""
    return ReadLimits(**{"batch_rows": 3, "csv_block_bytes": 64, **overrides})
