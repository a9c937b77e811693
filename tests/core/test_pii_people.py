"""Personal names and home addresses are found by header and by values; mistyped ID numbers are not cards."""

from __future__ import annotations

import random
from datetime import date

import pytest

from opendata.core.codes import id_check_char, is_luhn_valid, luhn_check_digit
from opendata.core.pii import PiiScanner, classify_label, classify_text, mask_sample
from opendata.core.pii_people import COMPOUND_SURNAMES, SURNAMES
from tests.core.ingest_helpers import make_batch, make_schema

TODAY = date(2026, 1, 1)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌"


def _scan(fields, columns, labels=None):
    scanner = PiiScanner(make_schema(*fields), labels or [f["name"] for f in fields], today=TODAY)
    half = len(columns[0]) // 2  # two batches: the column decision spans batches
    scanner.scan(make_batch([c[:half] for c in columns]))
    scanner.scan(make_batch([c[half:] for c in columns], first_row=half + 2))
    return scanner.finish()


def _found(findings, source="values"):
    return {(f.field_name, f.kind): f for f in findings.findings if f.source == source}


def _names(n: int, seed: int = 42) -> list[str]:
    rng = random.Random(seed)
    singles, compounds = sorted(SURNAMES), sorted(COMPOUND_SURNAMES)
    out = []
    for _ in range(n):
        surname = rng.choice(compounds) if rng.random() < 0.03 else rng.choice(singles)
        out.append(surname + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2)))))
    return out


@pytest.mark.parametrize(("label", "kind"), [
    ("姓名", "name"), ("户主姓名", "name"), ("联系人", "name"), ("申请人", "name"), ("contact_person", "name"),
    ("Full Name", "name"), ("住址", "address"), ("地址", "address"), ("通讯地址", "address"), ("住所", "address"),
    ("户籍地", "address"), ("联系人电话", "mobile"), ("户主身份证号", "id-number"),
    ("单位地址", None), ("学校地址", None), ("医院地址", None), ("注册地址", None), ("单位名称", None), ("name", None),
])
def test_headers_that_name_people_or_homes_are_flagged(label, kind):
    assert classify_label(label) == kind


def test_a_column_of_chinese_names_is_found_by_its_values_under_any_header():
    names = _names(200)
    found = _found(_scan([{"name": "col3"}], [names]))
    f = found[("col3", "name")]
    assert f.count >= 0.8 * len(names) and len(f.samples) == 5
    assert all(v.endswith("*") and "*" not in v[:1] for _, v in f.samples)
    assert not f.resolved and f.samples[0][0] == 2  # row numbers of the file, header on row 1
    assert not any(name in str(f.to_dict()) for name in names)  # samples are masked


def test_long_columns_are_probed_per_batch_and_a_names_column_counted_in_full():
    names = _names(6000)
    words = ["道路破损", "噪音扰民", "垃圾清运"] * 2000
    found = _found(_scan([{"name": "who"}, {"name": "what"}], [names, words]))  # two batches of 3,000
    assert set(found) == {("who", "name")} and found[("who", "name")].count == len(names)


def test_masks_keep_the_surname_only_and_the_city_part_of_an_address():
    assert mask_sample("name", "张三丰") == "张**" and mask_sample("name", "欧阳娜娜") == "欧阳**"
    assert mask_sample("address", "青川市临江区青山小区3幢2单元501室") == "青川市临江区****"


@pytest.mark.parametrize("values", [
    ["公办", "民办"] * 50,  # a category whose values begin with surnames
    ["上城区", "西湖区", "滨江区", "萧山区", "余杭区"] * 20,  # places
    ["白鹭镇", "青山村", "月河社区", "临江街道", "云溪县"] * 20,
    ["城市管理", "交通运输", "环境保护", "市场监管", "教育", "卫生"] * 20,
    ["张某", "李某某", "王*", "赵**", "钱某"] * 20,  # already masked
    ["青川市财政局", "青川市人民医院", "临江区教育局", "白鹭镇人民政府", "云溪县农业农村局"] * 20,
])
def test_columns_that_only_look_like_names_are_not_flagged(values):
    assert _scan([{"name": "v"}], [values]).findings == []


def test_a_column_mostly_of_other_text_is_not_taken_for_names():
    rng = random.Random(42)
    names = _names(30)
    words = ["道路破损", "噪音扰民", "垃圾清运", "路灯不亮", "违章停车", "占道经营"]
    values = names + [rng.choice(words) for _ in range(70)]
    rng.shuffle(values)
    assert ("v", "name") not in _found(_scan([{"name": "v"}], [values]))


def test_names_in_a_typed_column_or_declared_lawful_are_handled():
    names = _names(50)
    found = _scan([{"name": "法定代表人", "x-pii": False}, {"name": "户主", "x-mask": {"method": "partial",
                                                                                      "keepFirst": 1}}],
                  [names, names])
    assert found.findings and not found.unresolved
    assert _found(found)[("法定代表人", "name")].resolution == "x-pii: false"


def test_home_addresses_are_found_by_their_values():
    rng = random.Random(42)
    homes = [f"青川市临江区{rng.choice(['青山', '月河', '湖滨'])}小区{rng.randint(1, 30)}幢{rng.randint(1, 4)}单元"
             f"{rng.randint(1, 18)}0{rng.randint(1, 4)}室" for _ in range(40)]
    villages = [f"云溪县白鹭镇{rng.choice(['青山', '南湾'])}村{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
                for _ in range(40)]
    offices = [f"青川市{rng.choice(['桥西路', '东风路', '健康路'])}{rng.randint(1, 400)}号" for _ in range(80)]
    found = _found(_scan([{"name": "a"}, {"name": "b"}, {"name": "c"}], [homes + villages, offices, homes[:30] + offices[:50]]))
    f = found[("a", "address")]
    assert f.count == 80 and f.samples[0][1].endswith("****")
    assert ("b", "address") not in found  # organizations' street addresses are not homes
    assert ("c", "address") not in found  # fewer than half of the cells


def _bad_check_id_passing_luhn() -> str:
    rng = random.Random(42)
    while True:
        body = f"330523{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        luhn = luhn_check_digit(body)
        if luhn != id_check_char(body):
            return body + luhn


def test_an_id_number_with_a_wrong_check_character_is_not_called_a_bank_card():
    number = _bad_check_id_passing_luhn()
    assert is_luhn_valid(number)
    assert classify_text(number, today=TODAY) == [("id-number-bad-check", number)]
    other = number[:17] + ("X" if id_check_char(number[:17]) != "X" else "0")  # wrong too, and no card
    found = _found(_scan([{"name": "a"}], [[number, other]]))
    assert set(found) == {("a", "id-number-bad-check")} and found[("a", "id-number-bad-check")].count == 2
    assert found[("a", "id-number-bad-check")].samples[0][1] == number[:6] + "********" + number[-4:]


def test_an_18_digit_card_that_is_no_id_shape_stays_a_bank_card():
    body = "62220202000012345"  # 20 02 02 00 is no birth date, 62 is no ID province prefix here
    card = body + luhn_check_digit(body)
    assert classify_text(card, today=TODAY) == [("bank-card", card)]
