from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rates.exceptions import InvalidQuery, RateNotFound, UnknownCurrency
from rates.models import ExchangeRate
from rates.reads import MAX_SPAN
from rates.reads import history as rate_history
from rates.types import Bucket, Interval, RatePath

DAY_AFTER = datetime(2024, 1, 3, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


START, END = utc(2024, 1, 1), utc(2024, 3, 1)

# EUR -> USD, hand-made: 2024-01-01 is a Monday, 2024-01-07 a Sunday.
SERIES = [
    ("1.10", "2024-01-01T09:00"),
    ("1.30", "2024-01-01T09:30"),
    ("1.05", "2024-01-01T10:15"),
    ("1.20", "2024-01-01T23:59"),
    ("1.40", "2024-01-02T00:00"),
    ("1.00", "2024-01-07T12:00"),
    ("1.50", "2024-01-08T00:00"),
    ("2.00", "2024-02-01T00:00"),
]


def bucket(start, open_, high, low, close, count, last) -> Bucket:
    d = Decimal
    return Bucket(start, d(open_), d(high), d(low), d(close), count, last)


def single(start: datetime, rate: str, observed: str) -> Bucket:
    """A bucket holding one observation."""
    when = datetime.fromisoformat(observed).replace(tzinfo=UTC)
    return bucket(start, rate, rate, rate, rate, 1, when)


# Every observation of SERIES is alone in its minute, 5 and 15 minutes; 23:59 opens none of them.
FINE_STARTS = {
    Interval.MINUTE: utc(2024, 1, 1, 23, 59),
    Interval.FIVE_MINUTES: utc(2024, 1, 1, 23, 55),
    Interval.FIFTEEN_MINUTES: utc(2024, 1, 1, 23, 45),
}


def fine(interval: Interval) -> list[Bucket]:
    starts = [datetime.fromisoformat(when).replace(tzinfo=UTC) for _, when in SERIES]
    starts[3] = FINE_STARTS[interval]
    buckets = [single(start, *spec) for start, spec in zip(starts, SERIES, strict=True)]
    return [b for b in buckets if b.start < end_for(interval)]


def end_for(interval: Interval) -> datetime:
    """END, or the end of the longest range these buckets may be asked for."""
    return min(END, START + MAX_SPAN[interval])


EXPECTED = {
    **{interval: fine(interval) for interval in FINE_STARTS},
    Interval.HOUR: [
        bucket(utc(2024, 1, 1, 9), "1.10", "1.30", "1.10", "1.30", 2, utc(2024, 1, 1, 9, 30)),
        bucket(utc(2024, 1, 1, 10), "1.05", "1.05", "1.05", "1.05", 1, utc(2024, 1, 1, 10, 15)),
        bucket(utc(2024, 1, 1, 23), "1.20", "1.20", "1.20", "1.20", 1, utc(2024, 1, 1, 23, 59)),
        bucket(utc(2024, 1, 2), "1.40", "1.40", "1.40", "1.40", 1, utc(2024, 1, 2)),
        bucket(utc(2024, 1, 7, 12), "1.00", "1.00", "1.00", "1.00", 1, utc(2024, 1, 7, 12)),
        bucket(utc(2024, 1, 8), "1.50", "1.50", "1.50", "1.50", 1, utc(2024, 1, 8)),
        bucket(utc(2024, 2, 1), "2.00", "2.00", "2.00", "2.00", 1, utc(2024, 2, 1)),
    ],
    Interval.DAY: [
        bucket(utc(2024, 1, 1), "1.10", "1.30", "1.05", "1.20", 4, utc(2024, 1, 1, 23, 59)),
        bucket(utc(2024, 1, 2), "1.40", "1.40", "1.40", "1.40", 1, utc(2024, 1, 2)),
        bucket(utc(2024, 1, 7), "1.00", "1.00", "1.00", "1.00", 1, utc(2024, 1, 7, 12)),
        bucket(utc(2024, 1, 8), "1.50", "1.50", "1.50", "1.50", 1, utc(2024, 1, 8)),
        bucket(utc(2024, 2, 1), "2.00", "2.00", "2.00", "2.00", 1, utc(2024, 2, 1)),
    ],
    Interval.WEEK: [
        bucket(utc(2024, 1, 1), "1.10", "1.40", "1.00", "1.00", 6, utc(2024, 1, 7, 12)),
        bucket(utc(2024, 1, 8), "1.50", "1.50", "1.50", "1.50", 1, utc(2024, 1, 8)),
        bucket(utc(2024, 1, 29), "2.00", "2.00", "2.00", "2.00", 1, utc(2024, 2, 1)),
    ],
    Interval.MONTH: [
        bucket(utc(2024, 1, 1), "1.10", "1.50", "1.00", "1.50", 7, utc(2024, 1, 8)),
        bucket(utc(2024, 2, 1), "2.00", "2.00", "2.00", "2.00", 1, utc(2024, 2, 1)),
    ],
}


@pytest.fixture
def series(store):
    store("ecb", *[("EUR", "USD", rate, when) for rate, when in SERIES])


@pytest.mark.parametrize("interval", list(Interval))
def test_rate_history_buckets(series, interval):
    history = rate_history("EUR", "USD", start=START, end=end_for(interval), interval=interval)

    assert (history.path, history.via, history.interval) == (RatePath.DIRECT, None, interval)
    assert history.buckets == EXPECTED[interval]


def test_rate_history_range_is_half_open(series):
    history = rate_history(
        base="EUR", target="USD", start=utc(2024, 1, 1, 9, 30), end=utc(2024, 1, 2)
    )

    assert history.buckets == [
        bucket(utc(2024, 1, 1), "1.30", "1.30", "1.05", "1.20", 3, utc(2024, 1, 1, 23, 59))
    ]


def test_rate_history_week_buckets_start_monday_utc(store):
    # Sunday 23:30 in UTC is already Monday in Berlin; buckets follow UTC.
    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-08T00:30+01:00"), ("EUR", "USD", "1.2", "2024-01-08")
    )

    history = rate_history("EUR", "USD", start=START, end=END, interval=Interval.WEEK)

    assert [(b.start, b.count) for b in history.buckets] == [
        (utc(2024, 1, 1), 1),
        (utc(2024, 1, 8), 1),
    ]
    assert {b.start.weekday() for b in history.buckets} == {0}


