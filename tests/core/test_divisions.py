"""GB/T 2260 code list: real codes, absent codes, township codes and levels."""

from __future__ import annotations

import pytest

from opendata.core import divisions
from opendata.core.divisions import (
    division_count,
    division_full_name,
    division_level,
    division_name,
    division_parent,
    is_known_division,
    township_kind,
)


@pytest.mark.parametrize(("code", "name"), [
    ("110105", "朝阳区"),
    ("110000", "北京市"),
    ("330500", "湖州市"),
    ("330523", "安吉县"),
    ("440507", "龙湖区"),
    ("429004", "仙桃市"),  # county-level city directly under the province
    ("441900", "东莞市"),  # prefecture-level city without counties
    ("653228", "和康县"),  # set up in 2024, missing from older lists
    ("540481", "米林市"),  # 米林县 became a city
])
def test_real_codes_are_known_with_their_names(code, name):
    assert is_known_division(code)
    assert division_name(code) == name


@pytest.mark.parametrize("code", [
    "110199",  # shaped like a Beijing district, not in the list
    "999999",
    "440524",  # 潮阳县, abolished in 2003 (old ID numbers still carry it)
    "540422",  # 米林县, replaced by 540481 米林市
    "500157",  # 两江新区: a functional zone in map data, not a division
    "000000",
    "11010",
    "1101050",
    "11010a",
    "",
    None,
])
def test_unknown_or_malformed_codes_are_rejected(code):
    assert not is_known_division(code)
    assert division_name(code) is None
    assert division_level(code) is None


def test_chongqing_districts_missing_from_map_data_are_kept():
    assert division_name("500105") == "江北区"
    assert division_name("500112") == "渝北区"


@pytest.mark.parametrize(("code", "level"), [
    ("110000", "province"),
    ("330500", "city"),
    ("330502", "county"),
    ("110105", "county"),
    ("330502001", "township"),
])
def test_levels_follow_the_code_shape(code, level):
    assert division_level(code) == level


@pytest.mark.parametrize(("code", "kind"), [
    ("330502001", "街道"), ("330502099", "街道"), ("330521100", "镇"),
    ("330521199", "镇"), ("330523200", "乡"), ("330523399", "乡"),
])
def test_township_codes_under_a_known_county_are_accepted(code, kind):
    assert is_known_division(code)
    assert township_kind(code) == kind
    assert division_name(code) is None  # no national township list


@pytest.mark.parametrize("code", ["330502000", "330502400", "330502999", "110199001", "999999001"])
def test_township_codes_with_bad_suffix_or_unknown_county_are_rejected(code):
    assert not is_known_division(code)
    assert township_kind(code) is None


def test_full_names_and_parents():
    assert division_full_name("110105") == "北京市朝阳区"
    assert division_full_name("330523") == "浙江省湖州市安吉县"
    assert division_full_name("110000") == "北京市"
    assert division_full_name("999999") is None
    assert division_parent("330523") == "330500"
    assert division_parent("330500") == "330000"
    assert division_parent("330000") is None
    assert division_parent("110105") == "110000"
    assert division_parent("330523200") == "330523"


def test_whitespace_around_a_code_is_ignored():
    assert is_known_division(" 110105 ")


def test_list_has_every_province_and_about_3200_codes():
    assert 3100 < division_count() < 3400
    provinces = [c for c in ("11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33",
                             "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50",
                             "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82")]
    for p in provinces:
        assert division_level(p + "0000") == "province", p


def test_data_file_is_sorted_unique_and_well_formed():
    from opendata.core.divisions import DATA_FILE

    lines = [ln for ln in DATA_FILE.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    codes = [ln.split("\t")[0] for ln in lines]
    assert codes == sorted(set(codes))
    for ln in lines:
        code, name = ln.split("\t")
        assert len(code) == 6 and code.isdigit() and name.strip() == name and name, ln


@pytest.mark.parametrize(("code", "message"), [
    ("33010", "has 5 characters; a division code has 6 digits (GB/T 2260) or 9 for a township (GB/T 10114)"),
    ("33A100", "character 3 is 'A'; a division code is all digits (0-9)"),
    ("３30100", "character 1 is '３'; a division code is all digits (0-9)"),
    ("999999", "is not in the GB/T 2260 code list"),
    ("999999001", "its county part 999999 is not in the GB/T 2260 code list"),
    ("330502400", "its township suffix 400 is outside 001–399 (GB/T 10114: 街道 001–099, 镇 100–199, 乡 200–399)"),
])
def test_division_code_messages_say_exactly_what_is_wrong(code, message):
    assert divisions.division_problem(code) == message


@pytest.mark.parametrize("code", ["330100", "110101", "330523101"])
def test_known_division_codes_have_no_problem(code):
    assert divisions.division_problem(code) is None
