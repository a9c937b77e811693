"""Search text analysis: jieba words for documents and queries, atoms, synonyms and pinyin tables."""

from __future__ import annotations

import pytest

from opendata.core.errors import InputError
from opendata.store.search_text import add_words, index_tokens, plan_query, runs
from opendata.store.search_words import load_synonyms, parse_synonyms, pinyin_keys, split_pinyin


def test_documents_are_cut_in_search_mode_so_inner_words_are_indexed():
    assert {"义务", "教育", "义务教育", "招生"} <= set(index_tokens("义务教育招生"))
    assert {"财政", "预算", "财政预算"} <= set(index_tokens("示例市财政预算"))


def test_a_taught_long_word_still_yields_the_dictionary_words_inside_it():
    add_words(["义务教育招生"])
    assert {"义务教育招生", "义务教育", "义务", "教育", "招生"} <= set(index_tokens("义务教育招生"))


def test_full_width_text_matches_ascii_and_latin_words_are_lower_cased():
    assert runs("ＰＭ２．５浓度") == runs("pm2.5浓度") == ["pm2", "5", "浓度"]
    assert index_tokens("Budget_Amount（万元）") == ["budget", "amount", "万元"]


def test_function_words_and_punctuation_are_not_tokens():
    assert "的" not in index_tokens("不予开放的执法名单")
    assert index_tokens("") == index_tokens(None) == index_tokens("，。！ -- __") == []


def test_a_taught_catalogue_word_is_cut_whole_and_still_indexed_by_its_parts():
    # a word no other test teaches: the segmenter is shared by the process
    assert "鹭汀码头补贴" not in index_tokens("各类鹭汀码头补贴发放")
    add_words(["鹭汀码头补贴"])
    tokens = index_tokens("各类鹭汀码头补贴发放")
    assert "鹭汀码头补贴" in tokens and "补贴" in tokens and "码头" in tokens


def _asks(plan, kind):
    return {(a.text, a.atoms) for a in plan.asks if a.kind == kind}


def test_a_compound_query_word_counts_each_part_and_the_whole_covers_both():
    plan = plan_query("财政预算", {})
    assert plan.atoms == ["财政", "预算"]
    assert ("财政预算", 0b11) in _asks(plan, "exact") and ("财政", 0b01) in _asks(plan, "exact")


def test_words_the_dictionary_cannot_join_are_atoms_per_character_looked_for_inside_words():
    plan = plan_query("鹭汀", {})  # two characters jieba knows no word of
    assert plan.atoms == ["鹭", "汀"]
    assert ("鹭汀", 0b11) in _asks(plan, "contains")
    assert not any(len(text) == 1 for text, _ in _asks(plan, "contains"))


def test_a_lone_character_is_looked_for_inside_words():
    assert ("税", 1) in _asks(plan_query("税", {}), "contains")


def test_synonyms_cover_the_same_atom_and_latin_words_ask_for_prefix_then_pinyin():
    plan = plan_query("公交 bus", {"公交": ("公共汽车",)})
    assert plan.atoms == ["公交", "bus"]
    assert ("公共汽车", 0b01) in _asks(plan, "exact")
    assert [a.kind for a in plan.asks if a.text == "bus"] == ["prefix", "pinyin"]


def test_stop_words_alone_make_no_atom():
    assert plan_query("的和与", {}).atoms == []
    assert plan_query("？！", {}).atoms == []


def test_synonym_lines_are_equivalences_or_one_way():
    table = parse_synonyms("# comment\n公交, 公共汽车，巴士\n预决算 => 预算, 决算\n")
    assert table["公交"] == {"公共汽车", "巴士"} and table["巴士"] == {"公交", "公共汽车"}
    assert table["预决算"] == {"预算", "决算"} and "预算" not in table


def test_a_synonym_line_of_one_word_is_refused_with_its_line():
    with pytest.raises(InputError) as err:
        parse_synonyms("公交, 公共汽车\n孤单\n", "extra.txt")
    assert err.value.problems[0].line == 2 and err.value.problems[0].file == "extra.txt"


def test_a_deployment_synonym_file_adds_to_the_built_in_table(tmp_path):
    extra = tmp_path / "synonyms.txt"
    extra.write_text("公交, 交通车\n", encoding="utf-8")
    table = load_synonyms(str(extra))
    assert "交通车" in table["公交"] and "公共汽车" in table["公交"]
    assert "交通车" not in load_synonyms("").get("公交", ())
    with pytest.raises(InputError):
        load_synonyms(str(tmp_path / "missing.txt"))


def test_pinyin_keys_are_full_pinyin_and_initials_of_chinese_words():
    assert pinyin_keys(["财政", "预算", "a", "税"]) == {"财政": ("caizheng", "cz"), "预算": ("yusuan", "ys")}


@pytest.mark.parametrize("token, cut", [
    ("caizheng", ["caizheng"]), ("czys", ["cz", "ys"]), ("caizhengyusuan", ["caizheng", "yusuan"]),
    ("caizhengys", ["caizheng", "ys"]), ("caizhen", None), ("cz2", None),
])
def test_a_latin_word_is_cut_into_the_fewest_known_pinyin_keys(token, cut):
    known = {"caizheng", "cz", "yusuan", "ys"}
    assert split_pinyin(token, known.__contains__) == cut
