"""rates.reads.rows: each source's own published rows per UTC day, for layers that blend
themselves."""

from datetime import date

from rates.ingest.services import rates_upsert
from rates.reads import rows


def euro_usd(store, source: str, *quotes: str) -> None:
    """store(source, ...) of EUR→USD quotes given as "rate@when"."""
    store(source, *[("EUR", "USD", *quote.split("@")) for quote in quotes])


def test_daily_rows_are_each_sources_last_rate_of_each_day_without_derived_rows(store):
    euro_usd(store, "ecb", "1.10@2024-01-02T09:00", "1.12@2024-01-02T15:00")
    euro_usd(store, "ecb", "1.13@2024-01-03T15:00")
    store("ecb", ("EUR", "GBP", "0.86", "2024-01-02T15:00"))
    euro_usd(store, "norges_bank", "1.11@2024-01-02T15:00")

    found = rows.daily_rows(first=date(2024, 1, 2), last=date(2024, 1, 2), targets=["USD"])

    assert sorted(found) == [
        ("ecb", "EUR", "USD", date(2024, 1, 2), 1.12),
        ("norges_bank", "EUR", "USD", date(2024, 1, 2), 1.11),
    ]
    assert all(isinstance(row[4], float) for row in found)


def test_daily_rows_leave_out_rates_koel_derived(store, rate_row):
    euro_usd(store, "ecb", "1.10@2024-01-02T15:00")
    rates_upsert(
        source="ecb", rows=[rate_row("USD", "GBP", "0.79", "2024-01-02T15:00", derived=True)]
    )

    found = rows.daily_rows(first=date(2024, 1, 1), last=date(2024, 1, 3), sources=["ecb"])

    assert [(row[1], row[2]) for row in found] == [("EUR", "USD")]


def test_bucket_rows_average_each_month(store):
    euro_usd(store, "ecb", "1.10@2024-01-02T15:00", "1.20@2024-01-31T15:00")
    euro_usd(store, "ecb", "2.00@2024-02-01T15:00")

    found = rows.bucket_rows(first=date(2024, 1, 1), last=date(2024, 2, 29), group="month")

    assert sorted(found) == [
        ("ecb", "EUR", "USD", date(2024, 1, 1), 1.15),
        ("ecb", "EUR", "USD", date(2024, 2, 1), 2.0),
    ]


def test_newest_days_and_coverage(store):
    euro_usd(store, "ecb", "1.10@2024-01-02T15:00", "1.12@2024-01-20T15:00")

    assert rows.newest_day(source="ecb", base="EUR") == date(2024, 1, 20)
    assert rows.newest_day(source="ecb", base="USD") is None
    up_to = {"source": "ecb", "base": "EUR", "lookback_days": 14}
    assert rows.newest_day_up_to(day=date(2024, 1, 10), **up_to) == date(2024, 1, 2)
    assert rows.newest_day_up_to(day=date(2024, 1, 16), **up_to) == date(2024, 1, 2)
    assert rows.newest_day_up_to(day=date(2024, 1, 17), **up_to) is None  # 15 days back
    assert rows.newest_day_up_to(day=date(1, 1, 1), **up_to) is None
    assert rows.newest_day_up_to(day=date(2025, 1, 1), **up_to) == date(2024, 1, 20)
    assert rows.first_days()[("ecb", "USD")] == date(2024, 1, 2)
    assert rows.last_days()[("ecb", "EUR")] == date(2024, 1, 20)