@pytest.mark.parametrize(
    ("interval", "starts"),
    [
        (Interval.FIVE_MINUTES, [(utc(2024, 1, 1, 10), 2), (utc(2024, 1, 1, 10, 5), 1)]),
        (Interval.FIFTEEN_MINUTES, [(utc(2024, 1, 1, 10), 3)]),
        (Interval.MINUTE, [(utc(2024, 1, 1, 10, 2), 1), (utc(2024, 1, 1, 10, 4), 1),
                           (utc(2024, 1, 1, 10, 5), 1)]),
    ],
)  # fmt: skip
def test_rate_history_sub_hour_buckets_share_the_utc_grid(store, interval, starts):
    # 10:04:59 is in the 10:00 bucket of five minutes, 10:05 opens the next.
    store(
        "ecb",
        ("EUR", "USD", "1.1", "2024-01-01T10:02"),
        ("EUR", "USD", "1.2", "2024-01-01T10:04:59"),
        ("EUR", "USD", "1.3", "2024-01-01T10:05"),
    )

    history = rate_history("EUR", "USD", start=START, end=end_for(interval), interval=interval)

    assert [(b.start, b.count) for b in history.buckets] == starts


def test_rate_history_day_buckets_align_to_utc_midnight(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T00:30+01:00"))

    [only] = rate_history("EUR", "USD", start=START, end=END).buckets

    assert only.start == utc(2024, 1, 1)


def test_rate_history_inverse_swaps_high_and_low(store):
    store(
        "ecb",
        *[
            ("USD", "EUR", r, f"2024-01-01T{h}:00")
            for r, h in [("2", "09"), ("5", "10"), ("4", "11")]
        ],
    )

    history = rate_history("EUR", "USD", start=START, end=END)

    assert (history.path, history.via) == (RatePath.INVERSE, None)
    assert history.buckets == [
        bucket(utc(2024, 1, 1), "0.5", "0.5", "0.2", "0.25", 3, utc(2024, 1, 1, 11))
    ]


def test_rate_history_prefers_direct_over_inverse(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-01"), ("USD", "EUR", "2", "2024-01-02"))

    history = rate_history("EUR", "USD", start=START, end=END)

    assert history.path == RatePath.DIRECT
    assert [b.close for b in history.buckets] == [Decimal("1.1")]


def test_rate_history_cross_via_pivot(store):
    store(
        "ecb",
        ("GBP", "USD", "1.2", "2024-01-01T09:00"),
        ("GBP", "USD", "1.3", "2024-01-01T17:00"),
        ("JPY", "USD", "0.005", "2024-01-01T12:00"),  # USD -> JPY is its inverse, 200
        ("JPY", "USD", "0.004", "2024-01-01T13:00"),  # 250
        ("GBP", "USD", "1.25", "2024-01-02T09:00"),  # no JPY leg that day: left out
    )

    history = rate_history("GBP", "JPY", start=START, end=END)

    assert (history.path, history.via) == (RatePath.CROSS, "USD")
    assert history.buckets == [
        bucket(utc(2024, 1, 1), "240", "325", "240", "325", 2, utc(2024, 1, 1, 13))
    ]


def test_rate_history_cross_via_second_pivot(store):
    store("ecb", ("EUR", "GBP", "0.8", "2024-01-01"), ("EUR", "JPY", "160", "2024-01-01"))

    history = rate_history("GBP", "JPY", start=START, end=END)

    assert (history.path, history.via) == (RatePath.CROSS, "EUR")
    assert [b.close for b in history.buckets] == [Decimal(200)]


def test_sources_quoting_at_the_same_instant_open_and_close_a_bucket_by_name(store):
    # Same instant, two sources: the bucket opens with the first by code and closes with the
    # last, whichever order the rows were written in.
    store("beta", ("EUR", "USD", "1.2", "2024-01-01T10:00"))
    store("alpha", ("EUR", "USD", "1.1", "2024-01-01T10:00"))

    (day,) = rate_history("EUR", "USD", START, END, Interval.DAY).buckets

    assert (day.open, day.close, day.count) == (Decimal("1.1"), Decimal("1.2"), 2)


def test_rate_history_source_filter(store):
    store(
        "alpha",
        ("EUR", "USD", "1.1", "2024-01-01T09:00"),
        ("EUR", "USD", "1.3", "2024-01-01T11:00"),
    )
    store("beta", ("EUR", "USD", "1.2", "2024-01-01T10:00"))

    alpha = rate_history("EUR", "USD", start=START, end=END, source="alpha")
    both = rate_history("EUR", "USD", start=START, end=END)

    assert alpha.buckets == [
        bucket(utc(2024, 1, 1), "1.1", "1.3", "1.1", "1.3", 2, utc(2024, 1, 1, 11))
    ]
    assert [(b.count, b.high, b.low) for b in both.buckets] == [(3, Decimal("1.3"), Decimal("1.1"))]


def test_rate_history_source_filter_without_rows_finds_nothing(store):
    store("alpha", ("EUR", "USD", "1.1", "2024-01-01T09:00"))

    with pytest.raises(RateNotFound):
        rate_history("EUR", "USD", start=START, end=END, source="beta")


@pytest.mark.parametrize(
    ("start", "end", "interval", "field"),
    [
        (START, START, Interval.DAY, "start"),
        (END, START, Interval.DAY, "start"),
        (datetime(2024, 1, 1), END, Interval.DAY, "start"),  # noqa: DTZ001 - naive under test
        (START, datetime(2024, 3, 1), Interval.DAY, "end"),  # noqa: DTZ001 - naive under test
        (START, START + timedelta(days=93, seconds=1), Interval.HOUR, "end"),
        (START, START + timedelta(days=8, seconds=1), Interval.MINUTE, "end"),
        (START, START + timedelta(days=31, seconds=1), Interval.FIVE_MINUTES, "end"),
        (START, START + timedelta(days=3701), Interval.DAY, "end"),
        (START, START + timedelta(days=36601), Interval.MONTH, "end"),
    ],
)
def test_rate_history_invalid_query(store, start, end, interval, field):
    with pytest.raises(InvalidQuery) as caught:
        rate_history("EUR", "USD", start=start, end=end, interval=interval)

    assert caught.value.field == field


def test_rate_history_allows_the_largest_range(series):
    history = rate_history(
        base="EUR",
        target="USD",
        start=START,
        end=START + timedelta(days=93),
        interval=Interval.HOUR,
    )

    assert len(history.buckets) == 7


def test_rate_history_same_currency_is_invalid(store):
    with pytest.raises(InvalidQuery) as caught:
        rate_history("EUR", "EUR", start=START, end=END)

    assert caught.value.field == "target"


def test_rate_history_without_data_raises_rate_not_found(series):
    with pytest.raises(RateNotFound, match="No rates GBP -> JPY between 2024-01-01"):
        rate_history("GBP", "JPY", start=START, end=END)


def test_rate_history_outside_data_range_raises_rate_not_found(series):
    with pytest.raises(RateNotFound):
        rate_history("EUR", "USD", start=utc(2023, 1, 1), end=START)


def test_rate_history_unknown_currency(store):
    with pytest.raises(UnknownCurrency) as caught:
        rate_history("EUR", "XYZ", start=START, end=END)

    assert caught.value.code == "XYZ"


def test_rate_history_instants_are_utc_like_the_orms(store):
    """History reads load timestamptz with psycopg's own loader, not Django's: same values."""
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00:00.123456+01:00"))

    [bucket] = rate_history(
        base="EUR", target="USD", start=datetime(2024, 1, 2, tzinfo=UTC), end=DAY_AFTER
    ).buckets

    stored = ExchangeRate.objects.get().observed_at
    assert bucket.last_observed_at == stored == datetime(2024, 1, 2, 15, 0, 0, 123456, tzinfo=UTC)
    assert bucket.last_observed_at.utcoffset() == bucket.start.utcoffset() == timedelta(0)
