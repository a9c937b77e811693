"""A dataset's quality score, explained: what it earns, what it misses, and what would raise it.

Learnt from data.europa.eu's Metadata Quality Assessment (its five dimensions: findability,
accessibility, interoperability, reusability, contextuality, each check worth points) and uData's
score (a description worth reading, documented resources, a licence, coverage in time and space,
an update frequency kept, open formats, resources available). Computed only from what the platform
knows of the dataset: its catalogue entry, its Table Schema, its newest published version and its
timeliness. The score is the share of points earned, 0 to 100; the rating follows the MQA's bands
(excellent from 85, good from 55, sufficient from 30, else bad).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from opendata.core.vocab import LICENSES

DIMENSIONS = {
    "findability": ("可发现性", "Findability"),
    "accessibility": ("可获取性", "Accessibility"),
    "interoperability": ("互操作性", "Interoperability"),
    "reusability": ("可重用性", "Reusability"),
    "contextuality": ("背景信息", "Contextuality"),
}
RATINGS = ((85, "excellent", "优秀", "Excellent"), (55, "good", "良好", "Good"),
           (30, "sufficient", "合格", "Sufficient"), (0, "bad", "较差", "Bad"))
MIN_DESCRIPTION = 50  # characters: a sentence or two on what, where from, which period
MIN_KEYWORDS = 3


@dataclass(frozen=True)
class QualityFacts:
    """What the score looks at, taken from the catalogue, the schema and the newest published version."""

    description: str = ""
    keywords: tuple[str, ...] = ()
    title_en: str | None = None
    license: str | None = None
    contact: dict[str, Any] = field(default_factory=dict)
    disclosure: str = "unconditional"
    temporal: bool = False
    spatial: bool = False
    schema_fields: tuple[dict[str, Any], ...] = ()
    primary_key: bool = False
    published: bool = False
    formats: tuple[str, ...] = ()  # artifact kinds of the newest published version
    valid: bool = False
    warnings: int = 0  # validation warnings of the newest published version
    unresolved_pii: int = 0
    timeliness: str | None = None  # overdue, due-soon, on-time, no-schedule; None: not published data


@dataclass(frozen=True)
class Check:
    """One check: its dimension, its points, how to earn them (the hint), and how much of them a dataset earns."""

    key: str
    dimension: str
    points: int
    zh: str
    en: str
    hint_zh: str
    hint_en: str
    earn: Callable[[QualityFacts], float]  # 0.0 to 1.0 of the points


def _described_fields(f: QualityFacts) -> float:
    if not f.schema_fields:
        return 0.0
    return sum(1 for x in f.schema_fields if (x.get("description") or "").strip()) / len(f.schema_fields)


def _constrained(f: QualityFacts) -> float:
    if not f.schema_fields:
        return 0.0
    typed = any(x.get("type") not in (None, "string", "any") for x in f.schema_fields)
    constrained = any(x.get("constraints") for x in f.schema_fields)
    return (f.primary_key + typed + constrained) / 3


CHECKS: tuple[Check, ...] = (
    Check("description", "findability", 10, "说明充分", "A description worth reading",
          f"撰写至少 {MIN_DESCRIPTION} 字的数据说明：数据内容、来源、时间范围。",
          f"Write a description of at least {MIN_DESCRIPTION} characters: what the data holds, its source, its period.",
          lambda f: 1.0 if len(f.description.strip()) >= MIN_DESCRIPTION else 0.5 if f.description.strip() else 0.0),
    Check("keywords", "findability", 10, "关键词", "Keywords",
          f"添加至少 {MIN_KEYWORDS} 个关键词，便于检索。", f"Add at least {MIN_KEYWORDS} keywords so searches find it.",
          lambda f: min(len(f.keywords), MIN_KEYWORDS) / MIN_KEYWORDS),
    Check("temporal", "findability", 5, "时间范围", "Temporal coverage",
          "填写数据覆盖的起止日期。", "Declare the period the data covers (start and end dates).",
          lambda f: float(f.temporal)),
    Check("spatial", "findability", 5, "空间范围", "Spatial coverage",
          "填写数据覆盖的地域范围。", "Declare the area the data covers.", lambda f: float(f.spatial)),
    Check("published", "accessibility", 15, "已发布数据", "Data published",
          "上传并发布数据文件。", "Upload and publish the data.", lambda f: float(f.published)),
    Check("open-access", "accessibility", 10, "无条件开放", "Open without conditions",
          "在法律允许时改为无条件开放，任何人可直接下载。",
          "Open it without conditions where the law allows, so anyone can download it.",
          lambda f: 1.0 if f.disclosure == "unconditional" else 0.0),
    Check("open-formats", "interoperability", 10, "开放机读格式", "Open machine-readable formats",
          "发布数据后平台自动提供 CSV 与 Parquet。", "Publish the data: the platform serves it as CSV and Parquet.",
          lambda f: float({"csv", "parquet"} <= set(f.formats))),
    Check("field-descriptions", "interoperability", 10, "字段说明", "Field descriptions",
          "为表结构（Table Schema）的每个字段填写说明。", "Describe every field of the Table Schema.",
          _described_fields),
    Check("schema-constraints", "interoperability", 10, "结构约束", "Schema with types and constraints",
          "在表结构中声明主键、字段类型和取值约束。",
          "Give the Table Schema a primary key, field types and constraints.", _constrained),
    Check("license", "reusability", 10, "开放许可", "Open licence",
          "选择平台许可清单中的开放许可。", "Choose an open licence from the platform's list.",
          lambda f: float(f.license in LICENSES)),
    Check("contact", "reusability", 10, "联系方式", "Contact point",
          "填写联系人的电子邮箱或电话。", "Give a contact e-mail address or telephone number.",
          lambda f: float(bool((f.contact or {}).get("email") or (f.contact or {}).get("phone")))),
    Check("valid", "reusability", 10, "数据有效", "Valid data",
          "最新版本通过表结构校验，无未处理的警告和个人信息发现。",
          "Make the newest version pass its Table Schema with no warnings or unresolved personal-information findings.",
          lambda f: float(f.published and f.valid and not f.warnings and not f.unresolved_pii)),
    Check("on-time", "contextuality", 10, "按时更新", "Updated on time",
          "按更新周期及时发布新版本。", "Publish new versions as often as the update frequency says.",
          lambda f: 1.0 if f.timeliness in ("on-time", "due-soon", "no-schedule") else 0.0),
    Check("english-title", "contextuality", 5, "英文名称", "English title",
          "填写英文名称，便于国际用户使用。", "Give an English title for readers abroad.",
          lambda f: float(bool((f.title_en or "").strip()))),
)
MAX_POINTS = sum(c.points for c in CHECKS)


def rating(score: int) -> tuple[str, str, str]:
    """(key, Chinese, English) of a score's band."""
    for floor, key, zh, en in RATINGS:
        if score >= floor:
            return key, zh, en
    return RATINGS[-1][1:]


