"""The 2021 annual-report template (国办公开办函〔2021〕30号): its sections, tables, rows and columns.

One key per row and column, with the template's own wording. Table 三's rows are the outcomes of
the disclosure requests (``opendata.core.requests.vocab.OUTCOMES``) between its intake rows and
its carry-over row; its columns are the applicant types plus 总计. Tables 二 and 四 hold figures
staff enter (the platform does not own them).
"""

from __future__ import annotations

from dataclasses import dataclass

from opendata.core.requests.vocab import APPLICANT_TYPES, OUTCOME_GROUPS, OUTCOMES

TEMPLATE = "国办公开办函〔2021〕30号"
FORMAT = "opendata-annual-report/2021"


@dataclass(frozen=True)
class Section:
    """One of the six sections; ``text`` sections are written by staff."""

    key: str
    zh: str
    en: str
    text: bool


SECTIONS = (
    Section("overview", "一、总体情况", "1. Overview", True),
    Section("proactive", "二、主动公开政府信息情况", "2. Information disclosed proactively", False),
    Section("requests", "三、收到和处理政府信息公开申请情况", "3. Requests for disclosure received and handled", False),
    Section("review-litigation", "四、政府信息公开行政复议、行政诉讼情况",
            "4. Administrative reconsideration and litigation about disclosure", False),
    Section("problems", "五、存在的主要问题及改进情况", "5. Main problems and improvements", True),
    Section("other", "六、其他需要报告的事项", "6. Other matters to report", True),
)
TEXT_SECTIONS = tuple(s.key for s in SECTIONS if s.text)
SECTION_BY_KEY = {s.key: s for s in SECTIONS}


@dataclass(frozen=True)
class Cell:
    """A label of the template: key, Chinese wording, English."""

    key: str
    zh: str
    en: str


# ---- table 二: 主动公开政府信息情况 -------------------------------------------------------------


@dataclass(frozen=True)
class TwoBlock:
    """One block of table 二: the article it reports (第二十条第（…）项), its columns and its rows."""

    article: str
    columns: tuple[Cell, ...]
    rows: tuple[Cell, ...]


DECIMAL_PLACES = 4  # 本年收费金额 is in 万元 with up to four decimals (one yuan)
TABLE_TWO = (
    TwoBlock("第二十条第（一）项",
             (Cell("issued", "本年制发件数", "Issued this year"), Cell("repealed", "本年废止件数", "Repealed this year"),
              Cell("in-force", "现行有效件数", "In force")),
             (Cell("regulations", "规章", "Rules (规章)"),
              Cell("normative-documents", "行政规范性文件", "Administrative normative documents"))),
    TwoBlock("第二十条第（五）项", (Cell("decisions", "本年处理决定数量", "Decisions this year"),),
             (Cell("licensing", "行政许可", "Administrative licensing"),)),
    TwoBlock("第二十条第（六）项", (Cell("decisions", "本年处理决定数量", "Decisions this year"),),
             (Cell("penalties", "行政处罚", "Administrative penalties"),
              Cell("coercion", "行政强制", "Administrative coercion"))),
    TwoBlock("第二十条第（八）项", (Cell("amount", "本年收费金额（单位：万元）", "Fees collected this year (10,000 yuan)"),),
             (Cell("fees", "行政事业性收费", "Administrative fees"),)),
)
TWO_ROWS: dict[str, tuple[TwoBlock, Cell]] = {row.key: (block, row) for block in TABLE_TWO for row in block.rows}
AMOUNT_CELLS = frozenset({("fees", "amount")})  # the one cell in 万元 with decimals
CONTENT_HEADER = "信息内容"


def two_cells() -> list[tuple[str, str]]:
    """Every (row, column) of table 二, in the template's order."""
    return [(row.key, col.key) for block in TABLE_TWO for row in block.rows for col in block.columns]


# ---- table 三: 收到和处理政府信息公开申请情况 -----------------------------------------------------

APPLICANT_COLUMNS = tuple(Cell(t.key, t.zh, t.en) for t in APPLICANT_TYPES)
TOTAL = "total"
THREE_COLUMNS = (*APPLICANT_COLUMNS, Cell(TOTAL, "总计", "Total"))
ORGANIZATION_HEADER = Cell("organization", "法人或其他组织", "Legal persons and other organisations")
APPLICANT_HEADER = "申请人情况"
BALANCE_NOTE = "（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）"

NEW, CARRIED_IN, DECIDED_TOTAL, CARRIED_OVER = "new", "carried-in", "decided-total", "carried-over"
RESULTS_HEADER = Cell("results", "三、本年度办理结果", "3. Results this year")
THREE_INTAKE = (Cell(NEW, "一、本年新收政府信息公开申请数量", "1. New requests received this year"),
                Cell(CARRIED_IN, "二、上年结转政府信息公开申请数量", "2. Requests carried over from last year"))
