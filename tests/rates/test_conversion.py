import contextlib
from decimal import Decimal

import pytest

from rates.exceptions import InvalidQuery, RateNotFound
from rates.reads.selectors import conversion_get, round_amount


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


def test_conversion_get_usd_to_jpy_is_whole_yen(store):
    store("alpha", ("USD", "JPY", "151.2345", "2024-01-02"))

    conversion = conversion_get(base="USD", target="JPY", amount=Decimal(10))

    assert str(conversion.converted) == "1512"
    assert (conversion.amount, conversion.quote.rate) == (Decimal(10), Decimal("151.2345"))


@pytest.mark.parametrize(
    ("base", "target", "amount", "converted"),
    [
        ("USD", "KWD", "3.3", "1.013"),  # 1.013496 KWD, three digits
        ("KWD", "USD", "1", "3.26"),  # 1 / 0.30712 = 3.2560562…
        ("USD", "EUR", "0", "0.00"),
    ],
)
def test_conversion_get_rounds_to_target_currency(store, base, target, amount, converted):
    store("alpha", ("USD", "KWD", "0.30712", "2024-01-02"), ("USD", "EUR", "0.9", "2024-01-02"))

    result = conversion_get(base=base, target=target, amount=Decimal(amount))

    assert str(result.converted) == converted


@pytest.mark.parametrize("amount", ["-0.01", "NaN", "Infinity"])
def test_conversion_get_rejects_bad_amount(store, amount):
    store("alpha", ("USD", "EUR", "0.9", "2024-01-02"))

    with pytest.raises(InvalidQuery) as caught:
        conversion_get(base="USD", target="EUR", amount=Decimal(amount))

    assert caught.value.field == "amount"


def test_conversion_get_missing_rate(store):
    with pytest.raises(RateNotFound):
        conversion_get(base="USD", target="EUR", amount=Decimal(1))


def test_conversion_get_huge_amount_converts_or_raises_invalid_query(store):
    store("alpha", ("USD", "EUR", "0.9", "2024-01-02"))

    with contextlib.suppress(InvalidQuery):  # refusing the amount would do as well
        result = conversion_get(base="USD", target="EUR", amount=Decimal("1E+30"))
        assert result.converted == Decimal("9E+29")
