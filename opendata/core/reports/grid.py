"""Tables 二, 三 and 四 laid out cell by cell as the template draws them, merged cells included.

One description serves every output and the import: the XLSX sheets and the DOCX tables are drawn
from it, and an imported spreadsheet is read by checking its label cells against it and taking its
figure cells. Positions are 0-based within the table, below its title.
"""

from __future__ import annotations

from dataclasses import dataclass

from opendata.core.reports import template as t


@dataclass(frozen=True)
class GridCell:
    """A cell (the top-left of a merged range): a label, or the figure of (row key, column key)."""

    row: int
    col: int
    text: str | None = None
    figure: tuple[str, str] | None = None
    rows: int = 1
    cols: int = 1

    @property
    def is_header(self) -> bool:
        return self.figure is None


@dataclass(frozen=True)
class Grid:
    """One table: its number (二/三/四), title, size and cells."""

    table: str
    title: str
    width: int
    height: int
    cells: tuple[GridCell, ...]

    def figures(self) -> list[GridCell]:
        return [c for c in self.cells if c.figure is not None]

    def labels(self) -> list[GridCell]:
        return [c for c in self.cells if c.figure is None]


def _table_two() -> Grid:
    cells: list[GridCell] = []
    row = 0
    for block in t.TABLE_TWO:
        cells.append(GridCell(row, 0, block.article, cols=4))
        row += 1
        span = 3 if len(block.columns) == 1 else 1  # a one-column block's figure spans the three columns
        cells.append(GridCell(row, 0, t.CONTENT_HEADER))
        for i, col in enumerate(block.columns):
            cells.append(GridCell(row, 1 + i, col.zh, cols=span))
        row += 1
        for item in block.rows:
            cells.append(GridCell(row, 0, item.zh))
            for i, col in enumerate(block.columns):
                cells.append(GridCell(row, 1 + i, figure=(item.key, col.key),
                                      cols=span))
            row += 1
    return Grid("二", t.SECTION_BY_KEY["proactive"].zh, 4, row, tuple(cells))


def _table_three() -> Grid:
    cols = t.THREE_COLUMNS
    cells = [GridCell(0, 0, t.BALANCE_NOTE, rows=3, cols=3), GridCell(0, 3, t.APPLICANT_HEADER, cols=7),
             GridCell(1, 3, cols[0].zh, rows=2), GridCell(1, 4, t.ORGANIZATION_HEADER.zh, cols=5),
             GridCell(1, 9, cols[-1].zh, rows=2)]
    cells += [GridCell(2, 4 + i, col.zh) for i, col in enumerate(cols[1:-1])]

    def figures_of(row: int, key: str) -> list[GridCell]:
        return [GridCell(row, 3 + i, figure=(key, col.key)) for i, col in enumerate(cols)]

    row = 3
    for intake in t.THREE_INTAKE:
        cells += [GridCell(row, 0, intake.zh, cols=3), *figures_of(row, intake.key)]
        row += 1
    first_result = row
    for _group, heading, outcomes in t.outcome_groups():
        if len(outcomes) == 1 and outcomes[0].number is None:
            cells += [GridCell(row, 1, heading, cols=2), *figures_of(row, outcomes[0].key)]
            row += 1
            continue
        cells.append(GridCell(row, 1, heading, rows=len(outcomes)))
        for outcome in outcomes:
            cells += [GridCell(row, 2, f"{outcome.number}.{outcome.zh}"), *figures_of(row, outcome.key)]
            row += 1
    cells += [GridCell(row, 1, t.THREE_TOTAL_ROW.zh, cols=2), *figures_of(row, t.DECIDED_TOTAL)]
    row += 1
    cells.append(GridCell(first_result, 0, t.RESULTS_HEADER.zh, rows=row - first_result))
    cells += [GridCell(row, 0, t.THREE_CARRY.zh, cols=3), *figures_of(row, t.CARRIED_OVER)]
    return Grid("三", t.SECTION_BY_KEY["requests"].zh, 10, row + 1, tuple(cells))


def _table_four() -> Grid:
    review, direct, after = t.FOUR_BLOCKS
    cells = [GridCell(0, 0, review.zh, cols=5), GridCell(0, 5, t.LITIGATION_HEADER.zh, cols=10)]
    cells += [GridCell(1, i, col.zh, rows=2) for i, col in enumerate(t.FOUR_RESULTS)]
    cells += [GridCell(1, 5, direct.zh, cols=5), GridCell(1, 10, after.zh, cols=5)]
    cells += [GridCell(2, 5 + i, col.zh) for i, col in enumerate(t.FOUR_RESULTS)]
    cells += [GridCell(2, 10 + i, col.zh) for i, col in enumerate(t.FOUR_RESULTS)]
    cells += [GridCell(3, 5 * b + i, figure=(block.key, col.key))
              for b, block in enumerate(t.FOUR_BLOCKS) for i, col in enumerate(t.FOUR_RESULTS)]
    return Grid("四", t.SECTION_BY_KEY["review-litigation"].zh, 15, 4, tuple(cells))


TABLE_TWO_GRID = _table_two()
TABLE_THREE_GRID = _table_three()
TABLE_FOUR_GRID = _table_four()
GRIDS = {"二": TABLE_TWO_GRID, "三": TABLE_THREE_GRID, "四": TABLE_FOUR_GRID}
