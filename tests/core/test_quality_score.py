"""The quality score (opendata.core.quality) against points counted by hand from its table of checks.

Points (130 in all): description 10, keywords 10, temporal 5, spatial 5 (findability); published 15,
open access 10 (accessibility); open formats 10, field descriptions 10, schema constraints 10
(interoperability); licence 10, contact 10, valid 10 (reusability); on time 10, English title 5
(contextuality).
"""

from __future__ import annotations

from opendata.core.quality import MAX_POINTS, QualityFacts, assess, quality_score, rating

FIELDS = ({"name": "id", "type": "integer", "description": "编号"}, {"name": "a", "type": "string", "description": "甲"},
          {"name": "b", "type": "string", "description": "乙"}, {"name": "c", "type": "string"})

FULL = QualityFacts(
    description="本数据集收录示例市各区县的财政支出明细，数据来自财政局预算执行系统，覆盖2020年至2025年。" * 2,
    keywords=("财政", "支出", "预算"), title_en="Spending", license="CC-BY-4.0", contact={"email": "a@b.cn"},
    disclosure="unconditional", temporal=True, spatial=True,
    schema_fields=tuple({**f, "description": "说明", "constraints": {"required": True}} for f in FIELDS),
    primary_key=True, published=True, formats=("csv", "parquet", "xlsx"), valid=True, timeliness="on-time")

# by hand: description 5 (short), keywords 2/3 of 10, temporal 5, licence 10, contact 10, published 15,
# field descriptions 3/4 of 10, constraints 2/3 of 10 (primary key and types, no constraints): 65.83 of 130
PARTIAL = QualityFacts(
    description="短说明", keywords=("财政", "支出"), license="CC-BY-4.0", contact={"email": "a@b.cn"},
    disclosure="conditional", temporal=True, schema_fields=FIELDS, primary_key=True, published=True,
    formats=("csv",), valid=True, warnings=1, timeliness="overdue")


def test_the_points_add_up_to_130_over_five_dimensions():
    assert MAX_POINTS == 130
    assert [(d["key"], d["max_points"]) for d in assess(QualityFacts())["dimensions"]] == [
        ("findability", 30), ("accessibility", 25), ("interoperability", 30), ("reusability", 30),
        ("contextuality", 15)]


def test_a_dataset_with_everything_scores_100_and_has_nothing_to_improve():
    got = assess(FULL)
    assert (got["score"], got["rating"], got["points"]) == (100, "excellent", 130)
    assert got["improvements"] == [] and all(c["passed"] for c in got["checks"])


def test_an_empty_entry_earns_only_open_access():
    got = assess(QualityFacts())
    assert got["score"] == round(100 * 10 / 130) == 8 and got["rating"] == "bad"
    assert [c["key"] for c in got["checks"] if c["points"]] == ["open-access"]


def test_partial_metadata_earns_shares_of_points_counted_by_hand():
    got = assess(PARTIAL)
    assert got["score"] == 51 == quality_score(PARTIAL) and got["rating"] == "sufficient"
    points = {c["key"]: c["points"] for c in got["checks"]}
    assert points == {"description": 5.0, "keywords": 6.7, "temporal": 5.0, "spatial": 0.0, "published": 15.0,
                      "open-access": 0.0, "open-formats": 0.0, "field-descriptions": 7.5,
                      "schema-constraints": 6.7, "license": 10.0, "contact": 10.0, "valid": 0.0, "on-time": 0.0,
                      "english-title": 0.0}
    assert {d["key"]: d["points"] for d in got["dimensions"]} == {
        "findability": 16.7, "accessibility": 15.0, "interoperability": 14.2, "reusability": 20.0,
        "contextuality": 0.0}


def test_improvements_list_the_most_points_first_with_their_hint():
    got = assess(PARTIAL)
    assert [i["key"] for i in got["improvements"]] == [
        "open-access", "open-formats", "valid", "on-time", "description", "spatial", "english-title", "keywords",
        "schema-constraints", "field-descriptions"]
    first = got["improvements"][0]
    assert (first["points"], first["score"]) == (10.0, 7.7) and "without conditions" in first["hint_en"]


def test_a_warning_or_unresolved_personal_information_loses_the_validity_points():
    base = {**FULL.__dict__}
    assert quality_score(QualityFacts(**{**base, "warnings": 2})) == round(100 * 120 / 130)
    assert quality_score(QualityFacts(**{**base, "unresolved_pii": 1})) == round(100 * 120 / 130)
    assert quality_score(QualityFacts(**{**base, "timeliness": "overdue"})) == round(100 * 120 / 130)
    assert quality_score(QualityFacts(**{**base, "timeliness": "due-soon"})) == 100


def test_ratings_follow_the_mqa_bands():
    assert [rating(s)[0] for s in (100, 85, 84, 55, 54, 30, 29, 0)] == [
        "excellent", "excellent", "good", "good", "sufficient", "sufficient", "bad", "bad"]
