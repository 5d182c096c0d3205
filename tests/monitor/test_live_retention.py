"""Retention: ticks older than KOEL_LIVE_RETENTION_DAYS fold into hourly bars with the right
OHLC; recent ticks, daily sources' rows and lone rows stay as they are."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from monitor.tasks import live_retention
from rates.ingest.loading import currencies_load, sources_load
from rates.ingest.services import rates_upsert
from rates.models import ExchangeRate, HourlyBar
from rates.types import RateRow

pytestmark = pytest.mark.django_db

THIS_HOUR = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
OLD_HOUR = THIS_HOUR - timedelta(days=100)  # past the default retention of 90 days
RECENT_HOUR = THIS_HOUR - timedelta(days=17)


@pytest.fixture(autouse=True)
def reference_data():
    currencies_load()
    sources_load()


def ticks(source: str, hour: datetime, rates: list[str], *, derived=False, pair=("EUR", "USD")):
    """One tick every 30 s from `hour`, with these rates, stored as the tick stores them."""
    rows = [
        RateRow(*pair, Decimal(rate), hour + timedelta(seconds=30 * n), derived=derived)
        for n, rate in enumerate(rates)
    ]
    rates_upsert(source=source, rows=rows)


def stored(source: str, **filters) -> list[tuple]:
    found = ExchangeRate.objects.filter(source_id=source, **filters).order_by("observed_at")
    return [(r.observed_at, r.rate) for r in found]


def test_old_ticks_fold_into_hourly_bars_with_open_high_low_close():
    ticks("yahoo", OLD_HOUR, ["1.0810", "1.0850", "1.0790", "1.0820"])
    ticks("yahoo", OLD_HOUR + timedelta(hours=1), ["1.0830", "1.0840"])

    result = live_retention.delay().get()

    bars = list(HourlyBar.objects.filter(source_id="yahoo").order_by("hour"))
    ohlc = [(b.hour, b.open, b.high, b.low, b.close, b.ticks) for b in bars]
    assert ohlc == [
        (OLD_HOUR, Decimal("1.0810"), Decimal("1.0850"), Decimal("1.0790"), Decimal("1.0820"), 4),
        (OLD_HOUR + timedelta(hours=1), *map(Decimal, ["1.0830", "1.0840", "1.0830", "1.0840"]), 2),
    ]
    # Each hour keeps its close in the rate table: history keeps its shape.
    assert stored("yahoo") == [
        (OLD_HOUR + timedelta(seconds=90), Decimal("1.0820")),
        (OLD_HOUR + timedelta(hours=1, seconds=30), Decimal("1.0840")),
    ]
    assert result == {"hours": 2, "removed": 4}


def test_derived_cross_ticks_fold_too_and_stay_marked_derived():
    ticks("koel", OLD_HOUR, ["165.1", "165.4", "165.2"], derived=True, pair=("EUR", "JPY"))

    live_retention.delay()

    bar = HourlyBar.objects.get(source_id="koel")
    assert (bar.open, bar.high, bar.low, bar.close, bar.ticks, bar.derived) == (
        Decimal("165.1"),
        Decimal("165.4"),
        Decimal("165.1"),
        Decimal("165.2"),
        3,
        True,
    )
    assert ExchangeRate.objects.get(source_id="koel").derived


def test_retention_leaves_recent_ticks_daily_sources_and_lone_rows_alone():
    ticks("yahoo", RECENT_HOUR, ["1.0810", "1.0850", "1.0790"])
    ticks("ecb", OLD_HOUR, ["1.0800", "1.0805", "1.0810"])  # a daily source, even if dense
    ticks("wise", OLD_HOUR, ["1.0811"])  # one row in its hour: a daily run's fill
    before = {source: stored(source) for source in ("yahoo", "ecb", "wise")}

    live_retention.delay()

    assert {source: stored(source) for source in ("yahoo", "ecb", "wise")} == before
    assert HourlyBar.objects.count() == 0


def test_retention_is_idempotent():
    ticks("yahoo", OLD_HOUR, ["1.0810", "1.0850", "1.0790", "1.0820"])
    live_retention.delay()
    bars = list(HourlyBar.objects.values())
    rows = stored("yahoo")

    assert live_retention.delay().get() == {"hours": 0, "removed": 0}
    assert list(HourlyBar.objects.values()) == bars
    assert stored("yahoo") == rows


def test_the_retention_is_a_setting(settings):
    settings.KOEL_LIVE_RETENTION_DAYS = 10
    ticks("yahoo", RECENT_HOUR, ["1.0810", "1.0850", "1.0790"])

    live_retention.delay()

    assert HourlyBar.objects.get().ticks == 3  # 17 days old: past a 10-day retention
