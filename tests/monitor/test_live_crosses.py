"""The cross rates of a tick: every pair among the live currencies, in market order, from the
tick's quotes alone."""

from datetime import UTC, datetime
from decimal import Decimal

from monitor.crosses import cross_rows, market_pairs
from rates.reads import invert
from rates.types import RateRow

T1, T2 = datetime(2026, 12, 7, 14, 0, 0, tzinfo=UTC), datetime(2026, 12, 7, 14, 0, 5, tzinfo=UTC)


def test_pairs_are_named_in_market_order_with_other_currencies_before_jpy():
    assert market_pairs(["JPY", "SEK", "USD", "EUR"]) == [
        ("EUR", "USD"),
        ("EUR", "SEK"),
        ("EUR", "JPY"),
        ("USD", "SEK"),
        ("USD", "JPY"),
        ("SEK", "JPY"),
    ]


def test_a_cross_multiplies_the_shortest_chain_and_is_as_old_as_its_oldest_leg():
    quotes = [
        RateRow("EUR", "USD", Decimal("1.08"), T1),
        RateRow("USD", "JPY", Decimal("150"), T2),
        RateRow("GBP", "USD", Decimal("1.25"), T2),
    ]

    crosses = {(r.base, r.target): r for r in cross_rows(quotes, ["EUR", "USD", "JPY", "GBP"])}

    assert len(crosses) == 6
    assert all(r.derived for r in crosses.values())
    assert crosses[("EUR", "JPY")].rate == Decimal("162.00")
    assert crosses[("EUR", "JPY")].observed_at == T1
    # EUR/GBP goes EUR→USD→GBP: the GBP/USD quote used the other way round.
    assert crosses[("EUR", "GBP")].rate == Decimal("1.08") * invert(Decimal("1.25"))
    assert crosses[("GBP", "JPY")].observed_at == T2


def test_a_currency_no_quote_reaches_has_no_cross():
    quotes = [RateRow("EUR", "USD", Decimal("1.08"), T1)]

    assert [(r.base, r.target) for r in cross_rows(quotes, ["EUR", "USD", "CHF"])] == [
        ("EUR", "USD")
    ]
