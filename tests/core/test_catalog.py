"""catalog.yaml checking: every problem reported with its line, nothing accepted half-way."""

from __future__ import annotations

import json

import pytest

from opendata.core.catalog_file import load_catalog
from opendata.core.errors import CatalogError
from tests.conftest import BASIC_CATALOG, SIMPLE_SCHEMA, write_catalog


def _problems(tmp_path, body, schemas=None):
    path = write_catalog(tmp_path, body, schemas)
    with pytest.raises(CatalogError) as info:
        load_catalog(path, schemas_dir=tmp_path / "schemas")
    return info.value.problems


def _line_of(body: str, needle: str, nth: int = 1) -> int:
    count = 0
    for i, line in enumerate(body.splitlines(), start=1):
        if needle in line:
            count += 1
            if count == nth:
                return i
    raise AssertionError(needle)


def test_basic_catalog_loads(tmp_path):
    spec = load_catalog(write_catalog(tmp_path, BASIC_CATALOG), schemas_dir=tmp_path / "schemas")
    assert [o.slug for o in spec.organizations] == ["city", "finance"]
    budget, subsidies = spec.datasets
    assert budget.theme == "fiscal" and budget.keywords == ("预算", "财政")
    assert subsidies.theme == "agricultural-subsidies" and subsidies.frequency == "annual"
    assert subsidies.disclosure == "conditional" and "第十五条" in subsidies.legal_basis
    assert set(spec.schemas) == {"simple.json"}


def test_yaml_syntax_error_names_its_line(tmp_path):
    body = BASIC_CATALOG.replace("    keywords: [预算, 财政]", "    keywords: [预算, 财政")
    problems = _problems(tmp_path, body)
    assert problems[0].code == "yaml-error" and problems[0].line is not None


def test_unknown_schema_is_reported_at_its_line(tmp_path):
    body = BASIC_CATALOG.replace("schema: simple.json", "schema: missing.json", 1)
    problems = _problems(tmp_path, body)
    assert [(p.path, p.line) for p in problems] == [("datasets/0/schema", _line_of(body, "missing.json"))]
    assert "missing.json" in problems[0].message


def test_bad_schema_file_names_the_file_and_property(tmp_path):
    bad = {"fields": [{"name": "id", "type": "integr"}]}
    problems = _problems(tmp_path, BASIC_CATALOG, {"simple.json": SIMPLE_SCHEMA, "bad.json": bad})
    assert len(problems) == 1
    assert problems[0].file.endswith("bad.json") and problems[0].path == "fields/0/type"


def test_schema_named_by_a_dataset_and_invalid_is_reported_at_the_dataset(tmp_path):
    bad = {"fields": [{"name": "id", "type": "integer", "constraints": {"minimum": "zero"}}]}
    problems = _problems(tmp_path, BASIC_CATALOG, {"simple.json": bad})
    assert {p.path for p in problems} == {"datasets/0/schema", "datasets/1/schema"}
    assert "fields/0/constraints/minimum" in problems[0].message
    assert "simple.json" in problems[1].message


def test_missing_legal_basis_for_conditional_dataset(tmp_path):
    body = BASIC_CATALOG.replace("    legal_basis: 《中华人民共和国政府信息公开条例》第十五条（个人隐私）\n", "")
    problems = _problems(tmp_path, body)
    assert [(p.path, p.line) for p in problems] == [("datasets/1/legal_basis", _line_of(body, "disclosure: conditional"))]


def test_duplicate_identifier_reports_both_lines(tmp_path):
    body = BASIC_CATALOG.replace("  - id: subsidies", "  - id: budget")
    problems = _problems(tmp_path, body)
    dup = [p for p in problems if "duplicate dataset id" in p.message]
    assert len(dup) == 1 and dup[0].line == _line_of(body, "- id: budget", 2)
    assert f"first on line {_line_of(body, '- id: budget')}" in dup[0].message


