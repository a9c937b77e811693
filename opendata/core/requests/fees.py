"""Information-processing fees (信息处理费, 国办函〔2020〕109号): free by default, bands for excess.

Two bases; an organisation picks one per request, never both (Art. 3), and both are progressive
(超额累进): each unit pays the rate of the band it falls in.

- ``per-item`` (按件计收): the applicant's items in one calendar month at this body. Items 1-10
  free; 11-30 ¥100 each; from 31 on, each further band of 10 items adds ¥100 per item (31-40 ¥200,
  41-50 ¥300, ...).
- ``per-page`` (按量计收, for paper, e-mail or copied electronic data): pages 1-30 free; 31-100
  ¥10 a page; 101-200 ¥20 a page; from 201 on ¥40 a page.

Amounts are whole yuan. The applicant pays within 20 working days of the notice; unpaid, the
request closes as outcome 六.2 (other-fee-unpaid).
"""

from __future__ import annotations

from dataclasses import dataclass

from opendata.core.errors import Problem, ValidationError

BASES = ("per-item", "per-page")
BASIS_NAMES = {"per-item": ("按件计收", "Per item (per applicant and calendar month)"),
               "per-page": ("按量计收", "Per page")}
PAYMENT_WORKING_DAYS = 20
FREE_ITEMS = 10
# Beyond these a number is a typo, not a request (and the quote stays a few lines long).
MAX_ITEMS = 10_000
MAX_PAGES = 1_000_000
# (first page, last page or None, yuan per page)
PAGE_BANDS: tuple[tuple[int, int | None, int], ...] = ((1, 30, 0), (31, 100, 10), (101, 200, 20), (201, None, 40))


@dataclass(frozen=True)
class FeeLine:
    """Units ``first``..``last`` charged at ``rate`` yuan each."""

    first: int
    last: int
    rate: int

    @property
    def amount(self) -> int:
        return (self.last - self.first + 1) * self.rate


@dataclass(frozen=True)
class FeeQuote:
    """The amount due for one request on one basis, with the band lines that make it up."""

    basis: str
    units: int
    lines: tuple[FeeLine, ...]

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)


def item_rate(n: int) -> int:
    """Yuan for the n-th item of an applicant's calendar month (per-item basis)."""
    if n < 1:
        raise _invalid("items", "items are counted from 1")
    if n <= FREE_ITEMS:
        return 0
    if n <= 30:
        return 100
    return 100 * (2 + (n - 31) // 10)


def _item_band_end(n: int) -> int:
    if n <= FREE_ITEMS:
        return FREE_ITEMS
    if n <= 30:
        return 30
    return 40 + (n - 31) // 10 * 10


def quote_per_item(*, earlier_items: int, items: int = 1) -> FeeQuote:
    """The fee for ``items`` items when the applicant already had ``earlier_items`` this month."""
    if earlier_items < 0:
        raise _invalid("earlier_items", "earlier items cannot be negative")
    _check_units("items", items, MAX_ITEMS)
    first, last = earlier_items + 1, earlier_items + items
    lines: list[FeeLine] = []
    n = first
    while n <= last:
        end = min(last, _item_band_end(n))
        lines.append(FeeLine(n, end, item_rate(n)))
        n = end + 1
    return FeeQuote("per-item", items, tuple(lines))


def quote_per_page(pages: int) -> FeeQuote:
    """The fee for a reply of ``pages`` pages (per-page basis)."""
    _check_units("pages", pages, MAX_PAGES)
    lines = []
    for first, last, rate in PAGE_BANDS:
        if pages < first:
            break
        lines.append(FeeLine(first, pages if last is None else min(pages, last), rate))
    return FeeQuote("per-page", pages, tuple(lines))


def quote(basis: str, *, units: int, earlier_items: int = 0) -> FeeQuote:
    """The fee on ``basis`` (per-item: ``units`` items after ``earlier_items``; per-page: ``units`` pages)."""
    if basis == "per-item":
        return quote_per_item(earlier_items=earlier_items, items=units)
    if basis == "per-page":
        return quote_per_page(units)
    raise _invalid("basis", f"unknown fee basis {basis!r}; use one of {', '.join(BASES)}")


def _check_units(path: str, units: int, most: int) -> None:
    if isinstance(units, bool) or not isinstance(units, int) or not 1 <= units <= most:
        raise _invalid(path, f"{path} must be a whole number from 1 to {most}")


def _invalid(path: str, message: str) -> ValidationError:
    return ValidationError(message, problems=[Problem("invalid-fee", message, path=path)])
