from datetime import date

import pytest

from opendata.core import codes


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91110000600037341L"])
def test_valid_credit_codes_pass_the_gb32100_check(code):
    assert codes.is_valid_uscc(code)


@pytest.mark.parametrize("code", ["91350100M000100Y44", "91350100M000100Y4", "91350100M00010OY43", ""])
def test_invalid_credit_codes_fail(code):
    assert not codes.is_valid_uscc(code)


def test_credit_code_check_char_is_computed_from_the_weights():
    assert codes.uscc_check_char("91350100M000100Y4") == "3"
    assert codes.uscc_check_char("short") is None


def test_credit_code_shape_is_separate_from_its_check():
    assert codes.is_uscc_shaped("91350100M000100Y44")
    assert not codes.is_uscc_shaped("91350100M000100Y4I")  # I is not in the character set


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "11010519491231002x"])
def test_valid_id_numbers(number):
    assert codes.is_valid_id_number(number)


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "110105194902300020",  # 30 February: check char for that body, but no such date
    "11010519491231002",   # too short
    "1101051949123100XX",
])
def test_invalid_id_numbers(number):
    assert not codes.is_valid_id_number(number)


def test_id_with_future_birth_date_is_invalid():
    body = "11010520991231001"
    assert not codes.is_valid_id_number(body + codes.id_check_char(body), today=date(2026, 1, 1))


def test_id_check_char_ten_is_written_x():
    assert codes.id_check_char("11010519491231002") == "X"


def test_legacy_15_digit_birth_date():
    assert codes.id_birth_date("110105491231002") == date(1949, 12, 31)


@pytest.mark.parametrize("digits,ok", [("4111111111111111", True), ("6222020200112233445", False),
                                       ("79927398713", True), ("79927398710", False), ("", False), ("12a4", False)])
def test_luhn(digits, ok):
    assert codes.is_luhn_valid(digits) is ok


@pytest.mark.parametrize("number,ok", [("13800138000", True), ("19912345678", True), ("12800138000", False),
                                       ("1380013800", False), ("138001380001", False)])
def test_mobile_numbers(number, ok):
    assert codes.is_mobile_number(number) is ok


def test_an_18_character_credit_code_with_a_letter_not_allowed_names_that_character():
    problem = codes.uscc_problem("91350100M00010OY43")
    assert problem == ("character 15 is 'O', which GB 32100 does not use "
                       "(allowed: digits and the capital letters A–Y except I, O, S, V and Z)")
    assert "18" not in problem


@pytest.mark.parametrize(("code", "fragment"), [
    ("91350100M000100Y4", "has 17 characters; a 统一社会信用代码 (GB 32100) has 18"),
    ("91350100M000100Y433", "has 19 characters"),
    ("", "has 0 characters"),
    ("9135A100M000100Y43", "character 5 is 'A'; characters 3 to 8 are the registering authority's GB/T 2260 "
                           "division code and must be digits"),
    ("91350100M000100Y4 ", "character 18 is U+0020"),
    ("9135０100M000100Y43", "character 5 is '０'"),
    ("91350100m000100Y43", "character 9 is 'm'"),
])
def test_credit_code_messages_say_exactly_what_is_wrong(code, fragment):
    assert fragment in codes.uscc_problem(code)


def test_a_well_shaped_credit_code_has_no_shape_problem_even_with_a_wrong_check_character():
    assert codes.uscc_problem("91350100M000100Y43") is None
    assert codes.uscc_problem("91350100M000100Y44") is None  # the check is a warning, asked separately


def test_full_width_digits_and_a_trailing_newline_are_not_code_shaped():
    assert not codes.is_uscc_shaped("９1350100M000100Y43")
    assert not codes.is_uscc_shaped("91350100M000100Y43\n")
    assert not codes.is_valid_id_number("11010519491231002X\n")
    assert not codes.is_mobile_number("１3800138000")


@pytest.mark.parametrize(("number", "message"), [
    ("1101051949123100", "has 16 characters; a 公民身份号码 (GB 11643) has 18"),
    ("11010519491231O02X", "character 15 is 'O'; the first 17 characters are digits"),
    ("11010519491231002Y", "character 18 is 'Y'; the check character is a digit or X"),
    ("11010519491331002X", "characters 7 to 14 are not a real date of birth (YYYYMMDD)"),
    ("110105194912310021", "its check character is 1, but the first 17 digits give X (GB 11643 MOD 11-2)"),
])
def test_id_number_messages_say_exactly_what_is_wrong(number, message):
    assert codes.id_number_problem(number, today=date(2026, 1, 1)) == message
    assert not codes.is_valid_id_number(number, today=date(2026, 1, 1))


def test_a_valid_id_number_has_no_problem():
    assert codes.id_number_problem("11010519491231002X") is None
