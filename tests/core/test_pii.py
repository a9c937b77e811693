import random
from datetime import date

import pytest

from opendata.core.codes import id_check_char
from opendata.core.pii import PiiFindings, PiiScanner, classify_label, classify_text, mask_sample
from tests.core.ingest_helpers import make_batch, make_schema

TODAY = date(2026, 1, 1)


def _scan(fields, columns, labels=None, **options):
    schema = make_schema(*fields)
    labels = labels or [f["name"] for f in fields]
    scanner = PiiScanner(schema, labels, today=TODAY, **options)
    scanner.scan(make_batch(columns))
    return scanner.finish()


def _by_kind(findings: PiiFindings, source="values"):
    return {(f.field_name, f.kind): f for f in findings.findings if f.source == source}


def test_valid_example_ids_are_found_and_masked_in_samples():
    found = _scan([{"name": "a"}], [["11010519491231002X", "440524188001010014", "x"]])
    f = _by_kind(found)[("a", "id-number")]
    assert f.count == 2
    assert f.samples == [(2, "110105********002X"), (3, "440524********0014")]
    assert "11010519491231002X" not in str(found.to_dict())


def test_wrong_check_character_or_impossible_birth_date_is_not_an_id():
    bad_check = "110105194912310021"
    bad_date = "110105194913310020"
    bad_date = bad_date[:17] + id_check_char(bad_date[:17])  # right check char, month 13
    future = "110105209912310010"
    future = future[:17] + id_check_char(future[:17])
    found = _scan([{"name": "a"}], [[bad_check, bad_date, future]])
    assert ("a", "id-number") not in _by_kind(found)


def test_vectorized_and_python_paths_agree_on_random_ids():
    rng = random.Random(42)
    values = []
    for _ in range(300):
        first17 = f"{rng.randint(110000, 659999)}{rng.randint(1900, 2020)}{rng.randint(1, 12):02d}{rng.randint(1, 31):02d}{rng.randint(0, 999):03d}"
        check = id_check_char(first17) if rng.random() < 0.5 else rng.choice("0123456789X")
        values.append(first17 + check)
    found = _scan([{"name": "a"}, {"name": "b"}], [values, [f"号码{v}。" for v in values]])
    by = _by_kind(found)
    expected = sum(1 for v in values if classify_text(v, today=TODAY) == [("id-number", v)])
    assert expected > 100
    assert by[("a", "id-number")].count == expected
    assert by[("b", "id-number")].count == expected


def test_mobile_numbers_whole_cell_spaced_and_embedded():
    found = _scan([{"name": "tel"}, {"name": "note"}],
                  [["13800138000", "12800138000", "1380013800"],
                   ["电话138-0013-8000", "19912345678转", "021-12345678"]], labels=["x", "y"])
    by = _by_kind(found)
    assert by[("tel", "mobile")].count == 1
    assert by[("tel", "mobile")].samples == [(2, "138****8000")]
    assert by[("note", "mobile")].count == 2


def test_bank_cards_need_luhn():
    found = _scan([{"name": "c"}], [["6222020200001234567", "4111111111111111", "4111111111111112"]])
    by = _by_kind(found)
    luhn_ok = [v for v in ["6222020200001234567", "4111111111111111"]
               if classify_text(v) == [("bank-card", v)]]
    assert by[("c", "bank-card")].count == len(luhn_ok) >= 1
    assert by[("c", "bank-card")].samples[0][1].startswith(luhn_ok[0][:4] + "****")


def test_email_addresses():
    found = _scan([{"name": "m"}], [["zhang.san@example.gov.cn", "no at sign", "a@b"]])
    f = _by_kind(found)[("m", "email")]
    assert f.count == 1 and f.samples == [(2, "z***@example.gov.cn")]


def test_legacy_15_digit_ids_only_when_asked():
    value = "110105491231002"
    assert ("a", "id-number") not in _by_kind(_scan([{"name": "a"}], [[value]]))
    assert _by_kind(_scan([{"name": "a"}], [[value]], legacy_ids=True))[("a", "id-number")].count == 1


@pytest.mark.parametrize("label,kind", [
    ("身份证号码", "id-number"), ("证件号码", "id-number"), ("联系电话", "mobile"), ("手机", "mobile"),
    ("家庭住址", "address"), ("银行账号", "bank-card"), ("id_card", "id-number"),
    ("Mobile Phone", "mobile"), ("home_address", "address"), ("bank account", "bank-card"),
    ("单位名称", None), ("hotel", None), ("amount", None),
])
def test_suspicious_column_names(label, kind):
    assert classify_label(label) == kind


