from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rates.exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from rates.reads import active_codes, currency_list, rate_for, rates_for_base
from rates.types import RatePath


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


DAY1, DAY2, DAY3 = utc(2024, 1, 1, 16), utc(2024, 1, 2, 16), utc(2024, 1, 3, 16)


def test_rate_get_direct(store):
    store("ecb", ("EUR", "USD", "1.0842", "2024-01-02T16:00"))

    quote = rate_for("EUR", "USD")

    assert (quote.rate, quote.path, quote.via, quote.derived) == (
        Decimal("1.0842"),
        RatePath.DIRECT,
        None,
        False,
    )
    assert (quote.sources, quote.observed_at, quote.quotes[0].source) == (("ecb",), DAY2, "ecb")


@pytest.mark.parametrize(
    ("stored", "inverse"),
    [
        ("1.25", "0.8"),
        ("3", "0.333333333333333333"),
        ("0.0001", "10000"),
        ("7", "0.142857142857142857"),
    ],
)
def test_rate_get_inverse(store, stored, inverse):
    store("ecb", ("EUR", "USD", stored, "2024-01-02T16:00"))

    quote = rate_for("USD", "EUR")

    assert (quote.rate, quote.path, quote.derived) == (Decimal(inverse), RatePath.INVERSE, True)
    assert quote.observed_at == DAY2
    assert quote.sources == ("ecb",)


def test_rate_get_cross_via_first_pivot(store):
    store("ecb", ("EUR", "GBP", "0.8", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-03"))
    store("alpha", ("GBP", "USD", "1.25", "2024-01-02T12:00"), ("USD", "JPY", "150", "2024-01-02"))

    quote = rate_for("GBP", "JPY")

    assert (quote.rate, quote.path, quote.via, quote.derived) == (
        Decimal("187.5"),
        RatePath.CROSS,
        "USD",
        True,
    )
    assert quote.sources == ("alpha",)
    assert quote.observed_at == utc(2024, 1, 2)  # the older leg
    assert quote.sources == ("alpha",)


def test_rate_get_cross_follows_pivot_order_of_settings(store, settings):
    settings.KOEL_PIVOT_CURRENCIES = ["EUR", "USD"]
    store("ecb", ("EUR", "GBP", "0.8", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-03"))
    store("alpha", ("GBP", "USD", "1.25", "2024-01-02T12:00"), ("USD", "JPY", "150", "2024-01-02"))

    quote = rate_for("GBP", "JPY")

    assert (quote.rate, quote.via) == (Decimal(200), "EUR")
    assert quote.sources == ("ecb",)
    assert quote.observed_at == DAY2


def test_rate_get_cross_falls_back_to_next_pivot(store):
    store(
        "ecb", ("EUR", "GBP", "0.8", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")
    )

    quote = rate_for("JPY", "GBP")

    assert (quote.rate, quote.path, quote.via) == (Decimal("0.005"), RatePath.CROSS, "EUR")


def test_rate_get_missing_pair_raises_rate_not_found(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))

    with pytest.raises(RateNotFound, match="No rate GBP -> JPY"):
        rate_for("GBP", "JPY")


@pytest.mark.parametrize(
    ("base", "target", "unknown"), [("XYZ", "USD", "XYZ"), ("USD", "ABC", "ABC")]
)
def test_rate_get_unknown_currency(store, base, target, unknown):
    with pytest.raises(UnknownCurrency) as caught:
        rate_for(base, target)

    assert caught.value.code == unknown


def test_rate_get_same_base_and_target_is_invalid(store):
    with pytest.raises(InvalidQuery) as caught:
        rate_for("USD", "USD")

    assert caught.value.field == "target"


def test_rate_at_instant_freshest_observation_wins_among_sources(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))
    store("beta", ("EUR", "USD", "1.2", "2024-01-02T16:01"))
    store("alpha", ("EUR", "USD", "1.3", "2024-01-01T16:00"))

    quote = rate_for("EUR", "USD", at=utc(2024, 1, 5))

    assert (quote.rate, quote.sources) == (Decimal("1.2"), ("beta",))


def test_latest_rate_blends_the_sources_within_the_window(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))
    store("beta", ("EUR", "USD", "1.2", "2024-01-02T16:01"))
    store("alpha", ("EUR", "USD", "1.3", "2024-01-01T16:00"))  # a day older: out of the window

    answer = rate_for("EUR", "USD")

    assert (answer.rate, answer.sources) == (Decimal("1.15"), ("beta", "ecb"))
    assert answer.observed_at == utc(2024, 1, 2, 16, 1)
    assert [(q.source, q.excluded) for q in answer.quotes] == [
        ("beta", False),
        ("ecb", False),
        ("alpha", True),
    ]


def test_rate_at_instant_tie_goes_to_source_with_best_priority(store):
    store("beta", ("EUR", "USD", "1.3", "2024-01-02T16:00"))
    store("alpha", ("EUR", "USD", "1.2", "2024-01-02T16:00"))
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))

    assert rate_for("EUR", "USD", at=utc(2024, 1, 5)).sources == ("ecb",)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (DAY2, "1.2"),
        (DAY2 + timedelta(hours=1), "1.2"),
        (DAY2 - timedelta(microseconds=1), "1.1"),
        (utc(2024, 1, 10), "1.3"),
    ],
)
def test_rate_get_at_returns_last_observation_at_or_before(store, at, expected):
    store(
        "ecb",
        *[
            ("EUR", "USD", r, d.isoformat())
            for r, d in zip(["1.1", "1.2", "1.3"], [DAY1, DAY2, DAY3], strict=True)
        ],
    )

    quote = rate_for("EUR", "USD", at=at)

    assert quote.rate == Decimal(expected)
    assert quote.observed_at <= at


