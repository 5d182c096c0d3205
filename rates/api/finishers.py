"""How the rate views apply an amount to a cached answer, registered with rates.http.caching so
that the replay in front of Django (rates.http.replay) applies it the same way, byte for byte.

Both read the amount from the query string as RatesParams and ConvertParams do (AmountField,
then check_amount): a value the view would refuse with a 400 is refused here, and the replay
leaves that request to Django."""

from collections.abc import Mapping
from decimal import Decimal

from rates.http.caching import finisher
from rates.reads import check_amount

from . import answers
from .params import AmountField

_AMOUNT = AmountField()


def amount(params: Mapping[str, str]) -> Decimal:
    """The `amount` parameter as the views take it; raises what their validation raises."""
    value = _AMOUNT.run_validation(params["amount"])
    check_amount(value)
    return value


RATES_AMOUNT = finisher(
    "rates.amount",
    ignore=("amount",),
    parse=amount,
    apply=lambda stored, value: answers.with_amount(stored["answer"], stored["digits"], value),
)

CONVERT_AMOUNT = finisher(
    "convert.amount",
    ignore=("amount",),
    parse=amount,
    apply=lambda stored, value: answers.with_converted(
        stored["answer"], stored["digits"][stored["answer"]["to"]], value
    ),
)
