"""Search tokens: CJK unigrams and bigrams, words of other scripts, and the FTS5 query built from them."""

from __future__ import annotations

import sqlite3

import pytest

from opendata.store.segment import match_expression, segment


def test_chinese_runs_become_unigrams_and_bigrams():
    assert segment("财政预算") == ["财", "政", "预", "算", "财政", "政预", "预算"]


def test_mixed_text_splits_scripts_and_lowercases_words():
    assert segment("2024年Budget_Amount（万元）") == ["2024", "年", "budget", "amount", "万", "元", "万元"]


def test_full_width_letters_and_digits_match_ascii():
    assert segment("ＡＢＣ１２３") == segment("abc123") == ["abc123"]
    assert match_expression("ＰＭ２．５") == match_expression("pm2.5")


def test_empty_and_punctuation_only_text_has_no_tokens():
    assert segment("") == segment(None) == segment("，。！ -- __") == []
    assert match_expression("") is None and match_expression("、、") is None


def test_query_terms_are_quoted_deduplicated_and_latin_words_are_prefixes():
    assert match_expression("预算 预算") == '"预算"'
    assert match_expression("税") == '"税"'
    assert match_expression('air" OR x') == '"air"* "or"* "x"*'


@pytest.mark.parametrize("query, expected", [
    ("预算", {1, 3}),          # a two-character word finds every text containing it
    ("预", {1, 3}),            # one character finds its text
    ("政预", {1}),             # bigrams across words are tokens too (no dictionary)
    ("amount", {2}),           # prefix: amounts
    ("空气 质量", {2}),         # every term must match
    ("教育 预算", {3}),
    ("医院", set()),
])
def test_fts5_finds_what_the_tokens_promise(query, expected):
    con = sqlite3.connect(":memory:")
    con.execute("CREATE VIRTUAL TABLE t USING fts5(body, tokenize = 'unicode61 remove_diacritics 0')")
    for rowid, text in ((1, "财政预算公开"), (2, "空气质量 amounts"), (3, "教育经费预算")):
        con.execute("INSERT INTO t(rowid, body) VALUES (?, ?)", (rowid, " ".join(segment(text))))
    found = {r for (r,) in con.execute("SELECT rowid FROM t WHERE t MATCH ?", (match_expression(query),))}
    assert found == expected