def test_bad_credit_code_shape_is_an_error_and_failing_check_a_warning(tmp_path):
    from tests.conftest import CITY_CODE, FIN_CODE

    wrong_check = FIN_CODE[:17] + ("0" if FIN_CODE[17] != "0" else "1")
    body = BASIC_CATALOG.replace(CITY_CODE, "12345").replace(FIN_CODE, wrong_check)
    problems = _problems(tmp_path, body)
    assert [(p.path, p.line) for p in problems] == [("organizations/0/credit_code", _line_of(body, "12345"))]
    ok_body = BASIC_CATALOG.replace(FIN_CODE, wrong_check)
    spec = load_catalog(write_catalog(tmp_path, ok_body), schemas_dir=tmp_path / "schemas")
    assert [w.code for w in spec.warnings] == ["credit-code-check"]


def test_division_code_must_be_in_the_code_list(tmp_path):
    body = BASIC_CATALOG.replace('division_code: "330100"', 'division_code: "999999"', 1)
    problems = _problems(tmp_path, body)
    assert [(p.path, p.line) for p in problems] == [("organizations/0/division_code", _line_of(body, "999999"))]


def test_every_problem_is_listed_at_once(tmp_path):
    body = (BASIC_CATALOG.replace("theme: fiscal", "theme: weather")
            .replace("frequency: annual", "frequency: hourly")
            .replace("parent: city", "parent: nobody")
            .replace("license: CC-BY-4.0", "license: proprietary", 1)
            .replace("    keywords:", "    colour: red\n    keywords:"))
    problems = _problems(tmp_path, body)
    messages = " | ".join(p.message for p in problems)
    for fragment in ("unknown theme 'weather'", "unknown frequency 'hourly'", "parent 'nobody'",
                     "unknown license 'proprietary'", "unknown key 'colour'"):
        assert fragment in messages
    assert all(p.line for p in problems)


def test_parent_cycle_is_detected(tmp_path):
    body = BASIC_CATALOG.replace("    level: city\n    division_code: \"330100\"\n  - id: finance",
                                 "    level: city\n    division_code: \"330100\"\n    parent: finance\n  - id: finance")
    problems = _problems(tmp_path, body)
    assert any("own ancestor" in p.message for p in problems)


def test_source_files_are_checked_only_when_ingesting(tmp_path):
    path = write_catalog(tmp_path, BASIC_CATALOG)
    load_catalog(path, schemas_dir=tmp_path / "schemas")  # no error without check_sources
    with pytest.raises(CatalogError) as info:
        load_catalog(path, schemas_dir=tmp_path / "schemas", check_sources=True)
    assert info.value.problems[0].path == "datasets/0/source"


def test_duplicate_yaml_key_is_an_error(tmp_path):
    body = BASIC_CATALOG.replace("    license: CC-BY-4.0\n", "    license: CC-BY-4.0\n    license: CC0-1.0\n", 1)
    problems = _problems(tmp_path, body)
    assert problems[0].code == "yaml-error" and "duplicate key" in problems[0].message


def test_schema_json_syntax_error_has_a_line(tmp_path):
    path = write_catalog(tmp_path, BASIC_CATALOG)
    (tmp_path / "schemas" / "broken.json").write_text('{"fields": [\n  {"name": "a",}\n]}', encoding="utf-8")
    with pytest.raises(CatalogError) as info:
        load_catalog(path, schemas_dir=tmp_path / "schemas")
    (problem,) = info.value.problems
    assert problem.file.endswith("broken.json") and problem.line == 2
    json.dumps([p.to_dict() for p in info.value.problems])  # problems are plain data


def test_credit_code_with_a_bad_letter_is_reported_as_such_not_as_a_wrong_length(tmp_path):
    from tests.conftest import CITY_CODE

    bad = CITY_CODE[:10] + "I" + CITY_CODE[11:]
    problems = _problems(tmp_path, BASIC_CATALOG.replace(CITY_CODE, bad))
    assert [p.path for p in problems] == ["organizations/0/credit_code"]
    assert problems[0].message == (f"credit code '{bad}' character 11 is 'I', which GB 32100 does not use "
                                   "(allowed: digits and the capital letters A–Y except I, O, S, V and Z)")
