import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from rates.exceptions import InvalidRateBatch, UnknownSource
from rates.ingest.services import UpsertResult, rates_upsert
from rates.models import ExchangeRate, LatestRates
from rates.types import RateRow

GOOD = RateRow("EUR", "USD", Decimal("1.1"), datetime(2024, 1, 2, 16, tzinfo=UTC))


def stored() -> list[tuple]:
    rows = ExchangeRate.objects.order_by("base_id", "target_id", "observed_at", "source_id")
    return [(r.base_id, r.target_id, r.source_id, r.observed_at, r.rate, r.derived) for r in rows]


def latest() -> list[tuple]:
    """rates_latestrates unfolded into (base, target, source, observed_at, rate) rows."""
    return sorted(
        (r.base_id, target, r.source_id, datetime.fromisoformat(when), Decimal(rate))
        for r in LatestRates.objects.all()
        for target, (rate, when, _derived) in r.quote_map.items()
    )


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
    assert LatestRates.objects.get().quote_map["JPY"][2] is True


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


def test_latest_keeps_targets_a_newer_batch_does_not_quote(store):
    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")
    )

    store("ecb", ("EUR", "USD", "1.2", "2024-01-03T16:00"))

    assert latest() == [
        ("EUR", "JPY", "ecb", datetime(2024, 1, 2, 16, tzinfo=UTC), Decimal(160)),
        ("EUR", "USD", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("1.2")),
    ]


def test_latest_takes_new_target_from_older_batch_but_keeps_newer_quotes(store):
    store("ecb", ("EUR", "USD", "1.3", "2024-01-03T16:00"))

    store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-01T16:00"), ("EUR", "GBP", "0.8", "2024-01-01T16:00")
    )

    assert latest() == [
        ("EUR", "GBP", "ecb", datetime(2024, 1, 1, 16, tzinfo=UTC), Decimal("0.8")),
        ("EUR", "USD", "ecb", datetime(2024, 1, 3, 16, tzinfo=UTC), Decimal("1.3")),
    ]


def test_backfill_into_free_keys_behind_latest_is_written(store):
    store("ecb", ("EUR", "USD", "1.3", "2024-01-03T16:00"))

    result = store(
        "ecb", ("EUR", "USD", "1.1", "2023-06-01T16:00"), ("EUR", "USD", "1.2", "2023-06-02T16:00")
    )

    assert result.written == 2
    assert [row[4] for row in stored()] == [Decimal("1.1"), Decimal("1.2"), Decimal("1.3")]


def test_rows_stored_outside_the_service_are_merged_not_duplicated(store, rate_row):
    """A row the latest table does not know about (written by SQL, a restore) makes the direct
    COPY fail on its key; the service falls back to the merge instead of failing the batch."""
    when = datetime(2024, 1, 2, 16, tzinfo=UTC)
    ExchangeRate.objects.create(
        base_id="EUR", target_id="USD", source_id="ecb", observed_at=when, rate=Decimal("1.0")
    )

    result = store(
        "ecb", ("EUR", "USD", "1.1", "2024-01-02T16:00"), ("EUR", "JPY", "160", "2024-01-02T16:00")
    )

    assert result.written == 2
    assert stored() == [
        ("EUR", "JPY", "ecb", when, Decimal(160), False),
        ("EUR", "USD", "ecb", when, Decimal("1.1"), False),
    ]
    assert len(latest()) == 2


def test_rerun_of_a_large_batch_changes_only_what_differs(store, rate_row):
    days = [f"2024-02-{day:02d}T16:00" for day in range(1, 29)]
    rows = [rate_row("EUR", target, "1.5", day) for day in days for target in ("USD", "JPY")]
    rates_upsert(source="ecb", rows=rows)

    rows[-1] = rate_row("EUR", "JPY", "1.6", days[-1])
    result = rates_upsert(source="ecb", rows=rows)

    assert (result.received, result.written) == (56, 1)
    assert ExchangeRate.objects.count() == 56
