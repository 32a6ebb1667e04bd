"""Every £ format placespend writes comes from placespend.money: each pinned here, with
negative amounts, zero and missing values."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from placespend import money

PENCE = st.integers(min_value=-(10**15), max_value=10**15)


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0"), (95_000, "£950"), (995_000, "£9,950"), (999_999, "£10,000"),
    (1_000_000, "£10.0k"), (3_500_000, "£35.0k"), (1_234_567, "£12.3k"),
    (99_999_999, "£1000.0k"), (100_000_000, "£1.00m"), (123_456_789, "£1.23m"),
    (456_000_000, "£4.56m"), (-3_500_000, "-£35.0k"), (-123_456_789, "-£1.23m"),
    (-95_000, "-£950"), (-40, "£0"), (12.5, "£0"),
])
def test_compact_pounds_for_tables_and_charts(pence, text):
    assert money.compact(pence) == text


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0.00"), (1, "£0.01"), (-5, "-£0.05"), (98_005_997, "£980,059.97"),
    (-123_456_789, "-£1,234,567.89"), (100_000_000_000, "£1,000,000,000.00"),
    (1234.5, "£12.34"), (1235.5, "£12.36"),  # fractional pence: rounded to the penny, half even
])
def test_exact_pounds_and_pence_with_thousands_separators(pence, text):
    assert money.exact(pence) == text


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0"), (123_456, "£1,235"), (-123_456, "-£1,235"), (98_005_997, "£980,060"),
    (-40, "£0"), (12_345_678_900, "£123,456,789"),
])
def test_whole_pounds(pence, text):
    assert money.whole(pence) == text


@pytest.mark.parametrize(("pence", "text"), [
    (0, "£0"), (95_000, "£950"), (-95_000, "-£950"), (123_456_789, "£1.2m"),
    (123_456_789_012, "£1,234.6m"), (-123_456_789, "-£1.2m"),
])
def test_rough_pounds_for_the_accuracy_report(pence, text):
    assert money.rough(pence) == text


def test_number_gbp_and_decimal_carry_no_pound_sign():
    assert money.number(123_456_789) == "1,234,567.89"
    assert money.number(-5) == "-0.05"
    assert money.number(0) == "0.00"
    assert money.gbp(123_456) == "1234.56"
    assert money.gbp(-5) == "-0.05"
    assert money.gbp(0) == "0.00"
    assert money.decimal(123_456) == Decimal("1234.56")
    assert money.decimal(-1) == Decimal("-0.01")


def test_signed_changes_show_their_sign():
    assert money.signed(123_456) == "+£1,234.56"
    assert money.signed(-123_456) == "-£1,234.56"
    assert money.signed(0) == "£0.00"


@pytest.mark.parametrize("missing", [None, float("nan"), pd.NA])
def test_a_missing_amount_is_written_as_the_missing_mark(missing):
    assert money.compact(missing) == "–"
    assert money.exact(missing) == "–"
    assert money.exact(missing, "-") == "-"
    assert money.whole(missing, "no households") == "no households"
    assert money.number(missing) == ""
    assert money.decimal(missing) is None


def test_pounds_number_is_exact_pounds_for_json():
    got = money.pounds_number(pd.Series([123_456, -5, 0, None, 1234.5]))
    assert got.tolist() == [1234.56, -0.05, 0.0, None, 12.34]


@given(PENCE)
def test_exact_is_the_exact_gbp_text_with_separators(pence):
    assert money.exact(pence).replace("£", "").replace(",", "") == money.gbp(pence)
    assert money.number(pence).replace(",", "") == money.gbp(pence) or abs(pence) > 2**53
    assert money.decimal(pence) == Decimal(pence) / 100


@given(PENCE)
def test_every_format_puts_the_sign_before_the_pound_sign(pence):
    for text in (money.compact(pence), money.exact(pence), money.whole(pence),
                 money.rough(pence)):
        assert text.startswith(("£", "-£")), text
        assert text.startswith("-") == (pence < 0 and any(c in "123456789" for c in text))