def test_rate_get_at_finds_observation_just_inside_lookback(store, settings):
    settings.KOEL_RATE_LOOKBACK_DAYS = 3
    store("ecb", ("EUR", "USD", "1.1", DAY1.isoformat()))

    quote = rate_for("EUR", "USD", at=DAY1 + timedelta(days=3, seconds=-1))

    assert (quote.rate, quote.observed_at) == (Decimal("1.1"), DAY1)


def test_rate_get_at_ignores_observation_older_than_lookback(store, settings):
    settings.KOEL_RATE_LOOKBACK_DAYS = 3
    store("ecb", ("EUR", "USD", "1.1", DAY1.isoformat()))

    with pytest.raises(RateNotFound, match="in the 3 days up to 2024-01-04T16:00:00"):
        rate_for("EUR", "USD", at=DAY1 + timedelta(days=3))


def test_rate_get_at_naive_instant_is_invalid(store):
    with pytest.raises(InvalidQuery) as caught:
        rate_for("EUR", "USD", at=datetime(2024, 1, 2))  # noqa: DTZ001 - under test

    assert caught.value.field == "at"


@pytest.mark.parametrize("at", [None, utc(2024, 1, 5)])
@pytest.mark.parametrize(("base", "target"), [("EUR", "USD"), ("USD", "EUR"), ("GBP", "JPY")])
def test_rate_for_costs_one_query(store, django_assert_max_num_queries, at, base, target):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02"), ("EUR", "GBP", "0.8", "2024-01-02"))
    store("ecb", ("EUR", "JPY", "160", "2024-01-02"))
    active_codes()  # the catalog is held from here on, as in a running process

    with django_assert_max_num_queries(1):
        quote = rate_for(base, target, at=at)

    assert quote.observed_at == utc(2024, 1, 2)


def test_rates_for_base_covers_every_active_target(store):
    store("ecb", ("EUR", "USD", "1.25", "2024-01-02"), ("EUR", "JPY", "160", "2024-01-02"))
    store("ecb", ("GBP", "EUR", "1.25", "2024-01-02"), ("EUR", "DEM", "1.95583", "2024-01-02"))

    quotes = rates_for_base("EUR")

    assert {t: (q.rate, q.path) for t, q in quotes.items()} == {
        "USD": (Decimal("1.25"), RatePath.DIRECT),
        "JPY": (Decimal(160), RatePath.DIRECT),
        "GBP": (Decimal("0.8"), RatePath.INVERSE),
    }  # DEM is inactive: not listed unless asked for


def test_rates_for_base_chosen_targets_including_pivot_only(store):
    store("ecb", ("EUR", "USD", "1.25", "2024-01-02"), ("EUR", "DEM", "1.95583", "2024-01-02"))
    store("alpha", ("USD", "CHF", "0.9", "2024-01-02"), ("NOK", "USD", "0.1", "2024-01-02"))

    quotes = rates_for_base("EUR", targets=["CHF", "DEM", "NOK", "KRW"])

    assert [(q.target, q.rate, q.path, q.via) for q in quotes.values()] == [
        ("CHF", Decimal("1.125"), RatePath.CROSS, "USD"),
        ("DEM", Decimal("1.95583"), RatePath.DIRECT, None),
        ("NOK", Decimal("12.5"), RatePath.CROSS, "USD"),
    ]  # nothing answers for KRW


def test_rates_for_base_through_second_pivot_when_base_is_first(store):
    store("ecb", ("EUR", "USD", "1.25", "2024-01-02"), ("EUR", "JPY", "160", "2024-01-02"))

    [quote] = rates_for_base("USD", targets=["JPY"]).values()

    assert (quote.rate, quote.path, quote.via) == (Decimal(128), RatePath.CROSS, "EUR")


def test_rates_for_base_at_instant(store):
    store("ecb", ("EUR", "USD", "1.1", DAY1.isoformat()), ("EUR", "USD", "1.2", DAY3.isoformat()))

    [quote] = rates_for_base("EUR", targets=["USD"], at=DAY2).values()

    assert (quote.rate, quote.observed_at) == (Decimal("1.1"), DAY1)


def test_rates_for_base_unknown_target(store):
    with pytest.raises(UnknownCurrency) as caught:
        rates_for_base("EUR", targets=["USD", "XYZ"])

    assert caught.value.code == "XYZ"


def test_currency_list_filters_by_active_and_group(currencies):
    primary = currency_list(active=True, group="primary")
    inactive = currency_list(active=False)

    assert [c.code for c in primary] == [
        "AUD", "CAD", "CHF", "CNY", "EUR", "GBP", "HKD", "INR", "JPY", "KRW", "NOK", "NZD", "SEK",
        "SGD", "USD",
    ]  # fmt: skip
    assert {"DEM", "CYP"} <= {c.code for c in inactive}
    assert len(currency_list()) == len(primary) + len(currency_list(group="secondary"))
