"""Catalogue codes are <publisher code>/<sequence>; organizations sit where their division codes say."""

from __future__ import annotations

import pytest

from opendata.core import cataloguerules
from opendata.core.catalog_file import load_catalog
from opendata.core.errors import CatalogError
from tests.conftest import BASIC_CATALOG, FIN_CODE, make_credit_code, write_catalog

FIN_PREFIXES = cataloguerules.publisher_codes(credit_code=FIN_CODE, division_code="330100")


def _problems(tmp_path, body):
    path = write_catalog(tmp_path, body)
    with pytest.raises(CatalogError) as info:
        load_catalog(path, schemas_dir=tmp_path / "schemas")
    return info.value.problems


def _line_of(body: str, needle: str, *, after: str = "") -> int:
    start = next(i for i, line in enumerate(body.splitlines(), start=1) if after in line) if after else 0
    return next(i for i, line in enumerate(body.splitlines(), start=1) if i > start and needle in line)


def test_publisher_codes_are_the_organization_code_the_credit_code_and_the_division_code():
    assert (FIN_CODE[8:17], FIN_CODE, "330100") == FIN_PREFIXES
    assert cataloguerules.publisher_codes(credit_code=None, division_code="330523101") == ("330523101",)


@pytest.mark.parametrize("code", [f"{FIN_CODE[8:17]}/00001", f"{FIN_CODE}/1", "330100/202410-00013"])
def test_codes_of_the_publisher_are_accepted(code):
    assert cataloguerules.catalogue_code_problem(code, publisher="finance", prefixes=FIN_PREFIXES) is None


@pytest.mark.parametrize("code", ["hello world", "330100", "330100/", "/00001", "330100/ab", "330100-FIN-0001",
                                  "330100/00001/2", "330100/0001\n", "qc/00001", "330100/１２３"])
def test_codes_not_in_the_format_are_refused_with_the_format_and_an_example(code):
    problem = cataloguerules.catalogue_code_problem(code, publisher="finance", prefixes=FIN_PREFIXES)
    assert problem is not None
    assert "<publisher code>/<sequence>" in problem and f"'{FIN_CODE[8:17]}/00001'" in problem


def test_a_code_of_another_publisher_is_refused_naming_the_allowed_prefixes():
    problem = cataloguerules.catalogue_code_problem("110101/00001", publisher="finance", prefixes=FIN_PREFIXES)
    assert "'110101'" in problem and "'finance'" in problem and "'330100'" in problem


@pytest.mark.parametrize(("level", "code", "actual"), [
    ("province", "330100", "city"), ("city", "330102", "county"), ("county", "330000", "province"),
    ("city", "330523101", "township"), ("township", "330523", "county")])
def test_level_must_match_the_division_code(level, code, actual):
    problem = cataloguerules.level_problem(level, code)
    assert f"level '{level}'" in problem and f"{actual}-level code" in problem


def test_matching_levels_pass():
    for level, code in (("province", "110000"), ("county", "110101"), ("city", "330500"), ("township", "330523101")):
        assert cataloguerules.level_problem(level, code) is None


def test_a_province_cannot_sit_under_a_township():
    problem = cataloguerules.parent_problem(level="province", division_code="330000", parent="bailu",
                                            parent_level="township", parent_division="330523101")
    assert problem == "a province-level organization cannot sit under 'bailu', which is township-level"


def test_beijing_dongcheng_cannot_sit_under_a_city_of_another_province():
    problem = cataloguerules.parent_problem(level="county", division_code="110101", parent="hz",
                                            parent_level="city", parent_division="330500")
    assert "110101 (北京市东城区) is not within 330500 (浙江省湖州市)" in problem and "'hz'" in problem


@pytest.mark.parametrize(("child", "parent"), [
    ("330502", "330500"), ("330500", "330500"), ("330523101", "330523"), ("330523101", "330000"),
    ("110101", "110000")])
def test_a_division_inside_its_parents_division_passes(child, parent):
    level = {6: "county", 9: "township"}[len(child)] if not child.endswith("00") else "city"
    parent_level = "province" if parent.endswith("0000") else "city" if parent.endswith("00") else "county"
    assert cataloguerules.parent_problem(level=level, division_code=child, parent="p", parent_level=parent_level,
                                         parent_division=parent) is None


def test_sync_refuses_hello_world_as_a_catalogue_code_at_its_line(tmp_path):
    body = BASIC_CATALOG.replace('code: "330100/00001"', 'code: "hello world"')
    (problem,) = _problems(tmp_path, body)
    assert (problem.path, problem.line) == ("datasets/0/code", _line_of(body, "hello world"))
    assert "catalogue code 'hello world' is not <publisher code>/<sequence>" in problem.message


def test_sync_refuses_a_code_of_another_publisher(tmp_path):
    body = BASIC_CATALOG.replace('code: "330100/00002"', 'code: "110101/00002"')
    (problem,) = _problems(tmp_path, body)
    assert (problem.path, problem.line) == ("datasets/1/code", _line_of(body, "110101/00002"))


def _with_org(extra: str) -> str:
    return BASIC_CATALOG.replace("datasets:\n", extra + "datasets:\n", 1)


def test_sync_refuses_a_province_under_a_township_naming_the_parent_line(tmp_path):
    body = _with_org(f"""\
  - id: bailu
    name: 白鹭镇人民政府
    level: township
    division_code: "330102100"
    parent: city
  - id: zhejiang
    name: 浙江省人民政府
    credit_code: {make_credit_code("11330000000000009")}
    level: province
    division_code: "330000"
    parent: bailu
""")
    problems = _problems(tmp_path, body)
    assert [(p.path, p.line) for p in problems] == [("organizations/3/parent", _line_of(body, "parent: bailu"))]
    assert "province-level organization cannot sit under 'bailu'" in problems[0].message


def test_sync_refuses_beijing_dongcheng_under_a_city_of_zhejiang(tmp_path):
    body = _with_org("""\
  - id: dongcheng
    name: 北京市东城区人民政府
    level: county
    division_code: "110101"
    parent: city
""")
    (problem,) = _problems(tmp_path, body)
    assert (problem.path, problem.line) == ("organizations/2/parent", _line_of(body, "parent: city", after="id: dongcheng"))
    assert "110101 (北京市东城区) is not within 330100 (浙江省杭州市)" in problem.message


def test_sync_refuses_a_level_that_does_not_match_the_division_code(tmp_path):
    body = BASIC_CATALOG.replace("    level: city\n", "    level: province\n", 1)
    (problem,) = _problems(tmp_path, body)
    assert (problem.path, problem.line) == ("organizations/0/level", _line_of(body, "level: province"))
    assert "330100 (浙江省杭州市), which is a city-level code" in problem.message


def test_the_sample_catalogue_follows_every_rule():
    spec = load_catalog("catalog.yaml", schemas_dir="schemas")
    by_slug = {o.slug: o for o in spec.organizations}
    for ds in spec.datasets:
        assert ds.code.split("/")[0] in by_slug[ds.publisher].publisher_codes