def test_header_findings_and_resolution_by_mask_or_pii_false():
    fields = [
        {"name": "身份证号", "x-mask": {"method": "hash"}},
        {"name": "联系电话", "x-pii": False},
        {"name": "备注"},
    ]
    found = _scan(fields, [["11010519491231002X"], ["13800138000"], ["13800138000"]])
    labels = _by_kind(found, "label")
    assert set(labels) == {("身份证号", "id-number"), ("联系电话", "mobile")}
    assert all(f.resolved for f in labels.values())
    by = _by_kind(found)
    assert by[("身份证号", "id-number")].resolution == "x-mask: hash"
    assert by[("联系电话", "mobile")].resolution == "x-pii: false"
    assert [(f.field_name, f.kind) for f in found.unresolved] == [("备注", "mobile")]
    assert found.blocks_publishing
    assert PiiFindings.from_dict(found.to_dict()).to_dict() == found.to_dict()


def test_declared_kind_without_mask_is_still_unresolved():
    found = _scan([{"name": "x", "x-pii": "mobile"}], [["13800138000"]])
    assert found.unresolved and found.unresolved[0].kind == "mobile"


def test_clean_data_has_no_findings():
    rng = random.Random(42)
    columns = [[str(rng.randint(1, 10**8)) for _ in range(500)],
               [f"{rng.uniform(0, 1e6):.2f}" for _ in range(500)],
               ["某某局第三季度工作安排" for _ in range(500)]]
    found = _scan([{"name": "id"}, {"name": "amount"}, {"name": "remark"}], columns)
    assert found.findings == [] and not found.blocks_publishing


def test_mask_sample_shapes():
    assert mask_sample("mobile", "13800138000") == "138****8000"
    assert mask_sample("bank-card", "6222020200001234567") == "6222***********4567"
    assert mask_sample("id-number", "123") == "***"


def test_typed_columns_that_cannot_hold_pii_are_skipped_but_numbers_are_scanned():
    found = _scan([{"name": "d", "type": "date"}, {"name": "n", "type": "integer"}],
                  [["13800138000"], ["13800138000"]])
    assert set(_by_kind(found)) == {("n", "mobile")}


def test_numeric_columns_use_the_typed_values_as_prefilter():
    import pyarrow as pa

    schema = make_schema({"name": "n", "type": "integer"}, {"name": "x", "type": "number"})
    scanner = PiiScanner(schema, ["n", "x"], today=TODAY)
    raw = make_batch([["13800138000", "12", "4111111111111111"], ["1.5", "13800138000", "2"]])
    typed = pa.record_batch([pa.array([13800138000, 12, 4111111111111111]),
                             pa.array([1.5, 13800138000.0, 2.0])], names=["n", "x"])
    scanner.scan(raw, typed)
    by = _by_kind(scanner.finish())
    assert by[("n", "mobile")].count == 1 and by[("n", "bank-card")].count == 1
    assert by[("x", "mobile")].count == 1


@pytest.mark.parametrize("cells,expected", [
    (["某某局", "已结案"], False),
    (["a@b"], True),
    (["电话138-0013-8000"], True),
    (["12345", "678901234"], False),  # every cell shorter than 11 bytes
    (["12345", "678901234。。"], True),  # conservative across cells; the per-cell test decides
    (["2023", "06", "18"], False),
    ([None, ""], False),
])
def test_column_byte_prefilter_never_misses(cells, expected):
    import pyarrow as pa

    from opendata.core.pii import _may_hold_pii

    arr = pa.array(cells, pa.string())
    assert _may_hold_pii(arr) is expected
    assert _may_hold_pii(pa.array(["x"] * 3 + cells, pa.string()).slice(3)) is expected


def test_digits_split_across_cells_are_not_findings():
    assert _scan([{"name": "a"}], [["12345", "678901234"]]).findings == []


def test_all_digit_credit_code_passing_luhn_is_not_a_bank_card():
    from opendata.core.codes import is_luhn_valid, uscc_check_char

    # find an all-digit 统一社会信用代码 that also happens to pass the Luhn check
    for n in range(10_000):
        body = f"1233052{n:010d}"
        check = uscc_check_char(body)
        if check.isdigit() and is_luhn_valid(body + check):
            code = body + check
            break
    assert classify_text(code) == []
    assert classify_text("4111111111111111") == [("bank-card", "4111111111111111")]
