import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rates.exceptions import InvalidRateBatch, UnknownSource
from rates.models import ExchangeRate, LatestRate
from rates.services import UpsertResult, rates_upsert
from rates.types import RateRow

GOOD = RateRow("EUR", "USD", Decimal("1.1"), datetime(2024, 1, 2, 16, tzinfo=UTC))


def stored() -> list[tuple]:
    rows = ExchangeRate.objects.order_by("base_id", "target_id", "observed_at", "source_id")
    return [(r.base_id, r.target_id, r.source_id, r.observed_at, r.rate, r.derived) for r in rows]


def latest() -> list[tuple]:
    rows = LatestRate.objects.order_by("base_id", "target_id", "source_id")
    return [(r.base_id, r.target_id, r.source_id, r.observed_at, r.rate) for r in rows]


def test_rates_upsert_inserts_rows(store):
    result = store(
        "ecb",
        ("EUR", "USD", "1.1", "2024-01-02T16:00"),
        ("EUR", "JPY", "160.5", "2024-01-03T16:00"),
    )

    assert result == UpsertResult(
        received=2,
        written=2,
        first=datetime(2024, 1, 2, 16, tzinfo=UTC),
        last=datetime(2024, 1, 3, 16, tzinfo=UTC),
    )
    assert stored() == [
        ("EUR", "JPY", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("160.5"), False),
        ("EUR", "USD", "ecb", datetime(2024, 1, 2, 16, tzinfo=UTC), Decimal("1.1"), False),
    ]


def test_rates_upsert_is_idempotent(store):
    rows = [("EUR", "USD", "1.1", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")]
    store("ecb", *rows)

    assert store("ecb", *rows).written == 0
    assert ExchangeRate.objects.count() == 2


def test_rates_upsert_counts_only_changed_rows(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02"), ("EUR", "JPY", "160", "2024-01-02"))

    result = store("ecb", ("EUR", "USD", "1.1", "2024-01-02"), ("EUR", "JPY", "161", "2024-01-02"))

    assert (result.received, result.written) == (2, 1)


def test_rates_upsert_overwrites_changed_rate_for_same_key(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))

    assert store("ecb", ("EUR", "USD", "1.2", "2024-01-02T16:00")).written == 1

    assert [row[4] for row in stored()] == [Decimal("1.2")]


def test_rates_upsert_keeps_same_key_of_other_source_apart(store):
    store("ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"))
    store("alpha", ("EUR", "USD", "1.3", "2024-01-02T16:00"))

    assert [(row[2], row[4]) for row in stored()] == [
        ("alpha", Decimal("1.3")),
        ("ecb", Decimal("1.1")),
    ]


def test_rates_upsert_last_row_of_batch_wins_for_duplicate_keys(store):
    result = store(
        "ecb",
        ("EUR", "USD", "1.1", "2024-01-02T16:00"),
        ("EUR", "USD", "1.3", "2024-01-02T17:00+01:00"),  # the same instant
        ("EUR", "USD", "1.2", "2024-01-02T16:00"),
    )

    assert (result.received, result.written) == (3, 1)
    assert [row[4] for row in stored()] == [Decimal("1.2")]


@pytest.mark.parametrize(
    "text", ["0.000012345678901234567", "123456789012345678901234567890.5", "1.10", "7E-30"]
)
def test_rates_upsert_keeps_exact_decimal(store, text):
    store("ecb", ("EUR", "USD", text, "2024-01-02T16:00"))

    rate = ExchangeRate.objects.get().rate
    assert rate == Decimal(text)
    assert rate.as_tuple().digits == Decimal(text).as_tuple().digits


def test_rates_upsert_stores_derived_flag(store, rate_row):
    rates_upsert(source="ecb", rows=[rate_row("GBP", "JPY", "190.5", "2024-01-02", derived=True)])

    assert stored()[0][5] is True
    assert LatestRate.objects.get().derived is True


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"rate": Decimal(0)}, "rate", "0 is not positive"),
        ({"rate": Decimal("-1.5")}, "rate", "-1.5 is not positive"),
        ({"rate": Decimal("NaN")}, "rate", "NaN is not finite"),
        ({"rate": Decimal("sNaN")}, "rate", "sNaN is not finite"),
        ({"rate": Decimal("Infinity")}, "rate", "Infinity is not finite"),
        ({"rate": 1.1}, "rate", "must be a Decimal, got float"),
        ({"rate": "1.1"}, "rate", "must be a Decimal, got str"),
        ({"base": "XYZ"}, "base", "unknown currency 'XYZ'"),
        ({"target": "usd"}, "target", "unknown currency 'usd'"),
        ({"target": "EUR"}, "target", "equals base"),
        # A naive datetime is the very thing under test.
        ({"observed_at": datetime(2024, 1, 2, 16)}, "observed_at", "timezone-aware"),  # noqa: DTZ001
        ({"observed_at": datetime(2024, 1, 2, tzinfo=UTC).date()}, "observed_at", "timezone-aware"),
        ({"observed_at": datetime.now(UTC) + timedelta(days=3)}, "observed_at", "in the future"),
    ],
)
def test_rates_upsert_rejects_bad_row_and_writes_nothing(store, change, field, message):
    store("ecb", ("EUR", "USD", "1.0", "2024-01-01T16:00"))
    before = (stored(), latest())
    good = [
        dataclasses.replace(GOOD, target="JPY", rate=Decimal(160)),
        dataclasses.replace(GOOD, rate=Decimal("1.2")),
    ]

    with pytest.raises(InvalidRateBatch) as caught:
        rates_upsert(source="ecb", rows=[*good, dataclasses.replace(GOOD, **change)])

    [error] = caught.value.errors
    assert (error.index, error.field) == (2, field)
    assert message in error.message
    assert f"row 2: {field}: " in str(caught.value)
    assert (stored(), latest()) == before


