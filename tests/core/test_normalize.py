from opendata.core.normalize import Normalizer, applicable_normalizers
from tests.core.ingest_helpers import make_batch, make_schema


def _run(field: dict, values: list[str | None]):
    schema = make_schema(field)
    norm = Normalizer(schema)
    out = norm.apply(make_batch([values]))
    return out.columns[0].to_pylist(), norm


def test_fullwidth_digits_in_integer_field_become_ascii():
    values, norm = _run({"name": "n", "type": "integer", "x-normalize": True}, ["１２３", "45", "－７"])
    assert values == ["123", "45", "-7"]
    [stat] = norm.stats
    assert (stat.normalizer, stat.count, stat.row_numbers) == ("fullwidth", 2, [2, 4])


def test_fullwidth_punctuation_in_number_field():
    values, _ = _run({"name": "n", "type": "number", "x-normalize": ["fullwidth"]},
                     ["１２．５", "５０％", "１，２３４"])
    assert values == ["12.5", "50%", "1,234"]


def test_string_field_keeps_chinese_punctuation_but_converts_digits():
    values, _ = _run({"name": "s", "type": "string", "x-normalize": True},
                     ["北京，上海", "编号１２３", "ＡＢ"])
    assert values == ["北京，上海", "编号123", "AB"]


def test_spaces_zero_width_removed_and_ideographic_space_trimmed():
    values, norm = _run({"name": "s", "type": "string", "x-normalize": ["spaces"]},
                        ["\u3000张三\u3000", "a\u200bb", "\ufeffx", "ok", None])
    assert values == ["张三", "ab", "x", "ok", None]
    assert norm.stats[0].count == 3


def test_currency_and_thousands_only_for_numbers():
    values, norm = _run({"name": "n", "type": "number", "x-normalize": True},
                        ["¥1,234", "￥1,234.50", "1,234,567", "1,23", "100元", "12"])
    assert values == ["1234", "1234.50", "1234567", "1,23", "100", "12"]
    assert {s.normalizer: s.count for s in norm.stats} == {"currency": 3, "thousands": 3}
    kept, norm = _run({"name": "s", "type": "string", "x-normalize": True}, ["¥1,234"])
    assert kept == ["¥1,234"] and norm.stats == []


def test_chinese_dates_for_date_yearmonth_and_year():
    values, _ = _run({"name": "d", "type": "date", "x-normalize": True},
                     ["2023年6月18日", "2023年06月01日", "2023-06-18", "6月18日"])
    assert values == ["2023-06-18", "2023-06-01", "2023-06-18", "6月18日"]
    values, _ = _run({"name": "m", "type": "yearmonth", "x-normalize": True}, ["2023年6月", "2023年12月"])
    assert values == ["2023-06", "2023-12"]
    values, _ = _run({"name": "y", "type": "year", "x-normalize": True}, ["2023年"])
    assert values == ["2023"]


def test_excel_serial_dates_only_when_plausible_and_only_for_dates():
    values, norm = _run({"name": "d", "type": "date", "x-normalize": True},
                        ["45095", "45096", "99999", "12345", "2023-01-01"])
    assert values == ["2023-06-18", "2023-06-19", "99999", "12345", "2023-01-01"]
    assert norm.stats[0].count == 2
    values, _ = _run({"name": "n", "type": "integer", "x-normalize": True}, ["45095"])
    assert values == ["45095"]


def test_custom_date_format_is_not_rewritten():
    spec = make_schema({"name": "d", "type": "date", "format": "%d/%m/%Y", "x-normalize": True}).fields[0]
    assert "chinese-date" not in applicable_normalizers(spec)
    assert "excel-date" not in applicable_normalizers(spec)


def test_identifiers_stay_text():
    ids = ["11010519491231002X", "440524188001010014", "000123", "１１０１０５１９４９１２３１００２Ｘ"]
    values, _ = _run({"name": "id", "type": "string", "x-normalize": True}, ids)
    assert values == ids[:3] + ["11010519491231002X"]


def test_fields_without_opt_in_are_untouched():
    schema = make_schema({"name": "a", "type": "integer"}, {"name": "b", "type": "integer", "x-normalize": True})
    norm = Normalizer(schema)
    batch = make_batch([["１"], ["２"]])
    out = norm.apply(batch)
    assert [c.to_pylist() for c in out.columns] == [["１"], ["2"]]
    assert batch.columns[1].to_pylist() == ["２"]  # input not modified
    assert norm.warnings()[0]["fieldName"] == "b" and norm.warnings()[0]["fieldNumber"] == 2


def test_counts_accumulate_over_batches_and_sample_rows_are_capped():
    schema = make_schema({"name": "n", "type": "integer", "x-normalize": True})
    norm = Normalizer(schema)
    norm.apply(make_batch([["１"] * 4], first_row=2))
    norm.apply(make_batch([["２"] * 4], first_row=6))
    [stat] = norm.stats
    assert stat.count == 8 and stat.row_numbers == [2, 3, 4, 5, 6]
    assert "8 cell(s)" in stat.message
