"""Tracking codes, contacts and identity numbers of applicants."""

from __future__ import annotations

import pytest

from opendata.core.errors import ValidationError, Warnings
from opendata.core.requests.applicant import (
    CODE_ALPHABET,
    check_email,
    check_id_number,
    check_text,
    contact_keys,
    format_tracking_code,
    lookup_key,
    mask_id_number,
    new_tracking_code,
    normalize_tracking_code,
)


def test_tracking_codes_are_long_random_and_free_of_look_alikes():
    codes = {new_tracking_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(c) >= 12 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set("01OIL") & set(CODE_ALPHABET)


def test_a_code_is_found_however_it_was_typed():
    code = new_tracking_code()
    shown = format_tracking_code(code)
    assert shown.count("-") == 3
    for typed in (shown, shown.lower(), f"  {code[:8]} {code[8:]} ", shown.replace("-", "－")):
        assert normalize_tracking_code(typed) == code
    assert normalize_tracking_code("O" * 16) is None and normalize_tracking_code(code[:-1]) is None


def test_the_status_contact_matches_the_form_contact_after_normalisation():
    keys = contact_keys(email="Li.Ming@Example.CN", phone="138 0013 8000")
    assert lookup_key(" li.ming@example.cn ") in keys
    assert lookup_key("13800138000") in keys
    assert lookup_key("１３８００１３８０００") in keys  # full-width digits
    assert lookup_key("li.ming@example.com") not in keys


def test_identity_card_numbers_need_a_valid_check_character_and_birth_date():
    assert check_id_number("resident-id", "11010519491231002x") == "11010519491231002X"
    for bad in ("110105194912310021", "11010519491331002X", "1101051949123100"):
        with pytest.raises(ValidationError) as err:
            check_id_number("resident-id", bad)
        assert err.value.problems[0].path == "id_number"


def test_credit_codes_with_a_failing_check_character_warn_but_pass():
    warnings = Warnings()
    assert check_id_number("credit-code", "91350100M000100Y43", warnings) == "91350100M000100Y43"
    assert not warnings.items
    check_id_number("credit-code", "91350100M000100Y44", warnings)
    assert [w.code for w in warnings.items] == ["credit-code-check"]
    with pytest.raises(ValidationError):
        check_id_number("credit-code", "123")


def test_staff_listings_see_only_the_first_and_last_character():
    masked = mask_id_number("11010519491231002X")
    assert masked == "1" + "*" * 16 + "X"
    assert "19491231" not in masked


@pytest.mark.parametrize(("value", "code"), [("", "required"), ("x" * 20001, "too-long"), ("a\x00b", "control-character"),
                                             ("evil\u202etxt", "control-character"), ("two\nlines", "control-character")])
def test_text_fields_refuse_empty_overlong_and_control_characters(value, code):
    with pytest.raises(ValidationError) as err:
        check_text(value, "subject", required=True, max_length=300)
    assert err.value.problems[0].code == code and err.value.problems[0].path == "subject"


def test_multiline_text_keeps_its_lines_and_html_is_kept_as_text():
    text = check_text("<script>alert(1)</script>\r\nline two", "description", required=True, max_length=100,
                      multiline=True)
    assert text == "<script>alert(1)</script>\nline two"


@pytest.mark.parametrize("bad", ["no-at-sign", "a@b", "a b@example.cn", "x@" + "a" * 300 + ".cn"])
def test_email_addresses_are_checked(bad):
    with pytest.raises(ValidationError):
        check_email(bad)


@pytest.mark.parametrize("bad", ["<x>@y.cn", "a..b@x.cn", "x@localhost", "evil\u202e@x.cn", "a\x85b@x.cn"])
def test_email_addresses_follow_the_catalogues_one_rule(bad):
    """What the catalogue's e-mail check refuses, the applicant's form refuses too, naming the field."""
    with pytest.raises(ValidationError) as err:
        check_email(bad, "contact_email")
    assert err.value.problems[0].path == "contact_email" and "contact_email" in err.value.problems[0].message


def test_an_applicants_real_addresses_pass_trimmed():
    assert check_email(" 用户@例子.中国 ") == "用户@例子.中国"
    assert check_email("a.b+c@x.cn") == "a.b+c@x.cn"


def test_text_problems_say_which_character_and_where():
    with pytest.raises(ValidationError) as err:
        check_text("预算\u202e执行", "subject", required=True, max_length=300)
    assert "U+202E (bidirectional control), at character 3" in err.value.problems[0].message


def test_code_messages_name_what_is_wrong_not_a_length_the_code_has():
    with pytest.raises(ValidationError) as err:
        check_id_number("credit-code", "91350100M00010OY43")  # 18 characters, 'O' not allowed
    assert "character 15 is 'O'" in err.value.problems[0].message and "18 characters" not in err.value.message
    with pytest.raises(ValidationError) as err:
        check_id_number("resident-id", "110105194912310021")
    assert "check character is 1, but the first 17 digits give X" in err.value.problems[0].message
