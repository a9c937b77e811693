"""The figures of tables 二, 三 and 四: parsed from what staff send, zero tables, sums of tables.

A table is a dict of rows, each a dict of columns to a figure: a non-negative integer, or for the
one 收费 cell an amount in 万元 with at most four decimals (a ``Decimal``). Every figure that cannot
be taken is a :class:`Problem` naming its table, row and column, in the template's words.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from opendata.core.errors import Problem
from opendata.core.reports import template as t

Table = dict[str, dict[str, Any]]
MAX_COUNT = 10**9  # more than any body handles in a year; bounds what is stored
MAX_AMOUNT = Decimal(10**9)  # 万元


def empty_two() -> Table:
    """Table 二 with every figure zero."""
    out: Table = {}
    for row, col in t.two_cells():
        out.setdefault(row, {})[col] = Decimal(0) if (row, col) in t.AMOUNT_CELLS else 0
    return out


def empty_three() -> Table:
    """Table 三 with every figure zero."""
    return {row: {col.key: 0 for col in t.THREE_COLUMNS} for row in t.THREE_ROWS}


def empty_four() -> Table:
    """Table 四 with every figure zero."""
    out: Table = {}
    for block, col in t.four_cells():
        out.setdefault(block, {})[col] = 0
    return out


def parse_count(value: Any, where: str, path: str) -> tuple[int | None, Problem | None]:
    """A count as entered (JSON number, spreadsheet cell or text): a whole number from 0 to 10⁹."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return 0, None
    if isinstance(value, bool):
        return None, Problem("not-a-number", f"{where}: {value!r} is not a number", path=path)
    number = _decimal(value)
    if number is None:
        return None, Problem("not-a-number", f"{where}: {str(value)[:40]!r} is not a number", path=path)
    if number != number.to_integral_value():
        return None, Problem("not-a-whole-number", f"{where}: {_show(number)} is not a whole number; counts are "
                             "whole numbers of items", path=path)
    if number < 0:
        return None, Problem("negative-figure", f"{where}: {_show(number)} is negative; counts are 0 or more",
                             path=path)
    if number > MAX_COUNT:
        return None, Problem("figure-too-large", f"{where}: {_show(number)} is larger than {MAX_COUNT:,}", path=path)
    return int(number), None


def parse_amount(value: Any, where: str, path: str) -> tuple[Decimal | None, Problem | None]:
    """An amount in 万元: 0 or more, at most four decimals (one yuan is 0.0001 万元)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return Decimal(0), None
    number = None if isinstance(value, bool) else _decimal(value)
    if number is None:
        return None, Problem("not-a-number", f"{where}: {str(value)[:40]!r} is not an amount", path=path)
    if number < 0:
        return None, Problem("negative-figure", f"{where}: {_show(number)} is negative; amounts are 0 or more",
                             path=path)
    exponent = number.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -t.DECIMAL_PLACES:
        return None, Problem("too-many-decimals", f"{where}: {_show(number)} has more than {t.DECIMAL_PLACES} "
                             "decimals; the amount is in 万元 to four decimals (one yuan)", path=path)
    if number > MAX_AMOUNT:
        return None, Problem("figure-too-large", f"{where}: {_show(number)} is larger than {MAX_AMOUNT:,} 万元",
                             path=path)
    return canonical_amount(number), None


def canonical_amount(number: Decimal) -> Decimal:
    """An amount without trailing zeros or an exponent (12.3400 -> 12.34, 1E+1 -> 10)."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def parse_two(data: Any) -> tuple[Table, list[Problem]]:
    """Table 二 from a mapping of rows to columns to figures; missing cells are 0."""
    return _parse(data, "二", "table_two", t.two_cells(), amount_cells=t.AMOUNT_CELLS)


def parse_four(data: Any) -> tuple[Table, list[Problem]]:
    """Table 四 from a mapping of blocks to columns; a missing 总计 is the sum of the block's four results."""
    given_totals = {block for block, cols in data.items() if isinstance(cols, Mapping) and t.TOTAL in cols} \
        if isinstance(data, Mapping) else set()
    table, problems = _parse(data, "四", "table_four", t.four_cells())
    for block in table:
        if block not in given_totals:
            table[block][t.TOTAL] = sum(table[block][c] for c in t.FOUR_PARTS)
    return table, problems


def _parse(data: Any, name: str, path: str, cells: list[tuple[str, str]],
           amount_cells: frozenset = frozenset()) -> tuple[Table, list[Problem]]:
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        return {}, [Problem("not-a-table", f"table {name} must be an object of rows, each an object of columns",
                            path=path)]
    known: dict[str, set[str]] = {}
    for row, col in cells:
        known.setdefault(row, set()).add(col)
    problems: list[Problem] = []
    for row, cols in data.items():
        if row not in known:
            problems.append(Problem("unknown-cell", f"table {name} has no row {row!r}; rows are "
                                    f"{', '.join(known)}", path=f"{path}/{row}"))
        elif not isinstance(cols, Mapping):
            problems.append(Problem("not-a-table", f"table {name}, row {row!r} must be an object of columns",
                                    path=f"{path}/{row}"))
        else:
            problems += [Problem("unknown-cell", f"table {name}, row {row!r} has no column {col!r}; columns are "
                                 f"{', '.join(sorted(known[row]))}", path=f"{path}/{row}/{col}")
                         for col in cols if col not in known[row]]
    table: Table = {}
    for row, col in cells:
        raw = data.get(row) if isinstance(data.get(row), Mapping) else {}
        where = t.label(name, row, col)
        at = f"{path}/{row}/{col}"
        if (row, col) in amount_cells:
            value, problem = parse_amount(raw.get(col), where, at)
        else:
            value, problem = parse_count(raw.get(col), where, at)
        if problem is not None:
            problems.append(problem)
        table.setdefault(row, {})[col] = value if value is not None else 0
    return table, problems


def add_tables(tables: Iterable[Table], zero: Table) -> Table:
    """The cell-by-cell sum of tables of one shape (a government's report: its organisations' tables)."""
    out = {row: dict(cols) for row, cols in zero.items()}
    for table in tables:
        for row, cols in table.items():
            for col, value in cols.items():
                out[row][col] = out[row][col] + value
    return out


def jsonable(table: Table) -> dict[str, dict[str, int | float]]:
    """A table as JSON numbers (amounts as their shortest decimal)."""
    return {row: {col: (float(v) if isinstance(v, Decimal) and v != v.to_integral_value()
                        else int(v)) for col, v in cols.items()} for row, cols in table.items()}


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(value))
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    if isinstance(value, str):  # full-width digits and thousands separators, as spreadsheets show them
        text = unicodedata.normalize("NFKC", value).strip().replace(",", "")
        if len(text) > 40:
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _show(number: Decimal) -> str:
    return format(number, "f")
