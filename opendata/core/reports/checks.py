"""The template's checks (勾稽关系), each failure a Problem naming its table, row and column.

- every figure a non-negative whole number; the 收费 amount in 万元 with at most four decimals;
- table 三, in every column: 一 + 二 = 三（七） + 四;
- table 三, in every row: 总计 = the sum of the six applicant columns;
- table 三, in every column: （七）总计 = the sum of the outcome rows （一） to （六）;
- table 四, in every block: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结.

A report with any problem here cannot be published.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from opendata.core.errors import Problem
from opendata.core.reports import figures
from opendata.core.reports import template as t


def check_report(two: figures.Table, three: figures.Table, four: figures.Table) -> list[Problem]:
    """Every problem of the three tables, in the template's order (an empty list: publishable)."""
    problems = check_figures(two, three, four)
    if problems:  # sums over cells that are not figures would only repeat the same problems
        return problems
    return check_three(three) + check_four(four)


def check_figures(two: figures.Table, three: figures.Table, four: figures.Table) -> list[Problem]:
    """Every cell present and a figure of its kind."""
    problems: list[Problem] = []
    for name, path, table, cells in (("二", "table_two", two, t.two_cells()),
                                     ("三", "table_three", three, [(r, c.key) for r in t.THREE_ROWS
                                                                   for c in t.THREE_COLUMNS]),
                                     ("四", "table_four", four, t.four_cells())):
        for row, col in cells:
            where, at = t.label(name, row, col), f"{path}/{row}/{col}"
            value = table.get(row, {}).get(col)
            if value is None:
                problems.append(Problem("missing-figure", f"{where}: the figure is missing", path=at))
            elif (name, row, col) == ("二", "fees", "amount"):
                if not isinstance(value, int | Decimal) or isinstance(value, bool):
                    problems.append(Problem("not-a-number", f"{where}: {value!r} is not an amount", path=at))
                else:
                    problems += _problems(figures.parse_amount(value, where, at))
            elif not isinstance(value, int) or isinstance(value, bool):
                problems.append(Problem("not-a-whole-number", f"{where}: {value!r} is not a whole number", path=at))
            else:
                problems += _problems(figures.parse_count(value, where, at))
    return problems


def check_three(three: figures.Table) -> list[Problem]:
    """The sums of table 三: column balance, row totals, the （七） total."""
    problems: list[Problem] = []
    for col in t.THREE_COLUMNS:
        c = col.key
        intake = three[t.NEW][c] + three[t.CARRIED_IN][c]
        outflow = three[t.DECIDED_TOTAL][c] + three[t.CARRIED_OVER][c]
        if intake != outflow:
            problems.append(Problem(
                "balance-mismatch",
                f"表三「{col.zh}」列: 一 + 二 = {three[t.NEW][c]} + {three[t.CARRIED_IN][c]} = {intake}, but "
                f"三（七） + 四 = {three[t.DECIDED_TOTAL][c]} + {three[t.CARRIED_OVER][c]} = {outflow}; in every "
                "column 一 + 二 must equal 三（七） + 四", path=f"table_three/balance/{c}"))
        decided = sum(three[key][c] for key in t.OUTCOME_KEYS)
        if decided != three[t.DECIDED_TOTAL][c]:
            problems.append(Problem(
                "sum-mismatch", f"{t.label('三', t.DECIDED_TOTAL, c)}: {three[t.DECIDED_TOTAL][c]}, but the outcome "
                f"rows （一） to （六） add up to {decided}", path=f"table_three/{t.DECIDED_TOTAL}/{c}"))
    for row in t.THREE_ROWS:
        parts = sum(three[row][col.key] for col in t.APPLICANT_COLUMNS)
        if parts != three[row][t.TOTAL]:
            problems.append(Problem(
                "sum-mismatch", f"{t.label('三', row, t.TOTAL)}: {three[row][t.TOTAL]}, but the six applicant "
                f"columns add up to {parts}; 总计 must be their sum", path=f"table_three/{row}/{t.TOTAL}"))
    return problems


def check_four(four: figures.Table) -> list[Problem]:
    """Each block's 总计 is the sum of its four results."""
    problems: list[Problem] = []
    for block in t.FOUR_BLOCKS:
        parts = sum(four[block.key][c] for c in t.FOUR_PARTS)
        if parts != four[block.key][t.TOTAL]:
            problems.append(Problem(
                "sum-mismatch", f"{t.label('四', block.key, t.TOTAL)}: {four[block.key][t.TOTAL]}, but 结果维持 + "
                f"结果纠正 + 其他结果 + 尚未审结 = {parts}", path=f"table_four/{block.key}/{t.TOTAL}"))
    return problems


def _problems(parsed: tuple[Any, Problem | None]) -> list[Problem]:
    return [parsed[1]] if parsed[1] is not None else []
