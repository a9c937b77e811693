"""Fee bands of 国办函〔2020〕109号: per item per applicant and month, or per page, both progressive."""

from __future__ import annotations

import pytest

from opendata.core.errors import ValidationError
from opendata.core.requests.fees import item_rate, quote, quote_per_item, quote_per_page


@pytest.mark.parametrize(("n", "rate"), [(1, 0), (10, 0), (11, 100), (30, 100), (31, 200), (40, 200),
                                         (41, 300), (50, 300), (51, 400), (95, 800)])
def test_the_nth_item_of_a_month_pays_its_band(n, rate):
    assert item_rate(n) == rate


def test_the_first_ten_items_of_a_month_are_free():
    assert quote_per_item(earlier_items=0, items=10).amount == 0
    assert quote_per_item(earlier_items=9, items=1).amount == 0


def test_an_item_quote_spanning_bands_adds_each_band():
    q = quote_per_item(earlier_items=8, items=25)  # items 9..33
    assert [(line.first, line.last, line.rate) for line in q.lines] == [(9, 10, 0), (11, 30, 100), (31, 33, 200)]
    assert q.amount == 20 * 100 + 3 * 200


def test_item_quotes_equal_the_sum_of_single_items():
    for earlier in (0, 7, 29, 30, 44):
        for items in (1, 3, 17, 40):
            assert quote_per_item(earlier_items=earlier, items=items).amount == sum(
                item_rate(n) for n in range(earlier + 1, earlier + items + 1))


@pytest.mark.parametrize(("pages", "amount"), [(1, 0), (30, 0), (31, 10), (100, 700), (101, 720), (200, 2700),
                                               (201, 2740), (250, 4700)])
def test_pages_pay_progressively_by_band(pages, amount):
    assert quote_per_page(pages).amount == amount


def test_one_basis_per_request_and_unknown_bases_are_refused():
    assert quote("per-page", units=31).basis == "per-page"
    assert quote("per-item", units=1, earlier_items=10).amount == 100
    with pytest.raises(ValidationError) as err:
        quote("per-word", units=3)
    assert err.value.problems[0].path == "basis"


@pytest.mark.parametrize("units", [0, -1, True, 2.5, 10**9])
def test_counts_must_be_whole_positive_numbers(units):
    with pytest.raises(ValidationError):
        quote("per-page", units=units)
