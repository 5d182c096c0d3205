"""Converting an amount: the one place amounts meet rates (Koel's API, the converter page and the
compatible layers all come here).

The amount is applied to a rate answer, which callers may have cached: an amount is never part
of what is looked up or cached.
"""

from decimal import ROUND_HALF_UP, Context, Decimal, localcontext

from rates.exceptions import InvalidQuery
from rates.reads.catalog import currency_digits
from rates.types import RateAnswer

# Conversions are exact up to this size: amounts below 1E+30 times any rate, to the minor unit.
MAX_AMOUNT_DIGITS = 30
ARITHMETIC = Context(prec=80)


def check_amount(amount: Decimal) -> None:
    """Raise InvalidQuery(field="amount") unless the amount is finite, ≥ 0 and < 1E+30."""
    if not amount.is_finite() or amount < 0:
        raise InvalidQuery(f"Amount must be a finite number ≥ 0, got {amount}.", field="amount")
    if amount.adjusted() >= MAX_AMOUNT_DIGITS:
        raise InvalidQuery(f"Amount must be below 1E+{MAX_AMOUNT_DIGITS}.", field="amount")


def convert(
    amount: Decimal, answer: RateAnswer, *, digits: tuple[int, int] | None = None
) -> Decimal:
    """`amount` of the answer's base in its target, rounded per the target currency.

    `digits` (decimal digits, rounding increment) saves the lookup when the caller has them
    (see `currency_digits`)."""
    check_amount(amount)
    if digits is None:
        digits = currency_digits([answer.target])[answer.target]
    return apply_rate(amount, answer.rate, digits)


def apply_rate(amount: Decimal, rate: Decimal, digits: tuple[int, int]) -> Decimal:
    """amount × rate rounded per `digits`, for an amount `check_amount` accepted."""
    with localcontext(ARITHMETIC):
        return round_amount(amount * rate, *digits)


def round_amount(value: Decimal, digits: int, increment: int = 0) -> Decimal:
    """Round to the currency's minor unit, halves away from zero (commercial rounding).

    With a CLDR rounding increment (e.g. 5 with 2 digits: steps of 0.05) the value goes to the
    nearest step, halves away from zero. JPY 0 digits: 1234.5 → 1235; USD 2 digits:
    2.345 → 2.35; KWD 3 digits: 1.0005 → 1.001.
    """
    unit = Decimal(1).scaleb(-digits)
    with localcontext(ARITHMETIC):
        if increment > 1:
            step = unit * increment
            return ((value / step).quantize(Decimal(1), ROUND_HALF_UP) * step).quantize(unit)
        return value.quantize(unit, ROUND_HALF_UP)
