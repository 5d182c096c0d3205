import contextlib
from decimal import Decimal

import pytest

from rates.exceptions import InvalidQuery, RateNotFound
from rates.reads import convert, rate_for, round_amount


@pytest.mark.parametrize(
    ("value", "digits", "increment", "expected"),
    [
        ("2.345", 2, 0, "2.35"),  # USD
        ("2.3449", 2, 0, "2.34"),
        ("-2.345", 2, 0, "-2.35"),  # halves away from zero
        ("1234.5", 0, 0, "1235"),  # JPY
        ("1234.49", 0, 0, "1234"),
        ("1.0005", 3, 0, "1.001"),  # KWD
        ("1.0004", 3, 0, "1.000"),
        ("7", 3, 0, "7.000"),
        ("1.024", 2, 5, "1.00"),  # steps of 0.05: 20.48 steps
        ("1.025", 2, 5, "1.05"),  # 20.5 steps, half up
        ("1.074", 2, 5, "1.05"),
        ("1.075", 2, 5, "1.10"),
        ("12", 0, 5, "10"),  # steps of 5 whole units
        ("12.5", 0, 5, "15"),
        ("1.024", 2, 1, "1.02"),  # an increment of one unit is plain rounding
    ],
)
def test_round_amount(value, digits, increment, expected):
    assert str(round_amount(Decimal(value), digits, increment)) == expected


def test_convert_usd_to_jpy_is_whole_yen(store):
    store("alpha", ("USD", "JPY", "151.2345", "2024-01-02"))
    answer = rate_for("USD", "JPY")

    assert str(convert(Decimal(10), answer)) == "1512"
    assert str(convert(Decimal(10), answer, digits=(2, 0))) == "1512.35"  # digits given: no query


@pytest.mark.parametrize(
    ("base", "target", "amount", "converted"),
    [
        ("USD", "KWD", "3.3", "1.013"),  # 1.013496 KWD, three digits
        ("KWD", "USD", "1", "3.26"),  # 1 / 0.30712 = 3.2560562…
        ("USD", "EUR", "0", "0.00"),
    ],
)
def test_convert_rounds_to_target_currency(store, base, target, amount, converted):
    store("alpha", ("USD", "KWD", "0.30712", "2024-01-02"), ("USD", "EUR", "0.9", "2024-01-02"))

    assert str(convert(Decimal(amount), rate_for(base, target))) == converted


@pytest.mark.parametrize("amount", ["-0.01", "NaN", "Infinity"])
def test_convert_rejects_bad_amount(store, amount):
    store("alpha", ("USD", "EUR", "0.9", "2024-01-02"))
    answer = rate_for("USD", "EUR")

    with pytest.raises(InvalidQuery) as caught:
        convert(Decimal(amount), answer)

    assert caught.value.field == "amount"


def test_missing_rate(store):
    with pytest.raises(RateNotFound):
        rate_for("USD", "EUR")


def test_convert_huge_amount_converts_or_raises_invalid_query(store):
    store("alpha", ("USD", "EUR", "0.9", "2024-01-02"))
    answer = rate_for("USD", "EUR")

    with contextlib.suppress(InvalidQuery):  # refusing the amount would do as well
        assert convert(Decimal("1E+30"), answer) == Decimal("9E+29")