def test_rates_upsert_lists_every_bad_row(store):
    rows = [
        dataclasses.replace(GOOD, rate=Decimal(0)),
        GOOD,
        dataclasses.replace(GOOD, base="XYZ"),
    ]

    with pytest.raises(InvalidRateBatch) as caught:
        rates_upsert(source="ecb", rows=rows)

    assert [(e.index, e.field) for e in caught.value.errors] == [(0, "rate"), (2, "base")]
    assert str(caught.value).startswith("2 invalid row(s), nothing written: row 0: rate: ")


def test_rates_upsert_accepts_a_source_day_ahead_of_utc(store):
    tomorrow = datetime.now(UTC) + timedelta(days=1)

    result = rates_upsert(source="ecb", rows=[dataclasses.replace(GOOD, observed_at=tomorrow)])

    assert result.written == 1


def test_rates_upsert_unknown_source_raises_and_writes_nothing(store):
    with pytest.raises(UnknownSource) as caught:
        rates_upsert(source="nope", rows=[GOOD])

    assert caught.value.code == "nope"
    assert ExchangeRate.objects.count() == 0


def test_rates_upsert_of_nothing_writes_nothing(store):
    assert rates_upsert(source="ecb", rows=[]) == UpsertResult(0, 0, None, None)
    assert rates_upsert(source="ecb", rows=iter(())).written == 0


def test_latest_rate_keeps_newest_observation_per_pair_and_source(store):
    store(
        "ecb",
        ("EUR", "USD", "1.3", "2024-01-03T16:00"),
        ("EUR", "USD", "1.1", "2024-01-01T16:00"),
        ("EUR", "JPY", "160", "2024-01-02T16:00"),
    )
    store("alpha", ("EUR", "USD", "1.2", "2024-01-02T10:00"))

    assert latest() == [
        ("EUR", "JPY", "ecb", datetime(2024, 1, 2, 16, tzinfo=UTC), Decimal(160)),
        ("EUR", "USD", "alpha", datetime(2024, 1, 2, 10, tzinfo=UTC), Decimal("1.2")),
        ("EUR", "USD", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("1.3")),
    ]


def test_latest_rate_is_not_regressed_by_older_batch(store):
    store("ecb", ("EUR", "USD", "1.3", "2024-01-03T16:00"))

    store("ecb", ("EUR", "USD", "1.1", "2023-12-01T16:00"))

    assert latest() == [("EUR", "USD", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("1.3"))]
    assert ExchangeRate.objects.count() == 2


def test_latest_rate_follows_correction_of_newest_observation(store):
    store("ecb", ("EUR", "USD", "1.3", "2024-01-03T16:00"))

    store("ecb", ("EUR", "USD", "1.31", "2024-01-03T16:00"))

    assert latest() == [
        ("EUR", "USD", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("1.31"))
    ]