THREE_TOTAL_ROW = Cell(DECIDED_TOTAL, "（七）总计", "(7) Total")
THREE_CARRY = Cell(CARRIED_OVER, "四、结转下年度继续办理", "4. Carried over to next year")
OUTCOME_KEYS = tuple(o.key for o in OUTCOMES)
THREE_ROWS = (*(c.key for c in THREE_INTAKE), *OUTCOME_KEYS, DECIDED_TOTAL, CARRIED_OVER)


def three_row_label(key: str) -> str:
    """A row of table 三 as the template prints it, e.g. '（三）不予公开 4.保护第三方合法权益'."""
    for cell in (*THREE_INTAKE, THREE_TOTAL_ROW, THREE_CARRY):
        if cell.key == key:
            return cell.zh
    for outcome in OUTCOMES:
        if outcome.key == key:
            return outcome.row
    raise KeyError(key)


# the template prints the (二) row with its counting rule
GROUP_HEADINGS = {group: heading for group, (heading, _en) in OUTCOME_GROUPS.items()} | {
    "partial": "（二）部分公开（区分处理的，只计这一情形，不计其他情形）"}


def outcome_groups() -> list[tuple[str, str, list]]:
    """(group key, heading as the template prints it, its outcomes) in the template's order."""
    return [(group, GROUP_HEADINGS[group], [o for o in OUTCOMES if o.group == group]) for group in OUTCOME_GROUPS]


# ---- table 四: 政府信息公开行政复议、行政诉讼情况 -------------------------------------------------

FOUR_RESULTS = (Cell("upheld", "结果维持", "Upheld"), Cell("corrected", "结果纠正", "Corrected"),
                Cell("other", "其他结果", "Other result"), Cell("pending", "尚未审结", "Not yet concluded"),
                Cell(TOTAL, "总计", "Total"))
FOUR_BLOCKS = (Cell("reconsideration", "行政复议", "Administrative reconsideration"),
               Cell("litigation-direct", "未经复议直接起诉", "Litigation without reconsideration"),
               Cell("litigation-after-reconsideration", "复议后起诉", "Litigation after reconsideration"))
LITIGATION_HEADER = Cell("litigation", "行政诉讼", "Administrative litigation")
FOUR_PARTS = tuple(c.key for c in FOUR_RESULTS if c.key != TOTAL)


def four_cells() -> list[tuple[str, str]]:
    """Every (block, column) of table 四, in the template's order (15 cells)."""
    return [(block.key, col.key) for block in FOUR_BLOCKS for col in FOUR_RESULTS]


def label(table: str, row: str, column: str | None = None) -> str:
    """How an error names a cell: 表三「…」行「…」列."""
    if table == "二":
        block, cell = TWO_ROWS[row]
        col = next((c.zh for c in block.columns if c.key == column), column)
        return f"表二「{cell.zh}」行「{col}」列"
    if table == "三":
        col = next((c.zh for c in THREE_COLUMNS if c.key == column), column)
        return f"表三「{three_row_label(row)}」行「{col}」列"
    block = next((b.zh for b in FOUR_BLOCKS if b.key == row), row)
    col = next((c.zh for c in FOUR_RESULTS if c.key == column), column)
    return f"表四「{block}」「{col}」列"


def describe() -> dict:
    """The template as data: sections, and every table's rows and columns with their keys and wording."""
    def cells(items) -> list[dict[str, str]]:
        return [{"key": c.key, "zh": c.zh, "en": c.en} for c in items]

    return {
        "template": TEMPLATE, "format": FORMAT,
        "sections": [{"key": s.key, "zh": s.zh, "en": s.en, "written_by_staff": s.text} for s in SECTIONS],
        "table_two": {"blocks": [{"article": b.article, "columns": cells(b.columns), "rows": cells(b.rows)}
                                 for b in TABLE_TWO],
                      "amount": {"row": "fees", "column": "amount", "unit": "万元", "decimals": DECIMAL_PLACES}},
        "table_three": {"columns": cells(THREE_COLUMNS),
                        "rows": [{"key": key, "zh": three_row_label(key)} for key in THREE_ROWS],
                        "counted_from": "disclosure requests"},
        "table_four": {"blocks": cells(FOUR_BLOCKS), "columns": cells(FOUR_RESULTS)},
        "checks": ["every figure a non-negative whole number; 收费 in 万元 with at most four decimals",
                   "table 三, every column: 一 + 二 = 三（七） + 四",
                   "table 三, every row: 总计 = the sum of the six applicant columns",
                   "table 三, every column: （七）总计 = the sum of the outcome rows",
                   "table 四, every block: 总计 = 结果维持 + 结果纠正 + 其他结果 + 尚未审结"],
    }