def quality_score(facts: QualityFacts) -> int:
    """The score alone, 0 to 100 (what search sorts and filters by)."""
    earned = sum(c.points * c.earn(facts) for c in CHECKS)
    return round(100 * earned / MAX_POINTS)


def assess(facts: QualityFacts) -> dict[str, Any]:
    """The score with its breakdown by dimension and check, and what would raise it (most points first)."""
    checks, dims = [], {d: [0.0, 0] for d in DIMENSIONS}
    for c in CHECKS:
        share = c.earn(facts)
        earned = round(c.points * share, 1)
        dims[c.dimension][0] += earned
        dims[c.dimension][1] += c.points
        checks.append({"key": c.key, "dimension": c.dimension, "name": c.zh, "name_en": c.en, "points": earned,
                       "max_points": c.points, "passed": share >= 1.0, "hint": c.hint_zh, "hint_en": c.hint_en})
    score = quality_score(facts)
    key, zh, en = rating(score)
    raise_by = sorted((c for c in checks if not c["passed"]), key=lambda c: c["points"] - c["max_points"])
    return {"score": score, "rating": key, "rating_name": zh, "rating_name_en": en,
            "points": round(sum(d[0] for d in dims.values()), 1), "max_points": MAX_POINTS,
            "dimensions": [{"key": d, "name": DIMENSIONS[d][0], "name_en": DIMENSIONS[d][1], "points": round(p, 1),
                            "max_points": m} for d, (p, m) in dims.items()],
            "checks": checks,
            "improvements": [{"key": c["key"], "name": c["name"], "name_en": c["name_en"],
                              "points": round(c["max_points"] - c["points"], 1),
                              "score": round(100 * (c["max_points"] - c["points"]) / MAX_POINTS, 1),
                              "hint": c["hint"], "hint_en": c["hint_en"]} for c in raise_by]}
